"""Asks ``backupStatus`` every minute for the status bar's "Backup 14:00".

Backups are hourly, so a query a minute is plenty; it is asked again at once when the
connection comes back. The label turns amber when the last good backup is more than two
hours old, when none was ever made while the database has orders, or when the last
attempt failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from ui.client import GraphQLClient, GraphQLError
from ui.tasks import spawn

BACKUP_STATUS = """
query BackupStatus { backupStatus { lastGoodAt folder lastError } orders(first: 1) { id } }
"""
POLL_MS = 60_000
STALE_AFTER = timedelta(hours=2)


@dataclass(frozen=True, slots=True)
class BackupFacts:
    """What the backend said."""

    last_good_at: datetime | None
    folder: str
    last_error: str | None
    has_orders: bool


@dataclass(frozen=True, slots=True)
class BackupView:
    """What the status bar shows."""

    text: str
    tooltip: str
    stale: bool


def describe(facts: BackupFacts, now: datetime) -> BackupView:
    last = facts.last_good_at
    if last is None:
        text = "Backup: none yet"
        said = "No backup has been made yet."
        stale = facts.has_orders
    else:
        local = last.astimezone()
        same_day = local.date() == now.astimezone().date()
        text = f"Backup {local:%H:%M}" if same_day else f"Backup {local:%d %b %H:%M}"
        minutes = max(0, int((now - last).total_seconds() // 60))
        age = f"{minutes} min" if minutes < 120 else f"{minutes // 60} h {minutes % 60} min"
        said = f"Last good backup: {local:%Y-%m-%d %H:%M} ({age} ago)."
        stale = now - last > STALE_AFTER
    tooltip = f"{said}\nBackups go to {facts.folder} on the backend's computer."
    if facts.last_error is not None:
        stale = True
        tooltip += f"\nThe last backup failed: {facts.last_error}"
    elif stale:
        tooltip += "\nBackups are made hourly: check the backend's log and its disk."
    return BackupView(text, tooltip, stale)


class BackupController(QObject):
    """Emits ``changed(BackupView)`` when what the status bar should show changes."""

    changed = Signal(object)

    def __init__(
        self,
        client: GraphQLClient,
        parent: QObject | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        super().__init__(parent)
        self.client = client
        self.clock = clock
        self.facts: BackupFacts | None = None
        self.view: BackupView | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(lambda: spawn(self.refresh()))
        client.connectionChanged.connect(self._connection)

    async def start(self) -> None:
        self.timer.start()
        await self.refresh()

    def stop(self) -> None:
        self.timer.stop()

    async def refresh(self) -> None:
        try:
            data = await self.client.execute(BACKUP_STATUS)
        except GraphQLError as exc:
            if self.facts is None:
                self._show(BackupView("Backup: ?", f"Cannot ask the backend: {exc}", False))
            else:  # offline for now: what was known, aged
                self._show(describe(self.facts, self.clock()))
            return
        self.facts = _facts(data)
        self._show(describe(self.facts, self.clock()))

    def _connection(self, state: str) -> None:
        if state == "connected" and self.timer.isActive():
            spawn(self.refresh())

    def _show(self, view: BackupView) -> None:
        if view != self.view:
            self.view = view
            self.changed.emit(view)


def _facts(data: dict[str, Any]) -> BackupFacts:
    status = data["backupStatus"]
    last = status["lastGoodAt"]
    return BackupFacts(
        last_good_at=None if last is None else datetime.fromisoformat(last),
        folder=status["folder"],
        last_error=status["lastError"],
        has_orders=bool(data["orders"]),
    )
