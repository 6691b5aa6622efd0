"""The menu panel on the real window: an item marked sold out and back, and a change
made at another till showing up live."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from tests.ui.panels import click, execute, menu, wait_for
from ui.main_window import MainWindow

SET_AVAILABLE = """
mutation ($id: ID!, $available: Boolean!) {
  setMenuItemAvailable(menuItemId: $id, available: $available) { available }
}
"""


def test_an_item_marked_sold_out_and_available_again(qtbot: QtBot, window: MainWindow) -> None:
    panel = menu(window)
    wait_for(qtbot, lambda: panel.model.get("diavola"))
    assert panel.model.index_of("diavola").parent().data() == "Pizza"
    view = panel.view
    view.select("diavola")
    assert view.toggle_button.text() == "Mark Diavola sold out"

    click(view.toggle_button)
    wait_for(qtbot, lambda: not panel.model.get("diavola").available)  # type: ignore[union-attr]
    assert panel.model.index_of("diavola", 2).data() == "Sold out"
    assert view.toggle_button.text() == "Diavola available again"
    # The live event can come before the mutation's answer, which writes the status line.
    wait_for(qtbot, lambda: view.status.text() == "Diavola is sold out")

    click(view.toggle_button)
    wait_for(qtbot, lambda: panel.model.get("diavola").available)  # type: ignore[union-attr]
    assert panel.model.index_of("diavola", 2).data() == "Available"


def test_a_change_at_another_till_shows_live(qtbot: QtBot, window: MainWindow) -> None:
    panel = menu(window)
    wait_for(qtbot, lambda: panel.model.get("fries"))
    # Another till's request: the panel learns of it only through the live event log.
    execute(qtbot, window, SET_AVAILABLE, {"id": "fries", "available": False})
    wait_for(qtbot, lambda: not panel.model.get("fries").available)  # type: ignore[union-attr]
    sides = panel.model.index_of("fries").parent()
    assert panel.model.index(sides.row(), 2).data() == "1 sold out"
    execute(qtbot, window, SET_AVAILABLE, {"id": "fries", "available": True})
    wait_for(qtbot, lambda: panel.model.get("fries").available)  # type: ignore[union-attr]
