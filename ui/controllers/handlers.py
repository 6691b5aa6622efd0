"""Wires the handlers panel: live figures, throughput from the log, pause/resume, retry dead."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer

from ui.client import GraphQLClient, Subscription
from ui.controllers._tasks import Tasks
from ui.models.events import DeliveryStatus
from ui.models.handlers import DAY_MINUTES, HandlerModel, HandlerRow, Throughput
from ui.views.handlers import HandlersView

HANDLER_FIELDS = """
name events paused ordered pending running succeeded retrying dead resolved
p50Ms p95Ms oldestPendingSeconds lastError lifetime { attempts failed }
"""
HANDLER_STATS = f"subscription HandlerStats {{ handlerStats {{ {HANDLER_FIELDS} }} }}"
LOG_ACTIVITY = """
subscription LogActivity($after: String) {
  eventLog(after: $after) { cursor event { seq createdAt deliveries { handler status attempts } } }
}
"""
PAUSE = f"mutation Pause($name: String!) {{ pauseHandler(name: $name) {{ {HANDLER_FIELDS} }} }}"
RESUME = f"mutation Resume($name: String!) {{ resumeHandler(name: $name) {{ {HANDLER_FIELDS} }} }}"
RETRY_DEAD = "mutation RetryDead($name: String!) { retryDead(handler: $name) }"
ACTIVITY = """
query Activity($minutes: Int!) { handlerActivity(minutes: $minutes) { minute events failures } }
"""
ACTIVITY_REFRESH_MS = 60_000  # the server's figures are by the minute

REMEMBERED = 20_000  # events and failed attempts remembered, so each is counted once


def handler_row(data: dict[str, Any]) -> HandlerRow:
    return HandlerRow(
        name=data["name"],
        events=tuple(data["events"]),
        paused=data["paused"],
        ordered=data["ordered"],
        pending=data["pending"],
        running=data["running"],
        succeeded=data["succeeded"],
        retrying=data["retrying"],
        dead=data["dead"],
        resolved=data["resolved"],
        p50_ms=data.get("p50Ms"),
        p95_ms=data.get("p95Ms"),
        oldest_pending_seconds=data.get("oldestPendingSeconds"),
        last_error=data.get("lastError"),
        lifetime_attempts=data["lifetime"]["attempts"],
        lifetime_failed=data["lifetime"]["failed"],
    )


class _Seen:
    """The last ``size`` keys added; ``add`` says whether a key is new."""

    def __init__(self, size: int = REMEMBERED) -> None:
        self._keys: OrderedDict[object, None] = OrderedDict()
        self._size = size

    def add(self, key: object) -> bool:
        if key in self._keys:
            return False
        self._keys[key] = None
        if len(self._keys) > self._size:
            self._keys.popitem(last=False)
        return True


class HandlersController(QObject):
    """Owns the handler figures (``model``) and the throughput the chart draws."""

    def __init__(
        self,
        client: GraphQLClient,
        parent: QObject | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.clock = clock
        self.model = HandlerModel(self)
        self.throughput = Throughput()
        self.view = HandlersView(self.model, self.throughput)
        self.tasks = Tasks(lambda message: self.view.status.show_message(message, error=True))
        self.cursor: str | None = None
        self._events = _Seen()
        self._failures = _Seen()
        self._subscriptions: list[Subscription] = []
        self._activity_timer = QTimer(self)
        self._activity_timer.setInterval(ACTIVITY_REFRESH_MS)
        self._activity_timer.timeout.connect(lambda: self.tasks.spawn(self.read_activity()))
        self.view.pauseRequested.connect(lambda name: self.tasks.spawn(self.pause(name)))
        self.view.resumeRequested.connect(lambda name: self.tasks.spawn(self.resume(name)))
        self.view.retryDeadRequested.connect(lambda name: self.tasks.spawn(self.retry_dead(name)))

    async def start(self) -> None:
        """Follow the handler figures (current ones first) and the log's activity, and
        read the day's figures by the minute (again each minute)."""
        self._subscriptions = [
            self.client.subscribe(HANDLER_STATS, dict, self._on_stats),
            self.client.subscribe(LOG_ACTIVITY, lambda: {"after": self.cursor}, self._on_log),
        ]
        self._activity_timer.start()
        self.tasks.spawn(self.read_activity())

    def stop(self) -> None:
        self._activity_timer.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
        self.tasks.cancel()

    async def read_activity(self) -> None:
        data = await self.client.execute(ACTIVITY, {"minutes": DAY_MINUTES})
        self.throughput.set_minutes(
            (datetime.fromisoformat(m["minute"]).timestamp(), m["events"], m["failures"])
            for m in data["handlerActivity"]
        )
        self.view.chart.update()

    # -- live -----------------------------------------------------------------------------

    def _on_stats(self, data: dict[str, Any]) -> None:
        self.model.sync([handler_row(h) for h in data["handlerStats"]])

    def _on_log(self, data: dict[str, Any]) -> None:
        entry = data["eventLog"]
        self.cursor = entry["cursor"]
        event = entry["event"]
        if self._events.add(event["seq"]):
            self.throughput.add_event(datetime.fromisoformat(event["createdAt"]).timestamp())
        for delivery in event["deliveries"]:
            if DeliveryStatus(delivery["status"]).failed and self._failures.add(
                (event["seq"], delivery["handler"], delivery["attempts"])
            ):
                self.throughput.add_failure(self.clock())

    # -- intents --------------------------------------------------------------------------

    async def pause(self, name: str) -> None:
        data = await self.client.execute(PAUSE, {"name": name})
        self.model.upsert(handler_row(data["pauseHandler"]))
        self.view.status.show_message(f"{name} is paused: its deliveries wait until you resume it")

    async def resume(self, name: str) -> None:
        data = await self.client.execute(RESUME, {"name": name})
        self.model.upsert(handler_row(data["resumeHandler"]))
        self.view.status.show_message(f"{name} is running again")

    async def retry_dead(self, name: str) -> None:
        data = await self.client.execute(RETRY_DEAD, {"name": name})
        count = data["retryDead"]
        self.view.status.show_message(
            f"{count} dead deliver{'y' if count == 1 else 'ies'} of {name} due again"
        )
