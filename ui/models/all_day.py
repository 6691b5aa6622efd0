"""All-day counts: every item still to make across the open tickets ("Margherita 7"),
most first; a table model over the board's orders, kept by each order's change."""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from ui.models.orders import OrderRow, OrdersModel
from ui.models.stages import Status

Index = QModelIndex | QPersistentModelIndex

# The kitchen's work: paid (the ticket is printed) and cooking. A ticket bumped ready is
# made; one not yet paid may never be.
COUNTED = frozenset({Status.PAID, Status.IN_KITCHEN})
HEADERS = ("Item", "To make")


def still_to_make(order: OrderRow) -> Counter[str]:
    """The portions of ``order`` the kitchen has still to make, by item name."""
    counts: Counter[str] = Counter()
    if order.status in COUNTED:
        for line in order.items:
            if not line.done:
                counts[line.name] += line.quantity
    return counts


def _sort_key(name: str, count: int) -> tuple[int, str]:
    return (-count, name.casefold())


class AllDayModel(QAbstractTableModel):
    """Rows of (item, count), the largest count first, then by name.

    Each order's share is remembered, so a change of one order moves only the rows of
    its items (removed, inserted or moved), never a reset of the panel.
    """

    def __init__(self, orders: OrdersModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._orders = orders
        self._share: dict[str, Counter[str]] = {}  # order id -> its portions to make
        self._total: Counter[str] = Counter()
        self._rows: list[tuple[str, int]] = []  # (name, count), sorted by _sort_key
        self._keys: list[tuple[int, str]] = []  # the rows' sort keys, for bisect
        orders.rowsInserted.connect(self._inserted)
        orders.rowsAboutToBeRemoved.connect(self._removing)
        orders.dataChanged.connect(self._changed)
        orders.modelReset.connect(self._reset)
        self._reset()

    # -- reading ------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        name, count = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return name if index.column() == 0 else count
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{name}: {count} to make"
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(HEADERS)
        ):
            return HEADERS[section]
        return None

    def counts(self) -> list[tuple[str, int]]:
        """The rows, as shown."""
        return list(self._rows)

    # -- following the orders -----------------------------------------------------------------

    def _inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        for row in range(first, last + 1):
            self._set_share(self._orders.order_at(row))

    def _removing(self, parent: QModelIndex, first: int, last: int) -> None:
        for row in range(first, last + 1):
            order_id = self._orders.order_at(row).id
            self._apply(self._share.pop(order_id, Counter()), Counter())

    def _changed(self, top_left: QModelIndex, bottom_right: QModelIndex, *_: object) -> None:
        for row in range(top_left.row(), bottom_right.row() + 1):
            self._set_share(self._orders.order_at(row))

    def _reset(self) -> None:
        self.beginResetModel()
        self._share = {}
        self._total = Counter()
        for order in self._orders.orders:
            share = still_to_make(order)
            if share:
                self._share[order.id] = share
                self._total.update(share)
        self._rows = sorted(self._total.items(), key=lambda row: _sort_key(*row))
        self._keys = [_sort_key(*row) for row in self._rows]
        self.endResetModel()

    def _set_share(self, order: OrderRow) -> None:
        new = still_to_make(order)
        old = self._share.pop(order.id, Counter())
        if new:
            self._share[order.id] = new
        if new != old:
            self._apply(old, new)

    def _apply(self, old: Counter[str], new: Counter[str]) -> None:
        for name in sorted(old.keys() | new.keys()):
            delta = new[name] - old[name]
            if delta:
                before = self._total[name]
                self._total[name] = before + delta
                if self._total[name] <= 0:
                    del self._total[name]
                self._move(name, before, self._total[name])

    def _move(self, name: str, before: int, after: int) -> None:
        """Row ``name`` goes from ``before`` to ``after`` portions (0: no row)."""
        if before:
            row = bisect.bisect_left(self._keys, _sort_key(name, before))
            if after:
                key = _sort_key(name, after)
                # Where it goes among the other rows (its own row taken out).
                target = bisect.bisect_left(self._keys, key)
                if target > row:
                    target -= 1
                if target == row:
                    self._rows[row] = (name, after)
                    self._keys[row] = key
                    index = self.index(row, 1)
                    self.dataChanged.emit(self.index(row, 0), index)
                    return
                # beginMoveRows counts the destination before the row is taken out.
                self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), target + (target > row))
                del self._rows[row]
                del self._keys[row]
                self._rows.insert(target, (name, after))
                self._keys.insert(target, key)
                self.endMoveRows()
                return
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            del self._keys[row]
            self.endRemoveRows()
            return
        if after:
            key = _sort_key(name, after)
            row = bisect.bisect_left(self._keys, key)
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.insert(row, (name, after))
            self._keys.insert(row, key)
            self.endInsertRows()
