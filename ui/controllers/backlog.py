"""Follows ``handlerStats`` for the status bar's runner backlog and the board's banner
of paused handlers (with their Resume)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from ui.client import GraphQLClient, Subscription
from ui.views.paused_banner import PausedHandler

HANDLER_STATS = """
subscription Backlog { handlerStats { name events paused pending running retrying dead } }
"""
RESUME = "mutation Resume($name: String!) { resumeHandler(name: $name) { name paused } }"


class BacklogController(QObject):
    """Emits ``changed(waiting, retrying, dead)`` summed over all handlers, and
    ``pausedChanged(list[PausedHandler])``."""

    changed = Signal(int, int, int)
    pausedChanged = Signal(object)

    def __init__(self, client: GraphQLClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.subscription: Subscription | None = None
        self.figures: tuple[int, int, int] | None = None
        self.paused: list[PausedHandler] = []

    async def start(self) -> None:
        self.subscription = self.client.subscribe(HANDLER_STATS, dict, self._stats)

    def stop(self) -> None:
        if self.subscription is not None:
            self.subscription.cancel()
            self.subscription = None

    def _stats(self, data: dict[str, Any]) -> None:
        handlers = data["handlerStats"]
        figures = (
            sum(h["pending"] + h["running"] for h in handlers),
            sum(h["retrying"] for h in handlers),
            sum(h["dead"] for h in handlers),
        )
        if figures != self.figures:
            self.figures = figures
            self.changed.emit(*figures)
        paused = [
            PausedHandler(h["name"], tuple(h["events"]), h["pending"])
            for h in handlers
            if h["paused"]
        ]
        if paused != self.paused:
            self.paused = paused
            self.pausedChanged.emit(paused)

    async def resume(self, name: str) -> None:
        await self.client.execute(RESUME, {"name": name})
