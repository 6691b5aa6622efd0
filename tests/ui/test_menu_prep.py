"""Prep times on the real window: typed in the Menu tab, sent to the API, shown in its
Prep column (and on every screen through menu_item_changed); a refusal in the panel's
status line."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QValidator
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from tests.ui.panels import click, execute, menu, wait_for
from ui.main_window import MainWindow
from ui.models.menu import MenuModel, parse_prep_time

PREP = 'query { menu(ids: ["risotto"]) { prepSeconds } }'


def prep_cell(window: MainWindow, item_id: str) -> str:
    text: str = menu(window).model.index_of(item_id, MenuModel.PREP).data()
    return text


def test_a_prep_time_typed_in_the_menu_tab_is_the_item_s_everywhere(
    qtbot: QtBot, window: MainWindow
) -> None:
    panel = menu(window)
    view = panel.view
    wait_for(qtbot, lambda: panel.model.get("risotto"))
    assert prep_cell(window, "risotto") == "18:00"  # the seed menu's
    view.select("risotto")
    assert view.prep_box.text() == "18:00"

    # Typed as minutes:seconds, sent with Enter.
    view.prep_box.setFocus()
    view.prep_box.selectAll()
    QTest.keyClicks(view.prep_box.lineEdit(), "21:30")
    QTest.keyClick(view.prep_box.lineEdit(), Qt.Key.Key_Return)
    wait_for(qtbot, lambda: prep_cell(window, "risotto") == "21:30")
    assert execute(qtbot, window, PREP) == {"menu": [{"prepSeconds": 21 * 60 + 30}]}
    wait_for(qtbot, lambda: view.status.text() == "Mushroom risotto: 21:30 to make")
    assert not view.status.is_error

    # Set by another till: the tab follows the menu_item_changed event.
    execute(
        qtbot,
        window,
        'mutation { setMenuItemPrepTime(menuItemId: "risotto", prepSeconds: 600) { id } }',
    )
    wait_for(qtbot, lambda: prep_cell(window, "risotto") == "10:00")

    # Or with the button, the arrows' half minutes.
    view.prep_box.setValue(10 * 60)
    view.prep_box.stepBy(3)
    click(view.prep_button)
    wait_for(qtbot, lambda: prep_cell(window, "risotto") == "11:30")


def test_the_box_takes_only_a_prep_time_and_a_refusal_is_shown(
    qtbot: QtBot, window: MainWindow
) -> None:
    panel = menu(window)
    view = panel.view
    wait_for(qtbot, lambda: panel.model.get("gelato"))
    box = view.prep_box
    assert parse_prep_time("12") == 720 and parse_prep_time("1:05") == 65
    assert box.validate("12:75", 0)[0] is QValidator.State.Intermediate  # not yet a time
    assert box.validate("abc", 0)[0] is QValidator.State.Invalid
    assert box.validate("121:00", 0)[0] is QValidator.State.Intermediate  # over 2 hours
    assert box.validate("120:00", 0)[0] is QValidator.State.Acceptable

    # The item went from the menu meanwhile (as another till might): the API's refusal
    # is shown in the panel's status line, in red, and nothing else changes.
    view.select("gelato")
    panel.view.prepRequested.emit("no-such-item", 300)
    wait_for(qtbot, lambda: view.status.is_error)
    assert "Cannot set the prep time" in view.status.text()
    assert "no menu item" in view.status.text()
    assert prep_cell(window, "gelato") == "1:30"
