"""Modifiers and a line's allergies in the New order dialog, on the real window against a
real backend: the chooser opens when an item with choices is added, a required choice
left open refuses Send with what to choose, and the order's card lists the modifiers
under their line."""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QTextFormat
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QCheckBox, QRadioButton, QStyleOptionViewItem
from pytestqt.qtbot import QtBot

from tests.ui.conftest import WAIT_MS
from tests.ui.test_new_order import opened
from ui.main_window import MainWindow
from ui.models.cart import CartModel
from ui.models.modifiers import MINUS
from ui.models.orders import OrderRow
from ui.views.line_choices import LineChoicesDialog
from ui.views.new_order import NewOrderDialog
from ui.views.order_card import ALLERGY_SIGN, MARGIN_X, Style, card_lines


def add_plain(dialog: NewOrderDialog, words: str) -> None:
    """Type ``words`` in the search and press Enter, as staff do."""
    dialog.search.clear()
    QTest.keyClicks(dialog.search, words)
    QTest.keyClick(dialog.search, Qt.Key.Key_Return)


def choices_of_line(qtbot: QtBot, dialog: NewOrderDialog, row: int) -> LineChoicesDialog:
    """F4 on ticket line ``row``: its chooser."""
    dialog.ticket_table.setFocus()
    dialog.ticket_table.selectRow(row)
    QTest.keyClick(dialog.ticket_table, Qt.Key.Key_F4)
    qtbot.waitUntil(
        lambda: dialog.chooser is not None and dialog.chooser.isVisible(), timeout=WAIT_MS
    )
    assert dialog.chooser is not None
    return dialog.chooser


def add_from_menu(qtbot: QtBot, dialog: NewOrderDialog, words: str) -> LineChoicesDialog:
    """Enter on an item with a required choice: the chooser it opens."""
    add_plain(dialog, words)
    qtbot.waitUntil(
        lambda: dialog.chooser is not None and dialog.chooser.isVisible(), timeout=WAIT_MS
    )
    assert dialog.chooser is not None
    return dialog.chooser


def click(qtbot: QtBot, chooser: LineChoicesDialog, *modifier_ids: str) -> None:
    for modifier_id in modifier_ids:
        QTest.mouseClick(chooser.boxes[modifier_id], Qt.MouseButton.LeftButton)


def test_modifiers_and_a_lines_allergies_reach_the_card(qtbot: QtBot, window: MainWindow) -> None:
    controller = opened(qtbot, window)
    dialog = controller.view

    # A steak: its chooser says the doneness is required; staff add it undecided.
    chooser = add_from_menu(qtbot, dialog, "steak")
    required = chooser.missing["steak-doneness"]
    assert required.isVisibleTo(chooser)
    assert "Required: choose Doneness (rare, medium rare, medium, well done)" in required.text()
    QTest.mouseClick(chooser.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.chooser is None, timeout=WAIT_MS)
    assert [line.name for line in dialog.cart.ticket] == ["Steak frites"]

    # Send is refused, saying what to choose; nothing reaches the server.
    QTest.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.items_error.isVisibleTo(dialog)
    assert dialog.items_error.text() == (
        "Steak frites: choose Doneness (rare, medium rare, medium, well done) before the "
        "order is sent; double-click the line (or F4) to choose."
    )
    assert dialog.place.isEnabled()
    assert not window.board.model.orders

    # F4 on the line: choose it there.
    chooser = choices_of_line(qtbot, dialog, 0)
    click(qtbot, chooser, "steak-rare", "steak-medium-rare")  # a single choice: the last stays
    assert chooser.modifier_ids() == ["steak-medium-rare"]
    assert not chooser.missing["steak-doneness"].isVisibleTo(chooser)
    QTest.mouseClick(chooser.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.chooser is None, timeout=WAIT_MS)

    # A burger (its choices are optional: added at once), then F4 on its line: extra
    # cheese and no onion, and a milk allergy on that line only.
    add_plain(dialog, "smash")
    chooser = choices_of_line(qtbot, dialog, 0)
    click(qtbot, chooser, "burger-extra-cheese", "burger-no-onion")
    QTest.mouseClick(chooser.allergy_boxes["MILK"], Qt.MouseButton.LeftButton)
    assert chooser.price.text() == "Each 16.00"  # 14.50 + 1.50
    QTest.mouseClick(chooser.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.chooser is None, timeout=WAIT_MS)
    assert dialog.total.text() == "2 items  ·  Total 42.50"  # 26.50 + 16.00
    if folder := os.environ.get("PASSLINE_MODIFIER_SHOTS"):  # to look at them
        dialog.grab().save(str(Path(folder) / "new-order-modifiers.png"))

    QTest.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(window.board.model.orders) == 1, timeout=WAIT_MS)
    order = window.board.model.orders[0]
    assert order.total_cents == 4250
    burger, steak = order.items  # in menu order, as the ticket lists them
    assert [m.label for m in steak.modifiers] == ["medium rare"]
    assert [m.label for m in burger.modifiers] == ["+ extra cheese", f"{MINUS} no onion"]
    assert (steak.allergens, burger.allergens) == ((), ("MILK",))
    card_shows_them(qtbot, window, order.id)


