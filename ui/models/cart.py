"""The New order dialog's data: every menu item with its quantity and note on this ticket.

A line is a menu item with its choices (modifiers and the guest's allergens). Each item
has one line in menu order; the same item taken again with other choices gets a line of
its own right under it (two burgers, one well done), which the menu does not list.
"""

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
from ui.models.modifiers import Modifier, ModifierGroup, modifier_label

Index = QModelIndex | QPersistentModelIndex

MAX_QUANTITY = 99  # the API's limit for one line
MAX_NOTE_CHARS = 500  # the API's limit for any text
SOLD_OUT = QColor("#c62828")
# A line's choices, for the cell that draws them (modifiers plain, allergens bold red).
CHOICES_ROLE = Qt.ItemDataRole.UserRole + 1
RIGHT = int((Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value)
CENTER = int(Qt.AlignmentFlag.AlignCenter.value)


def money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


@dataclass(frozen=True, slots=True)
class ChoiceParts:
    """What a ticket line's Choices cell says, part by part."""

    missing: str | None  # "Choose Doneness (rare, …)", or None
    modifiers: tuple[str, ...]  # "well done", "+ extra cheese"
    allergens: tuple[str, ...]  # "SESAME", "TREE_NUTS"


@dataclass(frozen=True, slots=True)
class CartLine:
    """A menu item, and how many of it (with what note and choices) this ticket asks for."""

    id: str
    name: str
    category: str
    price_cents: int  # the item's own price, without modifiers
    available: bool
    stock: int | None = None  # how many are left; None: not counted
    quantity: int = 0
    notes: str = ""
    groups: tuple[ModifierGroup, ...] = ()  # the item's modifier groups, from the menu
    modifiers: tuple[str, ...] = ()  # the chosen modifiers' ids, in menu order
    allergens: tuple[str, ...] = ()  # the guest's, for this line (the API's names)
    variant: int = 0  # 0: the item's own line; n: its n-th other line (other choices)

    @property
    def key(self) -> str:
        """The line's identity on the ticket: the item's id for its own line."""
        return self.id if not self.variant else f"{self.id}#{self.variant}"

    @property
    def chosen(self) -> tuple[Modifier, ...]:
        ids = set(self.modifiers)
        return tuple(m for group in self.groups for m in group.modifiers if m.id in ids)

    @property
    def unit_cents(self) -> int:
        """One of it with its modifiers, as the server will price it."""
        return self.price_cents + sum(modifier.price_cents for modifier in self.chosen)

    @property
    def total_cents(self) -> int:
        return self.quantity * self.unit_cents

    @property
    def missing(self) -> str | None:
        """The first required choice still to make ("choose Doneness (rare, …)"), or None."""
        for group in self.groups:
            found = group.missing(self.modifiers)
            if found is not None:
                return found
        return None

    @property
    def choice_parts(self) -> ChoiceParts:
        """The line's choices apart: the requirement still open, the modifiers as the
        ticket reads them, the allergens (the API's names)."""
        missing = self.missing
        return ChoiceParts(
            None if missing is None else missing[0].upper() + missing[1:],
            tuple(modifier_label(m.name, m.price_cents) for m in self.chosen),
            self.allergens,
        )

    @property
    def choices_text(self) -> str:
        """The line's modifiers and allergens, as the ticket shows them."""
        parts = [modifier_label(m.name, m.price_cents) for m in self.chosen]
        if self.allergens:
            parts.append(
                "\N{WARNING SIGN} " + ", ".join(a.replace("_", " ") for a in self.allergens)
            )
        missing = self.missing
        if missing is not None:
            parts.insert(0, missing[0].upper() + missing[1:])
        return ", ".join(parts)

    def with_choices(self, modifiers: Iterable[str], allergens: Iterable[str]) -> CartLine:
        """This line with these choices: modifiers kept in menu order, only the item's."""
        wanted = set(modifiers)
        ids = tuple(m.id for group in self.groups for m in group.modifiers if m.id in wanted)
        named = set(allergens)
        return replace(self, modifiers=ids, allergens=tuple(sorted(named, key=_allergen_order)))

    @classmethod
    def of(cls, item: dict[str, Any]) -> CartLine:
        return cls(
            id=str(item["id"]),
            name=str(item["name"]),
            category=str(item["category"]),
            price_cents=int(item["priceCents"]),
            available=bool(item["available"]),
            stock=None if item.get("stock") is None else int(item["stock"]),
            groups=tuple(ModifierGroup.of(group) for group in item.get("modifierGroups") or ()),
        )


# The API's Allergen enum (the 14 EU allergens), in its order.
ALLERGENS = (
    "GLUTEN",
    "CRUSTACEANS",
    "EGGS",
    "FISH",
    "PEANUTS",
    "SOY",
    "MILK",
    "TREE_NUTS",
    "CELERY",
    "MUSTARD",
    "SESAME",
    "SULPHITES",
    "LUPIN",
    "MOLLUSCS",
)


def _allergen_order(name: str) -> int:
    return ALLERGENS.index(name) if name in ALLERGENS else len(ALLERGENS)


class CartModel(QAbstractTableModel):
    """Columns: item, price, quantity (editable), note (editable), line total, choices.

    ``refused(reason)``: a change asked for could not be made (sold out, over a limit).
    """

    refused = Signal(str)

    ITEM, PRICE, QUANTITY, NOTES, TOTAL, CHOICES = range(6)
    HEADERS = ("Item", "Price", "Qty", "Note", "Total", "Choices")

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
        if column == self.CHOICES:
            return self._choices(line, role)
        return None

    @staticmethod
    def _choices(line: CartLine, role: int) -> Any:
        if role == Qt.ItemDataRole.ForegroundRole and (line.missing or line.allergens):
            return SOLD_OUT  # a choice still to make, or an allergy: red, like the board
        if role == Qt.ItemDataRole.ToolTipRole:
            return "Double-click or F4 to choose modifiers and allergies"
        if role == CHOICES_ROLE:
            return line.choice_parts
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
        if column == self.CHOICES:
            return line.choices_text
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
            return self.set_quantity(line.key, quantity)
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

    def find(self, key: str) -> int | None:
        """The row of the line ``key`` (an item's id: its own line)."""
        for row, line in enumerate(self._lines):
            if line.key == key:
                return row
        return None

    def quantity_of(self, item_id: str) -> int:
        """How many of the item the ticket asks for, over all its lines."""
        return sum(line.quantity for line in self._lines if line.id == item_id)

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
        row = 0  # where the next item's lines are, or go
        for item in items:
            found = self.find(item.id)
            if found is None:
                self.beginInsertRows(QModelIndex(), row, row)
                self._lines.insert(row, item)
                self.endInsertRows()
                row += 1
                continue
            row = found
            while row < len(self._lines) and self._lines[row].id == item.id:
                current = self._lines[row]
                fresh = replace(
                    item,
                    quantity=current.quantity,
                    notes=current.notes,
                    variant=current.variant,
                ).with_choices(current.modifiers, current.allergens)
                self._replace(row, fresh)
                row += 1

    def add(self, item_id: str, count: int = 1) -> bool:
        row = self.find(item_id)
        if row is None:
            return False
        return self.set_quantity(item_id, self._lines[row].quantity + count)

    def add_chosen(self, item_id: str, modifiers: Iterable[str], allergens: Iterable[str]) -> bool:
        """One more of the item with these choices: on the line that has the same, else
        on the item's own line if it is not on the ticket yet, else on a new line under
        the item's others."""
        row = self.find(item_id)
        if row is None:
            return False
        if not self._lines[row].available:  # refused, with the reason
            return self.set_quantity(item_id, self._lines[row].quantity + 1)
        wanted = self._lines[row].with_choices(modifiers, allergens)
        last = row
        for found in range(row, len(self._lines)):
            line = self._lines[found]
            if line.id != item_id:
                break
            last = found
            if line.quantity and (line.modifiers, line.allergens) == (
                wanted.modifiers,
                wanted.allergens,
            ):
                return self.set_quantity(line.key, line.quantity + 1)
        if not self._lines[row].quantity:
            return self._replace(row, replace(wanted, quantity=1, notes=""))
        variant = 1 + max(line.variant for line in self._lines[row : last + 1])
        self.beginInsertRows(QModelIndex(), last + 1, last + 1)
        self._lines.insert(last + 1, replace(wanted, quantity=1, notes="", variant=variant))
        self.endInsertRows()
        return True

    def set_choices(self, key: str, modifiers: Iterable[str], allergens: Iterable[str]) -> bool:
        """Change the choices of the line ``key`` (all of its quantity)."""
        row = self.find(key)
        if row is None:
            return False
        return self._replace(row, self._lines[row].with_choices(modifiers, allergens))

    def set_quantity(self, key: str, quantity: int) -> bool:
        """Set a line's quantity; one that cannot be (over the limit, sold out) is
        refused with ``refused(reason)``, never quietly changed. An item's other line
        taken down to 0 goes; its own line stays in the menu."""
        row = self.find(key)
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
        if not quantity and line.variant:
            self.beginRemoveRows(QModelIndex(), row, row)
            del self._lines[row]
            self.endRemoveRows()
            return True
        if not quantity:  # off the ticket: what was asked for it goes too
            return self._replace(
                row, replace(line, quantity=0, notes="", modifiers=(), allergens=())
            )
        return self._replace(row, replace(line, quantity=quantity))

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
        if line.variant:  # an item's other line is on the ticket, not in the menu
            return False
        if self.category is not None and line.category != self.category:
            return False
        name = line.name.lower()
        return all(word in name for word in self._words)

    def line(self, row: int) -> CartLine:
        return self._cart.line(self.mapToSource(self.index(row, 0)).row())

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and index.column() == CartModel.QUANTITY:
            # The menu counts the item over all its lines (two burgers cooked two ways: 2).
            count = self._cart.quantity_of(self.line(index.row()).id)
            return str(count) if count else ""
        return super().data(index, role)


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
