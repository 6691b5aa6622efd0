"""One event's deliveries, and one delivery's attempts, as table models for the detail pane.

Errors are not columns: the detail pane shows the selected attempt's error in full.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject

from ui.models._table import RIGHT, STATUS_ROLE, Column, RowTableModel
from ui.models.events import Delivery, Invocation, local_time


def _due(moment: datetime | None) -> str:
    return "" if moment is None else local_time(moment)


DELIVERY_COLUMNS: tuple[Column[Delivery], ...] = (
    Column("Handler", lambda d: d.handler),
    Column("Status", lambda d: d.status.value),
    Column("Attempts", lambda d: str(d.attempts), RIGHT),
    Column("Next attempt", lambda d: _due(d.next_attempt_at), tooltip=lambda d: d.last_error),
)

INVOCATION_COLUMNS: tuple[Column[Invocation], ...] = (
    Column("Attempt", lambda i: str(i.attempt), RIGHT),
    Column("Started", lambda i: i.started_at.astimezone().strftime("%H:%M:%S.%f")[:-3]),
    Column("Duration", lambda i: f"{i.duration_ms:,.1f} ms", RIGHT),
    Column("Outcome", lambda i: i.outcome, tooltip=lambda i: i.error),
)


class DeliveryModel(RowTableModel[Delivery]):
    """The deliveries of the event shown in the detail pane, by handler."""

    STATUS = 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(DELIVERY_COLUMNS, key=lambda d: d.handler, parent=parent)

    def extra_data(self, row: Delivery, column: int, role: int) -> Any:
        return row.status if role == STATUS_ROLE and column == self.STATUS else None


class InvocationModel(RowTableModel[Invocation]):
    """The attempts of the delivery selected in the detail pane, oldest first."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(INVOCATION_COLUMNS, key=lambda i: (i.attempt, i.started_at), parent=parent)
