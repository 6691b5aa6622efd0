"""An order's whole life on the real window against a real backend: placed through the
New order dialog with keys and clicks, moved by the handlers, then by staff."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from ui.main_window import MainWindow
from ui.models.orders import OrderRow
from ui.models.stages import Action, Stage, Status

WAIT_MS = 10_000


def stages_seen(window: MainWindow) -> dict[str, list[Stage]]:
    """Every stage each order was shown in, in order, from now on."""
    seen: dict[str, list[Stage]] = {}
    model = window.board.model

    def record(first: int, last: int) -> None:
        for row in range(first, last + 1):
            order = model.order_at(row)
            stages = seen.setdefault(order.id, [])
            if not stages or stages[-1] is not order.stage:
                stages.append(order.stage)

    model.rowsInserted.connect(lambda _parent, first, last: record(first, last))
    model.dataChanged.connect(lambda top, bottom, _roles: record(top.row(), bottom.row()))
    return seen


def click_button(qtbot: QtBot, window: MainWindow, order: OrderRow, action: Action) -> None:
    grid = window.board.view.grid
    pos = grid.button_center(order.id, action)
    assert pos is not None, f"order #{order.number} has no {action.value} button on the page"
    QTest.mouseClick(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def test_an_order_placed_in_the_dialog_goes_through_the_board(
    qtbot: QtBot, window: MainWindow
) -> None:
    seen = stages_seen(window)
    QTest.keyClick(window, Qt.Key.Key_F2)
    assert window.new_order is not None
    dialog = window.new_order.view
    qtbot.waitUntil(lambda: dialog.isVisible() and dialog.cart.rowCount() > 20, timeout=WAIT_MS)

    # Keys: search, Enter adds the match (twice), arrow into the menu, + adds.
    QTest.keyClicks(dialog.search, "margh")
    QTest.keyClick(dialog.search, Qt.Key.Key_Return)
    QTest.keyClick(dialog.search, Qt.Key.Key_Return)
    dialog.search.clear()
    QTest.keyClicks(dialog.search, "sweet potato")
    QTest.keyClick(dialog.search, Qt.Key.Key_Down)
    QTest.keyClick(dialog.menu_table, Qt.Key.Key_Plus)
    assert [(line.name, line.quantity) for line in dialog.cart.ticket] == [
        ("Margherita", 2),
        ("Sweet potato fries", 1),
    ]
    assert "Total 29.50" in dialog.total.text()
    QTest.keyClicks(dialog.customer, "Ada Lovelace")
    QTest.keyClicks(dialog.phone, "+1 202 555 0101")
    QTest.mouseClick(dialog.place, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.new_order is None, timeout=WAIT_MS)

    model = window.board.model
    qtbot.waitUntil(lambda: len(model.orders) == 1, timeout=WAIT_MS)
    order = model.orders[0]
    assert (order.customer_name, order.phone, order.total_cents) == (
        "Ada Lovelace",
        "+12025550101",  # as the API keeps it (E.164)
        2950,
    )
    # The handlers validate, charge and send it to the kitchen with no one acting.
    qtbot.waitUntil(lambda: model.orders[0].status is Status.IN_KITCHEN, timeout=WAIT_MS)
    assert seen[order.id][0] is Stage.NEW
    assert seen[order.id][-1] is Stage.KITCHEN

    click_button(qtbot, window, model.orders[0], Action.MARK_READY)
    qtbot.waitUntil(lambda: model.orders[0].status is Status.READY, timeout=WAIT_MS)

    # The keyboard: select the card in Ready, press C.
    assert window.board.view.select(order.id)
    QTest.keyClick(window.board.view.grid, Qt.Key.Key_C)
    qtbot.waitUntil(lambda: model.orders[0].status is Status.COMPLETED, timeout=WAIT_MS)
    assert seen[order.id] == [Stage.NEW, Stage.KITCHEN, Stage.READY, Stage.DONE]
    assert window.board.view.proxies[Stage.DONE].rowCount() == 1
    assert window.board.view.proxies[Stage.NEW].rowCount() == 0
