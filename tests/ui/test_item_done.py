"""Item-level bump on the real window against a real backend: a click on a ticket's line
or Shift+its number strikes it through, every screen sees it, and with the setting on
the last stroke bumps the ticket ready."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.ui.conftest import WAIT_MS
from tests.ui.test_board_grid import in_kitchen, rush, staff
from ui.main_window import MainWindow
from ui.models.all_day import COUNT, ITEM
from ui.models.stages import Status
from ui.views.order_card import MARGIN_X, MARGIN_Y
from ui.views.ticket_grid import TicketGrid


def done_of(window: MainWindow, order_id: str) -> list[bool] | None:
    order = window.board.model.get(order_id)
    return None if order is None else [item.done for item in order.items]


def line_point(grid: TicketGrid, order_id: str, line: int) -> QPoint:
    """Where line ``line`` of the ticket is drawn in the grid."""
    placed = next(p for p in grid.placed if p.order_id == order_id)
    order = grid.proxy.order_at(placed.row)
    card = grid.delegate.layout(order, placed.rect.width() - 2 * MARGIN_X, grid.font())
    drawn = next(text for text in card.lines if text.item == line)
    return drawn.rect.center() + placed.rect.topLeft() + QPoint(MARGIN_X, MARGIN_Y)


def test_a_struck_line_shows_on_every_screen_and_comes_back(
    qtbot: QtBot, window: MainWindow, backend: Backend, second_window: MainWindow
) -> None:
    ids = rush(backend, 3)  # the third has three lines
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: len(grid.placed) == 3, timeout=WAIT_MS)
    QTest.mouseClick(grid, Qt.MouseButton.LeftButton, pos=line_point(grid, ids[2], 1))
    qtbot.waitUntil(lambda: done_of(second_window, ids[2]) == [False, True, False], timeout=WAIT_MS)
    # Shift+3 strikes the selected (clicked) ticket's third line; Shift+2 takes the
    # second back. Qt reports the shifted character on a real keyboard: "#" for 3.
    assert grid.selected == ids[2]
    QTest.keyClick(grid, Qt.Key.Key_NumberSign, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: done_of(second_window, ids[2]) == [False, True, True], timeout=WAIT_MS)
    QTest.keyClick(grid, Qt.Key.Key_2, Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: done_of(second_window, ids[2]) == [False, False, True], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: done_of(window, ids[2]) == [False, False, True], timeout=WAIT_MS)
    # A line past the ticket's end is no key at all; the other tickets are untouched.
    QTest.keyClick(grid, Qt.Key.Key_9, Qt.KeyboardModifier.ShiftModifier)
    assert done_of(window, ids[0]) == [False] and done_of(window, ids[1]) == [False, False]
    assert status_of(second_window, ids[2]) is Status.IN_KITCHEN


def status_of(window: MainWindow, order_id: str) -> Status | None:
    order = window.board.model.get(order_id)
    return None if order is None else order.status


def test_with_the_setting_the_last_stroke_bumps_the_ticket_ready(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, 2)  # one line, then two
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: len(grid.placed) == 2, timeout=WAIT_MS)
    # Off (the default): every line struck, the ticket stays in the kitchen.
    QTest.mouseClick(grid, Qt.MouseButton.LeftButton, pos=line_point(grid, ids[0], 0))
    qtbot.waitUntil(lambda: done_of(window, ids[0]) == [True], timeout=WAIT_MS)
    assert status_of(window, ids[0]) is Status.IN_KITCHEN

    window.ready_when_done_action.trigger()
    assert window.board.ready_when_done
    QTest.mouseClick(grid, Qt.MouseButton.LeftButton, pos=line_point(grid, ids[1], 0))
    qtbot.waitUntil(lambda: done_of(window, ids[1]) == [True, False], timeout=WAIT_MS)
    assert status_of(window, ids[1]) is Status.IN_KITCHEN
    QTest.mouseClick(grid, Qt.MouseButton.LeftButton, pos=line_point(grid, ids[1], 1))
    qtbot.waitUntil(lambda: status_of(window, ids[1]) is Status.READY, timeout=WAIT_MS)
    window.close()
    assert window.settings.value("board/readyWhenDone") in (True, "true")


def test_the_all_day_panel_counts_a_rush_and_follows_it_live(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, 40)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    QTest.keyClick(window, Qt.Key.Key_F3)
    panel = window.board.view.all_day
    assert panel.isVisible() and window.all_day_action.isChecked()

    def shown() -> dict[str, int]:
        model = panel.table.model()
        return {
            str(model.index(row, ITEM).data()): int(model.index(row, COUNT).data())
            for row in range(model.rowCount())
        }

    # What rush() placed: order n has lines MENU[(n + k) % len(MENU)] x (1 + k).
    want: dict[str, int] = {}
    for order_id in ids:
        for item in window.board.model.get(order_id).items:  # type: ignore[union-attr]
            want[item.name] = want.get(item.name, 0) + item.quantity
    assert sum(want.values()) == sum((1 + n % 3) * (2 + n % 3) // 2 for n in range(40))
    qtbot.waitUntil(lambda: shown() == want, timeout=WAIT_MS)
    # Grouped by station (the seed menu sets them), most first within each.
    rows = panel.model.by_station()
    for station in {station for station, _, _ in rows}:
        counts = [count for where, _, count in rows if where == station]
        assert counts == sorted(counts, reverse=True)

    # Another terminal strikes a line and bumps a ticket: the counts follow.
    first = window.board.model.get(ids[0])
    assert first is not None
    line = first.items[0]
    staff(backend, "mutation($id: ID!) { markItemDone(orderId: $id, line: 0) { id } }", ids[0])
    want[line.name] -= line.quantity
    qtbot.waitUntil(lambda: shown() == {k: v for k, v in want.items() if v}, timeout=WAIT_MS)
    bumped = window.board.model.get(ids[2])
    assert bumped is not None
    staff(backend, "mutation($id: ID!) { markReady(orderId: $id) { id } }", ids[2])
    for item in bumped.items:
        want[item.name] -= item.quantity
    qtbot.waitUntil(lambda: shown() == {k: v for k, v in want.items() if v}, timeout=WAIT_MS)
    QTest.keyClick(window, Qt.Key.Key_F3)
    assert not panel.isVisible()