def card_shows_them(qtbot: QtBot, window: MainWindow, order_id: str) -> None:
    """The card: each modifier on its own line under its item, as large as the item,
    after the line's allergy."""
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: grid.ticket_rect(order_id) is not None, timeout=WAIT_MS)
    rect = grid.ticket_rect(order_id)
    assert rect is not None
    shown = window.board.model.get(order_id)
    assert shown is not None
    card = grid.delegate.layout(shown, rect.width() - 2 * MARGIN_X, grid.font())
    texts = [(line.text, line.style) for line in card.lines]
    start = texts.index(("1\N{MULTIPLICATION SIGN}  Smash burger", Style.ITEM))
    assert texts[start + 1 : start + 4] == [
        (f"{ALLERGY_SIGN} ALLERGY: MILK", Style.ALLERGY),
        ("+ extra cheese", Style.MODIFIER),
        (f"{MINUS} no onion", Style.MODIFIER),
    ]
    assert ("medium rare", Style.MODIFIER) in texts
    fonts = grid.delegate.fonts(grid.font())
    modifier = next(line for line in card.lines if line.style is Style.MODIFIER)
    assert modifier.font.pointSizeF() == fonts.base.pointSizeF()
    if folder := os.environ.get("PASSLINE_MODIFIER_SHOTS"):
        grid.grab().save(str(Path(folder) / "card-modifiers.png"))


def test_the_same_item_chosen_two_ways_is_two_lines_of_one_order(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = opened(qtbot, window).view
    add_plain(dialog, "smash")
    chooser = choices_of_line(qtbot, dialog, 0)
    assert chooser.confirm.text() == "Apply"
    click(qtbot, chooser, "burger-well-done")
    QTest.mouseClick(chooser.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.chooser is None, timeout=WAIT_MS)
    # Enter again: a plain one, on a line of its own beside the well done one.
    add_plain(dialog, "smash")
    chooser = choices_of_line(qtbot, dialog, 1)
    click(qtbot, chooser, "burger-medium")
    QTest.mouseClick(chooser.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.chooser is None, timeout=WAIT_MS)
    sent = dialog.order_input()["items"]
    assert [(line["menuItemId"], line["modifierIds"]) for line in sent] == [
        ("burger", ["burger-well-done"]),
        ("burger", ["burger-medium"]),
    ]
    # A steak's chooser cancelled adds nothing.
    chooser = add_from_menu(qtbot, dialog, "steak")
    chooser.reject()
    qtbot.waitUntil(lambda: dialog.chooser is None, timeout=WAIT_MS)
    assert sum(line.quantity for line in dialog.cart.ticket) == 2
    dialog.request_place()
    qtbot.waitUntil(lambda: len(window.board.model.orders) == 1, timeout=WAIT_MS)
    items = window.board.model.orders[0].items
    assert [[m.name for m in item.modifiers] for item in items] == [["well done"], ["medium"]]


def test_a_made_lines_modifiers_are_struck_through_with_it() -> None:
    order = OrderRow.of(
        {
            "id": "o1",
            "number": 7,
            "status": "IN_KITCHEN",
            "channel": "COUNTER",
            "fulfillment": "TAKEAWAY",
            "items": [
                {
                    "name": "Smash burger",
                    "quantity": 1,
                    "unitPriceCents": 1600,
                    "done": True,
                    "modifiers": [{"name": "extra cheese", "priceCents": 150}],
                },
                {
                    "name": "Steak frites",
                    "quantity": 1,
                    "unitPriceCents": 2650,
                    "modifiers": [{"name": "well done", "priceCents": 0}],
                },
            ],
            "totalCents": 4250,
            "createdAt": "2026-12-06T12:00:00+00:00",
            "updatedAt": "2026-12-06T12:00:00+00:00",
        }
    )
    shown = [(line.text, line.done) for line in card_lines(order) if line.style is Style.MODIFIER]
    assert shown == [("+ extra cheese", True), ("well done", False)]


def test_a_choose_one_group_is_radio_buttons_and_an_optional_one_check_boxes(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = opened(qtbot, window).view
    chooser = add_from_menu(qtbot, dialog, "steak")
    doneness = [chooser.boxes[f"steak-{name}"] for name in ("rare", "medium-rare", "well-done")]
    assert all(isinstance(box, QRadioButton) for box in doneness)
    assert isinstance(chooser.boxes["steak-pepper-sauce"], QCheckBox)  # Sauce: optional
    click(qtbot, chooser, "steak-rare", "steak-well-done")
    assert [box.isChecked() for box in doneness] == [False, False, True]
    # The optional sauces still come and go with a click.
    click(qtbot, chooser, "steak-pepper-sauce", "steak-pepper-sauce")
    assert chooser.modifier_ids() == ["steak-well-done"]
    chooser.reject()


def test_a_lines_allergies_are_bold_red_and_apart_from_its_modifiers(
    qtbot: QtBot, window: MainWindow
) -> None:
    controller = opened(qtbot, window)
    dialog = controller.view
    assert controller.cart.add_chosen("burger", ["burger-well-done", "burger-bacon"], ["SESAME"])
    table = dialog.ticket_table
    qtbot.waitUntil(lambda: table.model().rowCount() == 1, timeout=WAIT_MS)
    index = table.model().index(0, CartModel.CHOICES)
    option = QStyleOptionViewItem()
    option.initFrom(table)
    option.rect = table.visualRect(index)
    # The document the cell draws, fragment by fragment: (bold, colour) of each text.
    document = dialog.choices_cell.document(option, index)
    styles: dict[str, tuple[bool, str | None]] = {}
    block = document.begin()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            chars = fragment.charFormat()
            colored = chars.hasProperty(QTextFormat.Property.ForegroundBrush)
            styles[fragment.text().strip()] = (
                chars.fontWeight() >= QFont.Weight.Bold,
                chars.foreground().color().name() if colored else None,
            )
            fragments += 1
        block = block.next()
    assert styles["well done, + bacon"] == (False, None)  # plain, in the table's colour
    assert styles[f"{ALLERGY_SIGN} SESAME"] == (True, "#c62828")  # bold, allergy red
    # On a line of its own: never read as one more modifier.
    lines = document.toPlainText().splitlines()
    assert lines == ["well done, + bacon", f"{ALLERGY_SIGN} SESAME"]
