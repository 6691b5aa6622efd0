"""Stock on the real window: set in the Menu tab, amber when low, and what is left shown
in the New order dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from tests.ui.conftest import WAIT_MS
from tests.ui.panels import click, menu, wait_for
from ui.main_window import MainWindow
from ui.models.menu import LOW_STOCK_COLOR, MenuModel


def stock_cell(window: MainWindow, item_id: str) -> tuple[str, object]:
    index = menu(window).model.index_of(item_id, MenuModel.STOCK)
    return index.data(), index.data(Qt.ItemDataRole.ForegroundRole)


def test_stock_set_in_the_menu_tab_shows_amber_when_low_and_in_new_order(
    qtbot: QtBot, window: MainWindow
) -> None:
    panel = menu(window)
    wait_for(qtbot, lambda: panel.model.get("quattro-formaggi"))
    assert stock_cell(window, "quattro-formaggi") == ("not counted", None)
    view = panel.view
    view.select("quattro-formaggi")
    assert view.stock_box.text() == "Not counted"

    view.stock_box.setValue(12)
    click(view.stock_button)
    wait_for(qtbot, lambda: panel.model.get("quattro-formaggi").stock == 12)  # type: ignore[union-attr]
    assert stock_cell(window, "quattro-formaggi") == ("12", None)  # above the low level (5)

    view.stock_box.setValue(3)
    click(view.stock_button)
    wait_for(qtbot, lambda: panel.model.get("quattro-formaggi").stock == 3)  # type: ignore[union-attr]
    text, color = stock_cell(window, "quattro-formaggi")
    assert text == "3"
    assert isinstance(color, QColor) and color == LOW_STOCK_COLOR
    wait_for(qtbot, lambda: view.status.text() == "Quattro formaggi: 3 left")

    # The low level is a setting: at 2 or fewer, 3 left is no longer amber.
    window.menu_model.set_low_stock(2)
    assert stock_cell(window, "quattro-formaggi") == ("3", None)
    window.menu_model.set_low_stock(5)

    controller = window.open_new_order()
    cart = controller.cart
    qtbot.waitUntil(lambda: cart.find("quattro-formaggi") is not None, timeout=WAIT_MS)
    row = cart.find("quattro-formaggi")
    assert row is not None
    assert cart.index(row, cart.ITEM).data() == "Quattro formaggi (3 left)"
    margherita = cart.find("margherita")
    assert margherita is not None
    assert cart.index(margherita, cart.ITEM).data() == "Margherita"  # not counted: no figure

    # Stop counting it: the open dialog follows the menu_item_changed event.
    view.stock_box.setValue(-1)
    click(view.stock_button)
    qtbot.waitUntil(
        lambda: cart.index(row, cart.ITEM).data() == "Quattro formaggi", timeout=WAIT_MS
    )
    assert stock_cell(window, "quattro-formaggi") == ("not counted", None)
    controller.view.reject()
