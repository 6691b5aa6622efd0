"""The menu as a two-level tree model: categories, and their items with availability,
stock and prep time."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, Qt
from PySide6.QtGui import QColor, QFont

from ui.models._table import LEFT, RIGHT, ROW_ROLE, STATUS_ROLE, Headers, Index


class Availability(StrEnum):
    """Whether the kitchen can make an item now (the API's ``MenuItem.available``)."""

    AVAILABLE = "Available"  # customers and staff may order it
    SOLD_OUT = "Sold out"  # greyed out everywhere until staff make it available again


@dataclass(frozen=True, slots=True)
class MenuItemRow:
    id: str
    name: str
    category: str
    price_cents: int
    available: bool
    stock: int | None = None  # how many are left; None: not counted
    prep_seconds: int = 0  # how long the kitchen takes to make one
    station: str | None = None  # the API's Station of its category; None: no station

    @property
    def availability(self) -> Availability:
        return Availability.AVAILABLE if self.available else Availability.SOLD_OUT


@dataclass(slots=True)
class _Category:
    uid: int  # stable for the life of the model: child indexes point at it
    name: str
    items: list[MenuItemRow] = field(default_factory=list)


def station_label(station: str | None) -> str:
    return NO_STATION if station is None else station.capitalize()


def category_station(items: Sequence[MenuItemRow]) -> str | None:
    """A category's station: its items' (they share it; the first one's says it)."""
    return items[0].station if items else None


def price(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


# The API's bounds of a prep time (docs/api.md, "Prep times").
MIN_PREP_SECONDS = 1
MAX_PREP_SECONDS = 2 * 60 * 60
_PREP_TEXT = re.compile(r"(\d{1,3})(?::(\d{2}))?")


def parse_prep_time(text: str) -> int | None:
    """Seconds from "12:30" or "12" (minutes); None if it is not one."""
    found = _PREP_TEXT.fullmatch(text.strip())
    if found is None:
        return None
    seconds = int(found.group(2) or 0)
    if seconds >= 60:
        return None
    return int(found.group(1)) * 60 + seconds


def prep_time(seconds: int) -> str:
    """A prep time as the kitchen says it: "12:00", "1:30" (minutes and seconds)."""
    minutes, rest = divmod(max(0, seconds), 60)
    return f"{minutes}:{rest:02d}"


# At or below this many left an item's stock shows amber; staff can change it.
LOW_STOCK = 5
LOW_STOCK_COLOR = QColor("#b26b00")
NOT_COUNTED = "not counted"
NO_STATION = "no station"


class MenuModel(Headers, QAbstractItemModel):
    """Categories in menu order at the top level; each item under its category.

    A child index carries its category's ``uid`` as its internal id; a category index
    carries 0.
    """

    NAME, PRICE, STATUS, STOCK, PREP, STATION = range(6)
    headers = ("Item", "Price", "Status", "Stock", "Prep", "Station")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._categories: list[_Category] = []
        self._uids = itertools.count(1)
        self.low_stock = LOW_STOCK

    def set_low_stock(self, level: int) -> None:
        """Show amber the items with ``level`` or fewer left."""
        self.low_stock = level
        for position, category in enumerate(self._categories):
            if category.items:
                parent = self.createIndex(position, 0, 0)
                last = len(category.items) - 1
                self.dataChanged.emit(
                    self.index(0, self.STOCK, parent), self.index(last, self.STOCK, parent)
                )

    def is_low(self, item: MenuItemRow) -> bool:
        return item.stock is not None and item.stock <= self.low_stock

    # -- structure ------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if not self.hasIndex(row, column, parent):
            return QModelIndex()
        if not parent.isValid():
            return self.createIndex(row, column, 0)
        return self.createIndex(row, column, self._categories[parent.row()].uid)

    def parent(self, child: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid() or child.internalId() == 0:
            return QModelIndex()
        position = self._category_position(child.internalId())
        return QModelIndex() if position is None else self.createIndex(position, 0, 0)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if not parent.isValid():
            return len(self._categories)
        if parent.internalId() == 0 and parent.column() == 0:
            return len(self._categories[parent.row()].items)
        return 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return len(self.headers)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    # -- data -----------------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._category_data(self._categories[index.row()], index.column(), role)
        item = self.item(index)
        if item is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            stock = NOT_COUNTED if item.stock is None else str(item.stock)
            return (
                item.name,
                price(item.price_cents),
                item.availability.value,
                stock,
                prep_time(item.prep_seconds),
                station_label(item.station),
            )[column]
        if role == Qt.ItemDataRole.ForegroundRole and column == self.STOCK and self.is_low(item):
            return LOW_STOCK_COLOR
        if role == Qt.ItemDataRole.ToolTipRole and column == self.STOCK and self.is_low(item):
            return f"Low stock: {item.stock} left (amber at {self.low_stock} or fewer)"
        if role == Qt.ItemDataRole.ToolTipRole and column == self.PREP:
            return (
                f"Prep time (minutes:seconds): a ticket with {item.name} is late after "
                f"{prep_time(item.prep_seconds)} unless a line takes longer"
            )
        if role == ROW_ROLE:
            return item
        if role == STATUS_ROLE and column == self.STATUS:
            return item.availability
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numbers = (self.PRICE, self.STOCK, self.PREP)
            return int((RIGHT if column in numbers else LEFT).value)
        if role == Qt.ItemDataRole.FontRole and column == self.STOCK and self.is_low(item):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.FontRole and column == self.NAME and not item.available:
            font = QFont()
            font.setStrikeOut(True)
            return font
        return None

    def _category_data(self, category: _Category, column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            if column == self.NAME:
                return category.name
            if column == self.STATION:
                # The station is the category's: said on its row, where it is changed.
                return station_label(category_station(category.items))
            sold_out = sum(not item.available for item in category.items)
            return f"{sold_out} sold out" if column == self.STATUS and sold_out else ""
        if role == Qt.ItemDataRole.FontRole and column == self.NAME:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def item(self, index: Index) -> MenuItemRow | None:
        """The item at ``index``, or None for a category or an invalid index."""
        if not index.isValid() or index.internalId() == 0:
            return None
        position = self._category_position(index.internalId())
        if position is None:
            return None
        items = self._categories[position].items
        return items[index.row()] if index.row() < len(items) else None

    def index_of(self, item_id: str, column: int = 0) -> QModelIndex:
        for category in self._categories:
            for row, item in enumerate(category.items):
                if item.id == item_id:
                    return self.createIndex(row, column, category.uid)
        return QModelIndex()

    def get(self, item_id: str) -> MenuItemRow | None:
        found = self.index_of(item_id)
        return self.item(found) if found.isValid() else None

    @property
    def items(self) -> list[MenuItemRow]:
        return [item for category in self._categories for item in category.items]

    # -- changing -------------------------------------------------------------------------

    def sync(self, items: Sequence[MenuItemRow]) -> None:
        """Show exactly ``items``, changing only the rows that differ."""
        wanted = {item.id for item in items}
        for item in self.items:
            if item.id not in wanted:
                self.remove(item.id)
        for item in items:
            self.upsert(item)

    def upsert(self, item: MenuItemRow) -> None:
        """Update ``item`` in place, or add it at the end of its category."""
        found = self.index_of(item.id)
        current = self.item(found) if found.isValid() else None
        if current is not None and current.category == item.category:
            if current != item:
                category_position = self._category_position(found.internalId())
                assert category_position is not None
                self._categories[category_position].items[found.row()] = item
                last = len(self.headers) - 1
                self.dataChanged.emit(found, found.siblingAtColumn(last))
                parent = self.createIndex(category_position, 0, 0)
                self.dataChanged.emit(parent, parent.siblingAtColumn(last))
            return
        if current is not None:
            self.remove(item.id)
        position = next(
            (i for i, c in enumerate(self._categories) if c.name == item.category), None
        )
        if position is None:
            position = len(self._categories)
            self.beginInsertRows(QModelIndex(), position, position)
            self._categories.append(_Category(next(self._uids), item.category))
            self.endInsertRows()
        category = self._categories[position]
        parent = self.createIndex(position, 0, 0)
        end = len(category.items)
        self.beginInsertRows(parent, end, end)
        category.items.append(item)
        self.endInsertRows()

    def remove(self, item_id: str) -> None:
        found = self.index_of(item_id)
        if not found.isValid():
            return
        position = self._category_position(found.internalId())
        assert position is not None
        category = self._categories[position]
        self.beginRemoveRows(self.createIndex(position, 0, 0), found.row(), found.row())
        del category.items[found.row()]
        self.endRemoveRows()
        if not category.items:
            self.beginRemoveRows(QModelIndex(), position, position)
            del self._categories[position]
            self.endRemoveRows()

    def category_of(self, index: Index) -> str | None:
        """The category of the row at ``index`` (a category's or an item's)."""
        if not index.isValid():
            return None
        if index.internalId() == 0:
            return self._categories[index.row()].name
        item = self.item(index)
        return None if item is None else item.category

    def station_of(self, category: str) -> str | None:
        found = next((c for c in self._categories if c.name == category), None)
        return None if found is None else category_station(found.items)

    def _category_position(self, uid: int) -> int | None:
        return next((i for i, c in enumerate(self._categories) if c.uid == uid), None)
