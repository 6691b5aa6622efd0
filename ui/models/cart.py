"""The New order dialog's data: every menu item with its quantity and note on this ticket."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor

from ui.models._filter import rows_filter_change

Index = QModelIndex | QPersistentModelIndex

MAX_QUANTITY = 99  # the API's limit for one line
MAX_NOTE_CHARS = 500  # the API's limit for any text
SOLD_OUT = QColor("#c62828")
RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
CENTER = int(Qt.AlignmentFlag.AlignCenter.value)


def money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


@dataclass(frozen=True, slots=True)
class CartLine:
    """A menu item, and how many of it (with what note) this ticket asks for."""

    id: str
    name: str
    category: str
    price_cents: int
    available: bool
    stock: int | None = None  # how many are left; None: not counted
    quantity: int = 0
    notes: str = ""

    @property
    def total_cents(self) -> int:
        return self.quantity * self.price_cents

    @classmethod
    def of(cls, item: dict[str, Any]) -> CartLine:
        return cls(
            id=str(item["id"]),
            name=str(item["name"]),
            category=str(item["category"]),
            price_cents=int(item["priceCents"]),
            available=bool(item["available"]),
            stock=None if item.get("stock") is None else int(item["stock"]),
        )


class CartModel(QAbstractTableModel):
    """Columns: item, price, quantity (editable), note (editable), line total.

    ``refused(reason)``: a change asked for could not be made (sold out, over a limit).
    """

    refused = Signal(str)

    ITEM, PRICE, QUANTITY, NOTES, TOTAL = range(5)
    HEADERS = ("Item", "Price", "Qty", "Note", "Total")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lines: list[CartLine] = []

    # -- reading --------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.HEADERS)
        ):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._lines):
            return None
        line = self._lines[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            return self._text(line, column, role == Qt.ItemDataRole.EditRole)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.PRICE, self.TOTAL):
            return RIGHT
        if role == Qt.ItemDataRole.TextAlignmentRole and column == self.QUANTITY:
            return CENTER
        if role == Qt.ItemDataRole.ForegroundRole and not line.available:
            return SOLD_OUT
        if role == Qt.ItemDataRole.ToolTipRole and not line.available:
            return f"{line.name} has run out; it cannot be ordered now"
        return None

    def _text(self, line: CartLine, column: int, editing: bool) -> Any:
        if column == self.ITEM:
            if editing:
                return line.name
            if not line.available:
                return f"{line.name} (sold out)"
            # What is left, so the till can warn the customer before the kitchen runs out.
            return line.name if line.stock is None else f"{line.name} ({line.stock} left)"
        if column == self.PRICE:
            return money(line.price_cents)
        if column == self.QUANTITY:
            return line.quantity if editing else (str(line.quantity) if line.quantity else "")
        if column == self.NOTES:
            return line.notes
        return money(line.total_cents) if line.quantity else ""

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        line = self._lines[index.row()]
        flags = Qt.ItemFlag.ItemIsSelectable
        # A sold-out item greys out, unless it is already on the ticket: then it stays
        # editable so that staff can take it off.
        if line.available or line.quantity:
            flags |= Qt.ItemFlag.ItemIsEnabled
            if index.column() in (self.QUANTITY, self.NOTES):
                flags |= Qt.ItemFlag.ItemIsEditable
        return flags

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.EditRole:
            return False
        line = self._lines[index.row()]
        if index.column() == self.QUANTITY:
            try:
                quantity = int(value)
            except (TypeError, ValueError):
                return False
            return self.set_quantity(line.id, quantity)
        if index.column() == self.NOTES:
            if len(str(value)) > MAX_NOTE_CHARS:
                self.refused.emit(
                    f"{line.name}: a note is at most {MAX_NOTE_CHARS} characters "
                    f"({len(str(value))} given); shorten it"
                )
                return False
            return self._replace(index.row(), replace(line, notes=str(value)))
        return False

    def line(self, row: int) -> CartLine:
        return self._lines[row]

    def find(self, item_id: str) -> int | None:
        for row, line in enumerate(self._lines):
            if line.id == item_id:
                return row
        return None

    @property
    def categories(self) -> list[str]:
        return list(dict.fromkeys(line.category for line in self._lines))

    @property
    def ticket(self) -> list[CartLine]:
        """The lines with a quantity, in menu order (the order they are sent in)."""
        return [line for line in self._lines if line.quantity]

    @property
    def total_cents(self) -> int:
        return sum(line.total_cents for line in self._lines)

    # -- changing -------------------------------------------------------------------------

    def set_menu(self, items: Iterable[CartLine]) -> None:
        """Take the menu as it is now, keeping what the ticket already asks for."""
        for position, item in enumerate(items):
            row = self.find(item.id)
            if row is None:
                self.beginInsertRows(QModelIndex(), position, position)
                self._lines.insert(position, item)
                self.endInsertRows()
                continue
            current = self._lines[row]
            self._replace(row, replace(item, quantity=current.quantity, notes=current.notes))

    def add(self, item_id: str, count: int = 1) -> bool:
        row = self.find(item_id)
        if row is None:
            return False
        return self.set_quantity(item_id, self._lines[row].quantity + count)

    def set_quantity(self, item_id: str, quantity: int) -> bool:
        """Set a line's quantity; one that cannot be (over the limit, sold out) is
        refused with ``refused(reason)``, never quietly changed."""
        row = self.find(item_id)
        if row is None:
            return False
        line = self._lines[row]
        quantity = max(0, quantity)
        if quantity > line.quantity and not line.available:
            self.refused.emit(f"{line.name} is sold out; it cannot be added now")
            return False
        if quantity > MAX_QUANTITY:
            self.refused.emit(
                f"{line.name}: at most {MAX_QUANTITY} on one ticket ({quantity} asked); "
                "place a second order for more"
            )
            return False
        notes = line.notes if quantity else ""
        return self._replace(row, replace(line, quantity=quantity, notes=notes))

    def _replace(self, row: int, line: CartLine) -> bool:
        if self._lines[row] == line:
            return False
        self._lines[row] = line
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))
        return True


class MenuFilter(QSortFilterProxyModel):
    """The menu items of one category (None: all) whose name matches the search text."""

    def __init__(self, cart: CartModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cart = cart
        self.category: str | None = None
        self._words: list[str] = []
        self.setSourceModel(cart)

    def set_category(self, category: str | None) -> None:
        with rows_filter_change(self):
            self.category = category

    def set_search(self, text: str) -> None:
        with rows_filter_change(self):
            self._words = [word for word in re.split(r"\s+", text.lower()) if word]

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        line = self._cart.line(source_row)
        if self.category is not None and line.category != self.category:
            return False
        name = line.name.lower()
        return all(word in name for word in self._words)

    def line(self, row: int) -> CartLine:
        return self._cart.line(self.mapToSource(self.index(row, 0)).row())


class TicketFilter(QSortFilterProxyModel):
    """The lines on the ticket: items with a quantity."""

    def __init__(self, cart: CartModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cart = cart
        self.setSourceModel(cart)

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        return self._cart.line(source_row).quantity > 0

    def line(self, row: int) -> CartLine:
        return self._cart.line(self.mapToSource(self.index(row, 0)).row())
