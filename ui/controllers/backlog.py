"""Follows ``handlerStats`` for the status bar's runner backlog."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from ui.client import GraphQLClient, Subscription

HANDLER_STATS = """
subscription Backlog { handlerStats { name pending running retrying dead } }
"""


class BacklogController(QObject):
    """Emits ``changed(waiting, retrying, dead)`` summed over all handlers."""

    changed = Signal(int, int, int)

    def __init__(self, client: GraphQLClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.subscription: Subscription | None = None
        self.figures: tuple[int, int, int] | None = None

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
