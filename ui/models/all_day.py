"""All-day counts: every item still to make across the open tickets ("Margherita 7"),
grouped by the station that makes it (when stations are set), most first within a
station; a table model over the board's orders, kept by each order's change. On a
station's screen, only that station's items."""

from __future__ import annotations

import bisect
from collections import Counter
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from ui.models.orders import OrderRow, OrdersModel
from ui.models.stages import Status
from ui.models.stations import Station

Index = QModelIndex | QPersistentModelIndex

# The kitchen's work: paid (the ticket is printed) and cooking. A ticket bumped ready is
# made; one not yet paid may never be.
COUNTED = frozenset({Status.PAID, Status.IN_KITCHEN})
HEADERS = (
    "Station",
    "Item",
    "Left",
)  # the title says "to make"; a narrow panel keeps room for names
STATION, ITEM, COUNT = range(3)
# A row's item: the station that makes it (an API Station name; None: no station) and
# its name.
Key = tuple[str | None, str]
RANKS = {station.value: rank for rank, station in enumerate(Station)}
LABELS = {station.value: station.label for station in Station}


def still_to_make(order: OrderRow, station: Station | None = None) -> Counter[Key]:
    """The portions of ``order`` the kitchen has still to make, by station and item name
    (only ``station``'s, if given)."""
    counts: Counter[Key] = Counter()
    if order.status in COUNTED:
        for line in order.items:
            if not line.done and (station is None or line.station == station.value):
                counts[(line.station, line.name)] += line.quantity
    return counts


def _sort_key(key: Key, count: int) -> tuple[int, int, str, str]:
    station, name = key
    # The stations in the kitchen's order, the items of no station last.
    return (RANKS.get(station or "", len(RANKS)), -count, name.casefold(), name)


class AllDayModel(QAbstractTableModel):
    """Rows of (item, count), the largest count first, then by name.

    Each order's share is remembered, so a change of one order moves only the rows of
    its items (removed, inserted or moved), never a reset of the panel.
    """

    def __init__(self, orders: OrdersModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._orders = orders
        self.station: Station | None = None  # only this station's items (None: all)
        self._share: dict[str, Counter[Key]] = {}  # order id -> its portions to make
        self._total: Counter[Key] = Counter()
        self._rows: list[tuple[Key, int]] = []  # (key, count), sorted by _sort_key
        self._keys: list[tuple[int, int, str, str]] = []  # the rows' sort keys, for bisect
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
        (station, name), count = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == STATION:
                # The station heads its group: named on its first row only.
                above = self._rows[index.row() - 1][0][0] if index.row() else False
                return LABELS.get(station or "", "") if station != above else ""
            return name if column == ITEM else count
        if role == Qt.ItemDataRole.TextAlignmentRole and column == COUNT:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            where = f" ({LABELS[station]})" if station in LABELS else ""
            return f"{name}{where}: {count} to make"
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
        """The rows, as shown: (item, count)."""
        return [(name, count) for (_, name), count in self._rows]

    def by_station(self) -> list[tuple[str | None, str, int]]:
        """The rows, as shown: (station, item, count)."""
        return [(station, name, count) for (station, name), count in self._rows]

    @property
    def grouped(self) -> bool:
        """Whether any row has a station (else the Station column says nothing)."""
        return any(station is not None for (station, _), _ in self._rows)

    def set_station(self, station: Station | None) -> None:
        """Count only ``station``'s items (None: every station's)."""
        if station is not self.station:
            self.station = station
            self._reset()

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
            share = still_to_make(order, self.station)
            if share:
                self._share[order.id] = share
                self._total.update(share)
        self._rows = sorted(self._total.items(), key=lambda row: _sort_key(*row))
        self._keys = [_sort_key(*row) for row in self._rows]
        self.endResetModel()

    def _set_share(self, order: OrderRow) -> None:
        new = still_to_make(order, self.station)
        old = self._share.pop(order.id, Counter())
        if new:
            self._share[order.id] = new
        if new != old:
            self._apply(old, new)

    def _apply(self, old: Counter[Key], new: Counter[Key]) -> None:
        for name in sorted(old.keys() | new.keys(), key=lambda key: _sort_key(key, 0)):
            delta = new[name] - old[name]
            if delta:
                before = self._total[name]
                self._total[name] = before + delta
                if self._total[name] <= 0:
                    del self._total[name]
                self._move(name, before, self._total[name])

    def _move(self, name: Key, before: int, after: int) -> None:
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
                    self.dataChanged.emit(self.index(row, 0), self.index(row, COUNT))
                    return
                # beginMoveRows counts the destination before the row is taken out.
                self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), target + (target > row))
                del self._rows[row]
                del self._keys[row]
                self._rows.insert(target, (name, after))
                self._keys.insert(target, key)
                self.endMoveRows()
                self._heads(row, row + 1, target + 1)
                return
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._rows[row]
            del self._keys[row]
            self.endRemoveRows()
            self._heads(row)
            return
        if after:
            key = _sort_key(name, after)
            row = bisect.bisect_left(self._keys, key)
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.insert(row, (name, after))
            self._keys.insert(row, key)
            self.endInsertRows()
            self._heads(row + 1)

    def _heads(self, *rows: int) -> None:
        """The Station cell of these rows may have started or stopped heading a group
        (the row above them changed)."""
        for row in sorted(set(rows)):
            if 0 <= row < len(self._rows):
                index = self.index(row, STATION)
                self.dataChanged.emit(index, index)
