"""The menu tree: categories and their items, availability changed in place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QModelIndex, Qt

from tests.ui.models.signals import Signals
from ui.models._table import STATUS_ROLE
from ui.models.menu import Availability, MenuItemRow, MenuModel

Check = Callable[[Any], Any]
MARGHERITA = MenuItemRow("margherita", "Margherita", "Pizza", 1200, True)
DIAVOLA = MenuItemRow("diavola", "Diavola", "Pizza", 1450, True)
FRIES = MenuItemRow("fries", "Fries", "Sides", 450, True)


def tree(model: MenuModel) -> dict[str, list[tuple[str, str, str]]]:
    shown: dict[str, list[tuple[str, str, str]]] = {}
    for row in range(model.rowCount()):
        category = model.index(row, 0)
        shown[category.data()] = [
            tuple(model.index(child, c, category).data() for c in range(3))
            for child in range(model.rowCount(category))
        ]
    return shown


def test_items_by_category(checked: Check) -> None:
    model = checked(MenuModel())
    model.sync([MARGHERITA, DIAVOLA, FRIES])
    assert tree(model) == {
        "Pizza": [("Margherita", "12.00", "Available"), ("Diavola", "14.50", "Available")],
        "Sides": [("Fries", "4.50", "Available")],
    }
    assert model.parent(model.index_of("fries")).data() == "Sides"
    assert model.item(model.index(0, 0)) is None  # a category is not an item


def test_sold_out_changes_one_item_in_place(checked: Check) -> None:
    model = checked(MenuModel())
    model.sync([MARGHERITA, DIAVOLA, FRIES])
    signals = Signals(model)
    model.upsert(replace(DIAVOLA, available=False))
    assert signals.resets == 0
    assert signals.counts["rowsInserted"] == signals.counts["rowsRemoved"] == 0
    diavola = model.index_of("diavola", MenuModel.STATUS)
    assert (diavola.data(), diavola.data(STATUS_ROLE)) == ("Sold out", Availability.SOLD_OUT)
    assert model.index_of("diavola").data(Qt.ItemDataRole.FontRole).strikeOut()
    assert model.index(0, MenuModel.STATUS).data() == "1 sold out"  # its category says so


def test_new_and_gone_items_are_single_rows(checked: Check) -> None:
    model = checked(MenuModel())
    model.sync([MARGHERITA, FRIES])
    signals = Signals(model)
    model.sync([MARGHERITA, DIAVOLA])
    assert tree(model) == {
        "Pizza": [("Margherita", "12.00", "Available"), ("Diavola", "14.50", "Available")]
    }
    assert signals.resets == 0
    assert model.rowCount(QModelIndex()) == 1  # the emptied category went with its item
