"""The New order dialog's cart: quantities and notes per menu item, live availability."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.models.signals import Signals
from ui.models.cart import CartLine, CartModel, MenuFilter, TicketFilter
from ui.models.modifiers import Modifier, ModifierGroup

Check = Callable[[Any], Any]
MENU = [
    CartLine("margherita", "Margherita", "Pizza", 1200, True),
    CartLine("diavola", "Diavola", "Pizza", 1450, True),
    CartLine("fries", "Fries", "Sides", 450, True),
    CartLine("sweet-fries", "Sweet potato fries", "Sides", 550, True),
]


@pytest.fixture
def cart(checked: Check) -> CartModel:
    model: CartModel = checked(CartModel())
    model.set_menu(MENU)
    return model


def test_quantities_notes_and_the_total(cart: CartModel) -> None:
    signals = Signals(cart)
    cart.add("margherita")
    cart.add("margherita")
    cart.add("fries")
    assert cart.setData(cart.index(0, CartModel.NOTES), "no basil")
    assert [(line.id, line.quantity, line.notes) for line in cart.ticket] == [
        ("margherita", 2, "no basil"),
        ("fries", 1, ""),
    ]
    assert cart.total_cents == 2850
    assert cart.index(0, CartModel.TOTAL).data() == "24.00"
    assert signals.resets == 0 and signals.counts["rowsInserted"] == 0
    assert {name for name, *_ in signals.ranges} == {"dataChanged"}


def test_over_the_limit_is_refused_with_a_reason_never_quietly_changed(cart: CartModel) -> None:
    refused: list[str] = []
    cart.refused.connect(refused.append)
    cart.set_quantity("fries", 3)
    assert not cart.setData(cart.index(2, CartModel.QUANTITY), 99999)
    assert cart.ticket[0].quantity == 3  # not 99
    assert refused == [
        "Fries: at most 99 on one ticket (99999 asked); place a second order for more"
    ]
    assert cart.set_quantity("fries", 99)
    assert not cart.add("fries")
    assert not cart.setData(cart.index(2, CartModel.NOTES), "x" * 501)
    assert "a note is at most 500 characters (501 given)" in refused[-1]
    assert cart.setData(cart.index(2, CartModel.NOTES), "x" * 500)


def test_a_sold_out_item_is_refused_with_its_name(cart: CartModel) -> None:
    refused: list[str] = []
    cart.refused.connect(refused.append)
    cart.set_menu([*MENU[:1], CartLine("diavola", "Diavola", "Pizza", 1450, False), *MENU[2:]])
    assert not cart.add("diavola")
    assert refused == ["Diavola is sold out; it cannot be added now"]


def test_zero_drops_the_note(cart: CartModel) -> None:
    cart.set_quantity("fries", 2)
    cart.setData(cart.index(2, CartModel.NOTES), "extra salt")
    assert cart.setData(cart.index(2, CartModel.QUANTITY), 0)
    assert cart.ticket == []
    assert cart.line(2).notes == ""
    assert not cart.setData(cart.index(2, CartModel.QUANTITY), "many")


def test_an_item_that_runs_out_greys_out_but_stays_removable(cart: CartModel) -> None:
    cart.add("diavola", 2)
    signals = Signals(cart)
    cart.set_menu([*MENU[:1], CartLine("diavola", "Diavola", "Pizza", 1450, False), *MENU[2:]])
    assert signals.ranges == [("dataChanged", 1, 1)]
    assert cart.ticket[0].quantity == 2  # kept: staff decide
    assert cart.index(1, CartModel.ITEM).data() == "Diavola (sold out)"
    assert not cart.add("diavola")  # no more of it
    assert cart.flags(cart.index(1, CartModel.QUANTITY)) & Qt.ItemFlag.ItemIsEditable
    assert cart.set_quantity("diavola", 0)
    assert not cart.flags(cart.index(1, CartModel.ITEM)) & Qt.ItemFlag.ItemIsEnabled


def test_a_new_menu_item_is_inserted_in_menu_order(cart: CartModel) -> None:
    signals = Signals(cart)
    cart.set_menu([*MENU[:2], CartLine("marinara", "Marinara", "Pizza", 1050, True), *MENU[2:]])
    assert signals.ranges == [("rowsInserted", 2, 2)]
    assert cart.categories == ["Pizza", "Sides"]


def test_the_menu_filters_by_category_and_words(checked: Check, cart: CartModel) -> None:
    menu = checked(MenuFilter(cart))
    menu.set_category("Sides")
    assert [menu.line(row).id for row in range(menu.rowCount())] == ["fries", "sweet-fries"]
    menu.set_search("potato SWEET")
    assert [menu.line(row).id for row in range(menu.rowCount())] == ["sweet-fries"]
    menu.set_category(None)
    menu.set_search("")
    assert menu.rowCount() == 4


def test_the_ticket_shows_lines_with_a_quantity(checked: Check, cart: CartModel) -> None:
    ticket = checked(TicketFilter(cart))
    signals = Signals(ticket)
    cart.add("sweet-fries")
    cart.add("margherita")
    assert [ticket.line(row).id for row in range(ticket.rowCount())] == [
        "margherita",
        "sweet-fries",
    ]
    cart.set_quantity("margherita", 0)
    assert ticket.rowCount() == 1
    assert signals.resets == 0


DONENESS = ModifierGroup(
    "doneness", "Doneness", 1, 1, (Modifier("rare", "rare"), Modifier("medium", "medium"))
)
EXTRAS = ModifierGroup(
    "extras",
    "Extras",
    0,
    2,
    (Modifier("cheese", "extra cheese", 150), Modifier("bacon", "bacon", 200)),
)
WITH_GROUPS = [
    CartLine("steak", "Steak frites", "Mains", 2650, True, groups=(DONENESS,)),
    CartLine("burger", "Smash burger", "Mains", 1450, True, groups=(EXTRAS,)),
    *MENU,
]


def test_the_same_item_with_other_choices_gets_a_line_of_its_own(checked: Check) -> None:
    cart: CartModel = checked(CartModel())
    cart.set_menu(WITH_GROUPS)
    ticket = checked(TicketFilter(cart))
    menu = checked(MenuFilter(cart))
    assert cart.add_chosen("burger", ["bacon", "cheese"], [])
    assert cart.add_chosen("burger", ["cheese", "bacon"], [])  # the same choices: that line
    assert cart.add_chosen("burger", [], ["MILK"])  # other choices: a line of its own
    lines = [ticket.line(row) for row in range(ticket.rowCount())]
    assert [(line.key, line.quantity, line.modifiers, line.allergens) for line in lines] == [
        ("burger", 2, ("cheese", "bacon"), ()),
        ("burger#1", 1, (), ("MILK",)),
    ]
    assert lines[0].unit_cents == 1450 + 150 + 200
    assert cart.total_cents == 2 * 1800 + 1450
    assert lines[0].choices_text == "+ extra cheese, + bacon"
    # The menu lists the burger once, counting all of it.
    burger = next(row for row in range(menu.rowCount()) if menu.line(row).id == "burger")
    assert menu.index(burger, CartModel.QUANTITY).data() == "3"
    # A new menu keeps both lines and their choices; the second goes at 0.
    cart.set_menu(WITH_GROUPS)
    assert [line.key for line in cart.ticket] == ["burger", "burger#1"]
    assert cart.set_quantity("burger#1", 0)
    assert [line.key for line in cart.ticket] == ["burger"]
    assert cart.rowCount() == len(WITH_GROUPS)


def test_a_required_choice_left_open_is_said_on_the_line(cart: CartModel) -> None:
    cart.set_menu(WITH_GROUPS)
    assert cart.add("steak")
    row = cart.find("steak")
    assert row is not None
    assert cart.line(row).missing == "choose Doneness (rare, medium)"
    assert cart.index(row, CartModel.CHOICES).data() == "Choose Doneness (rare, medium)"
    assert cart.set_choices("steak", ["medium"], ["GLUTEN"])
    assert cart.line(row).missing is None
    assert cart.index(row, CartModel.CHOICES).data() == "medium, \N{WARNING SIGN} GLUTEN"
    assert cart.set_quantity("steak", 0)
    assert (cart.line(row).modifiers, cart.line(row).allergens) == ((), ())
