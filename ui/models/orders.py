"""The orders on the board: plain rows, one list model over them, proxies for the grid
(the open tickets) and for each stage (its count; the Done tickets)."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)

from ui.models._filter import rows_filter_change
from ui.models.modifiers import modifier_label
from ui.models.stages import FINISHED, STAGE_OF, Stage, Status

Index = QModelIndex | QPersistentModelIndex

# What every order query and subscription of the dashboard selects; OrderRow.of reads it.
ORDER_FIELDS = """
  id number status channel fulfillment customerName phone address notes table allergens
  totalCents createdAt updatedAt statusReason cancelReason
  items { menuItemId name quantity unitPriceCents notes allergens done prepSeconds station
          modifiers { name priceCents } }
"""

ORDER_ROLE = Qt.ItemDataRole.UserRole + 1  # the OrderRow itself, for the card delegate


@dataclass(frozen=True, slots=True)
class LineModifier:
    """A modifier chosen for the line (the API's ``OrderItemModifier``)."""

    name: str
    price_cents: int = 0

    @property
    def label(self) -> str:
        return modifier_label(self.name, self.price_cents)


@dataclass(frozen=True, slots=True)
class OrderLine:
    name: str
    quantity: int
    unit_price_cents: int  # with its modifiers
    notes: str | None = None
    allergens: tuple[str, ...] = ()  # the API's Allergen names
    done: bool = False  # struck through by the kitchen (markItemDone)
    prep_seconds: int = 0  # the item's prep time when ordered (0: not known)
    modifiers: tuple[LineModifier, ...] = ()  # in menu order
    station: str | None = None  # the API's Station that makes it (None: no station)


@dataclass(frozen=True, slots=True)
class OrderRow:
    """One order as the board shows it; ``seq`` is the change it came from (0: a listing)."""

    id: str
    number: int
    status: Status
    channel: str
    fulfillment: str
    customer_name: str | None
    phone: str | None
    address: str | None
    notes: str | None
    items: tuple[OrderLine, ...]
    total_cents: int
    created_at: datetime
    updated_at: datetime
    # Why it was cancelled (staff's words), rejected or its payment declined; else None.
    reason: str | None = None
    seq: int = 0
    table: int | None = None  # a DINE_IN order's table
    allergens: tuple[str, ...] = ()  # for the whole order; each line has its own

    @classmethod
    def of(cls, data: dict[str, Any], seq: int = 0) -> OrderRow:
        """From the API's ``Order`` (selected with :data:`ORDER_FIELDS`)."""
        return cls(
            id=str(data["id"]),
            number=int(data["number"]),
            status=Status(data["status"]),
            channel=str(data["channel"]),
            fulfillment=str(data["fulfillment"]),
            customer_name=data.get("customerName"),
            phone=data.get("phone"),
            address=data.get("address"),
            notes=data.get("notes"),
            items=tuple(
                OrderLine(
                    name=str(item["name"]),
                    quantity=int(item["quantity"]),
                    unit_price_cents=int(item["unitPriceCents"]),
                    notes=item.get("notes"),
                    allergens=tuple(item.get("allergens") or ()),
                    done=bool(item.get("done", False)),
                    prep_seconds=int(item.get("prepSeconds") or 0),
                    modifiers=tuple(
                        LineModifier(str(m["name"]), int(m["priceCents"]))
                        for m in item.get("modifiers") or ()
                    ),
                    station=item.get("station"),
                )
                for item in data.get("items", ())
            ),
            total_cents=int(data["totalCents"]),
            created_at=datetime.fromisoformat(data["createdAt"]),
            updated_at=datetime.fromisoformat(data["updatedAt"]),
            reason=data.get("cancelReason") or data.get("statusReason"),
            seq=seq,
            table=data.get("table"),
            allergens=tuple(data.get("allergens") or ()),
        )

    @property
    def stage(self) -> Stage:
        return STAGE_OF[self.status]

    @property
    def target_seconds(self) -> int | None:
        """The ticket's prep target: its longest line (None: no line has a prep time)."""
        return max((line.prep_seconds for line in self.items), default=0) or None

    def is_newer_than(self, other: OrderRow) -> bool:
        """Whether this state of the order comes after ``other`` (a replayed change does not)."""
        if self.seq and other.seq:
            return self.seq > other.seq
        return self.updated_at > other.updated_at


class OrdersModel(QAbstractListModel):
    """Every order the board knows, kept sorted by ticket number, changed row by row."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[OrderRow] = []
        self._numbers: list[int] = []  # the rows' numbers, for bisect
        self._number_of: dict[str, int] = {}  # order id -> number

    # -- reading --------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == ORDER_ROLE:
            return row
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"#{row.number} {row.status.value}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Order #{row.number}: double-click for its items and history"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def order_at(self, row: int) -> OrderRow:
        return self._rows[row]

    def position(self, order_id: str) -> int | None:
        number = self._number_of.get(order_id)
        if number is None:
            return None
        return bisect.bisect_left(self._numbers, number)

    def get(self, order_id: str) -> OrderRow | None:
        position = self.position(order_id)
        return None if position is None else self._rows[position]

    @property
    def orders(self) -> tuple[OrderRow, ...]:
        return tuple(self._rows)

    # -- changing -------------------------------------------------------------------------

    def upsert(self, order: OrderRow) -> bool:
        """Show ``order``; whether anything changed (an older or equal state changes nothing)."""
        position = self.position(order.id)
        if position is not None:
            current = self._rows[position]
            if not order.is_newer_than(current) or order == current:
                return False
            self._rows[position] = order
            index = self.index(position, 0)
            self.dataChanged.emit(index, index)
            return True
        position = bisect.bisect_left(self._numbers, order.number)
        self.beginInsertRows(QModelIndex(), position, position)
        self._rows.insert(position, order)
        self._numbers.insert(position, order.number)
        self._number_of[order.id] = order.number
        self.endInsertRows()
        return True

    def extend(self, orders: Iterable[OrderRow]) -> None:
        """Add a page of a listing: one insertion when it follows the known numbers."""
        batch = sorted(orders, key=lambda order: order.number)
        fresh = [order for order in batch if order.id not in self._number_of]
        if (
            fresh
            and len(fresh) == len(batch)
            and (not self._numbers or fresh[0].number > self._numbers[-1])
        ):
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._rows.extend(fresh)
            self._numbers.extend(order.number for order in fresh)
            self._number_of.update((order.id, order.number) for order in fresh)
            self.endInsertRows()
            return
        for order in batch:
            self.upsert(order)

    def remove(self, order_id: str) -> None:
        position = self.position(order_id)
        if position is None:
            return
        self.beginRemoveRows(QModelIndex(), position, position)
        del self._rows[position]
        del self._numbers[position]
        del self._number_of[order_id]
        self.endRemoveRows()

    def prune_finished(self, keep: int) -> None:
        """Forget the oldest finished orders beyond the ``keep`` most recent ones."""
        finished = [row for row in self._rows if row.status in FINISHED]
        for row in finished[: max(0, len(finished) - keep)]:
            self.remove(row.id)


class StageProxy(QSortFilterProxyModel):
    """The orders of one board column, in ticket order (newest first for Done)."""

    def __init__(self, source: OrdersModel, stage: Stage, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stage = stage
        self._orders = source
        self.setSourceModel(source)
        if stage is Stage.DONE:
            # Source rows are in ticket order already; only Done reads newest first.
            self.sort(0, Qt.SortOrder.DescendingOrder)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        return self._orders.order_at(source_row).stage is self.stage

    def lessThan(self, left: Index, right: Index) -> bool:
        return self._orders.order_at(left.row()).number < self._orders.order_at(right.row()).number

    def order_at(self, row: int) -> OrderRow:
        return self._orders.order_at(self.mapToSource(self.index(row, 0)).row())

    def row_of(self, order_id: str) -> int | None:
        """Where an order is in this proxy (None: not here)."""
        return _row_of(self, self._orders, order_id)


class OpenProxy(QSortFilterProxyModel):
    """The grid's tickets, oldest first as a kitchen reads them: every stage but Done and
    the failed payments (those have a lane of their own). A station's view (``station``,
    an API Station name) keeps only the tickets in the kitchen with a line of that
    station still to make: once the station bumps its lines, the ticket leaves it."""

    def __init__(self, source: OrdersModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._orders = source
        self.station: str | None = None
        self.setSourceModel(source)

    def set_station(self, station: str | None) -> None:
        if station != self.station:
            with rows_filter_change(self):
                self.station = station

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        order = self._orders.order_at(source_row)
        if self.station is None:
            return order.stage not in LANES
        return order.stage is Stage.KITCHEN and any(
            line.station == self.station and not line.done for line in order.items
        )

    def order_at(self, row: int) -> OrderRow:
        return self._orders.order_at(self.mapToSource(self.index(row, 0)).row())

    def row_of(self, order_id: str) -> int | None:
        """Where an order is in this proxy (None: not here)."""
        return _row_of(self, self._orders, order_id)


LANES = frozenset({Stage.DONE, Stage.PAYMENT})  # stages shown elsewhere than the grid


def _row_of(proxy: QSortFilterProxyModel, source: OrdersModel, order_id: str) -> int | None:
    position = source.position(order_id)
    if position is None:
        return None
    row = proxy.mapFromSource(source.index(position, 0)).row()
    return None if row < 0 else row
