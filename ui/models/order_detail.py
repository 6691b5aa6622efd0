"""One order's detail: its lines, and its history (each event, with each handler's delivery)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject

from ui.models._table import RIGHT, Column, RowTableModel
from ui.models.cart import money
from ui.models.orders import OrderLine


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """An event of the order, or one of its deliveries (``handler`` set) under it."""

    seq: int
    type: str
    at: datetime
    handler: str | None = None
    status: str = ""
    attempts: int = 0
    error: str | None = None

    @property
    def key(self) -> tuple[int, str]:
        return (self.seq, self.handler or "")


def history_rows(events: list[dict[str, Any]]) -> list[HistoryRow]:
    """From ``Order.events`` (with ``deliveries``): each event, then its deliveries."""
    rows: list[HistoryRow] = []
    for event in events:
        at = datetime.fromisoformat(event["createdAt"])
        rows.append(HistoryRow(int(event["seq"]), str(event["type"]), at))
        rows.extend(
            HistoryRow(
                int(event["seq"]),
                str(event["type"]),
                at,
                handler=str(delivery["handler"]),
                status=str(delivery["status"]),
                attempts=int(delivery["attempts"]),
                error=delivery.get("lastError"),
            )
            for delivery in event.get("deliveries", ())
        )
    return rows


def _when(row: HistoryRow) -> str:
    return "" if row.handler else row.at.astimezone().strftime("%H:%M:%S")


def _what(row: HistoryRow) -> str:
    return f"    → {row.handler}" if row.handler else row.type.replace("_", " ")


HISTORY_COLUMNS: tuple[Column[HistoryRow], ...] = (
    Column("Seq", lambda r: "" if r.handler else str(r.seq), RIGHT),
    Column("Time", _when),
    Column("Event / handler", _what),
    Column("Delivery", lambda r: r.status.lower()),
    Column("Attempts", lambda r: str(r.attempts) if r.handler else "", RIGHT),
    Column("Last error", lambda r: (r.error or "").split("\n")[0], tooltip=lambda r: r.error),
)


def _station(line: OrderLine) -> str:
    where = line.station.capitalize() if line.station else ""
    return f"{where} \N{CHECK MARK}".strip() if line.done else where


LINE_COLUMNS: tuple[Column[OrderLine], ...] = (
    Column("Qty", lambda line: f"{line.quantity}\N{MULTIPLICATION SIGN}", RIGHT),
    Column("Item", lambda line: line.name),
    Column("Choices", lambda line: ", ".join(m.label for m in line.modifiers)),
    Column("Note", lambda line: line.notes or ""),
    Column("Price", lambda line: money(line.unit_price_cents), RIGHT),
    Column("Total", lambda line: money(line.quantity * line.unit_price_cents), RIGHT),
    # Where the kitchen makes it (View ▸ Station), with a tick once made.
    Column("Station", _station),
)


class HistoryModel(RowTableModel[HistoryRow]):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(HISTORY_COLUMNS, key=lambda row: row.key, parent=parent)


class LinesModel(RowTableModel[OrderLine]):
    def __init__(self, parent: QObject | None = None) -> None:
        # Lines have no id of their own; their position is what identifies them.
        super().__init__(LINE_COLUMNS, key=id, parent=parent)
