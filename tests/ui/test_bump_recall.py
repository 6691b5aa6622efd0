"""Bump and recall on the real window against a real backend: number keys pick a ticket,
Space bumps it, the Undo toast and the Recall list bring it back (on every screen), and
a ticket that moved on is not brought back."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import PLACE_ORDER, order_input
from tests.ui.conftest import WAIT_MS
from tests.ui.test_board_grid import in_kitchen, rush
from ui.main_window import MainWindow
from ui.models.stages import Status


def status_of(window: MainWindow, order_id: str) -> Status | None:
    order = window.board.model.get(order_id)
    return None if order is None else order.status


def test_space_bumps_the_picked_ticket_and_undo_brings_it_back_on_every_screen(
    qtbot: QtBot, window: MainWindow, backend: Backend, second_window: MainWindow
) -> None:
    ids = rush(backend, 3)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: len(grid.placed) == 3, timeout=WAIT_MS)
    grid.setFocus()
    QTest.keyClick(grid, Qt.Key.Key_2)  # the ticket wearing [2]
    assert grid.selected == grid.placed[1].order_id == ids[1]
    QTest.keyClick(grid, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: status_of(second_window, ids[1]) is Status.READY, timeout=WAIT_MS)
    toast = window.board.view.toast
    qtbot.waitUntil(toast.isVisible, timeout=WAIT_MS)
    number = window.board.model.get(ids[1]).number  # type: ignore[union-attr]
    assert toast.text.text() == f"#{number} is ready"
    QTest.mouseClick(toast.undo, Qt.MouseButton.LeftButton)
    # Back to the stage it left, on the other screen too.
    qtbot.waitUntil(lambda: status_of(second_window, ids[1]) is Status.IN_KITCHEN, timeout=WAIT_MS)
    assert status_of(window, ids[1]) is Status.IN_KITCHEN
    assert not toast.isVisible()
    assert status_of(window, ids[0]) is status_of(window, ids[2]) is Status.IN_KITCHEN


def test_recall_lists_the_last_bumps_and_brings_the_chosen_one_back(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, 2)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    for order_id in ids:
        assert window.board.view.select(order_id)
        QTest.keyClick(grid, Qt.Key.Key_R)

        def ready(bumped: str = order_id) -> bool:
            return status_of(window, bumped) is Status.READY

        qtbot.waitUntil(ready, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.board.bumps.rowCount() == 2, timeout=WAIT_MS)
    QTest.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    dialog = window.board.recall_dialog
    assert dialog is not None and dialog.isVisible()
    # Newest first: Enter recalls the last bump.
    assert [window.board.bumps.bump_at(r).order_id for r in range(2)] == [ids[1], ids[0]]
    QTest.keyClick(dialog.list, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: status_of(window, ids[1]) is Status.IN_KITCHEN, timeout=WAIT_MS)
    assert status_of(window, ids[0]) is Status.READY
    qtbot.waitUntil(lambda: window.board.bumps.rowCount() == 1, timeout=WAIT_MS)


def test_a_ticket_that_moved_on_is_not_recalled(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    body = {
        "query": PLACE_ORDER,
        "variables": {
            "input": order_input(("margherita", 1), fulfillment="DELIVERY", address="1 Quay")
        },
    }
    answer = httpx.post(
        backend.url, json=body, headers={"Authorization": f"Bearer {STAFF_TOKEN}"}
    ).json()
    order_id = answer["data"]["placeOrder"]["order"]["id"]
    qtbot.waitUntil(lambda: in_kitchen(window, [order_id]), timeout=WAIT_MS)
    assert window.board.view.select(order_id)
    QTest.keyClick(window.board.view.grid, Qt.Key.Key_Space)
    # A driver takes it as soon as it is ready (assign_driver): it has moved on.
    qtbot.waitUntil(lambda: status_of(window, order_id) is Status.OUT_FOR_DELIVERY, timeout=WAIT_MS)
    with qtbot.waitSignal(window.board.errorOccurred, timeout=WAIT_MS) as said:
        QTest.mouseClick(window.board.view.toast.undo, Qt.MouseButton.LeftButton)
    assert said.args is not None
    assert str(said.args[0]).startswith("Recall #")
    assert "OUT_FOR_DELIVERY" in str(said.args[0])
    assert status_of(window, order_id) is Status.OUT_FOR_DELIVERY


def test_a_complete_bump_is_undone_to_ready_on_every_screen(
    qtbot: QtBot, window: MainWindow, backend: Backend, second_window: MainWindow
) -> None:
    (order_id,) = rush(backend, 1)
    qtbot.waitUntil(lambda: in_kitchen(window, [order_id]), timeout=WAIT_MS)
    grid = window.board.view.grid
    toast = window.board.view.toast
    assert window.board.view.select(order_id)
    QTest.keyClick(grid, Qt.Key.Key_Space)  # ready…
    qtbot.waitUntil(lambda: status_of(second_window, order_id) is Status.READY, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: status_of(window, order_id) is Status.READY, timeout=WAIT_MS)
    assert window.board.view.select(order_id)
    QTest.keyClick(grid, Qt.Key.Key_Space)  # …and complete: it leaves the board
    qtbot.waitUntil(lambda: status_of(second_window, order_id) is Status.COMPLETED, timeout=WAIT_MS)
    number = window.board.model.get(order_id).number  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: toast.text.text() == f"#{number} completed", timeout=WAIT_MS)
    assert toast.isVisible()
    assert window.board.bumps.bump_at(0).text.startswith(f"#{number}  ·  completed at")
    with qtbot.waitSignal(window.board.errorOccurred, timeout=WAIT_MS) as said:
        QTest.mouseClick(toast.undo, Qt.MouseButton.LeftButton)
    assert said.args == [f"#{number} is ready again"]
    # Ready again, on the other screen too, back among the open tickets.
    qtbot.waitUntil(lambda: status_of(second_window, order_id) is Status.READY, timeout=WAIT_MS)
    assert status_of(window, order_id) is Status.READY
    open_tickets = second_window.board.view.grid
    qtbot.waitUntil(lambda: open_tickets.ticket_rect(order_id) is not None, timeout=WAIT_MS)
    assert window.board.bumps.bump_of(order_id) is None


def test_an_undo_does_not_take_back_another_screen_s_step(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    (order_id,) = rush(backend, 1)
    qtbot.waitUntil(lambda: in_kitchen(window, [order_id]), timeout=WAIT_MS)
    assert window.board.view.select(order_id)
    QTest.keyClick(window.board.view.grid, Qt.Key.Key_Space)  # this screen: ready
    qtbot.waitUntil(lambda: status_of(window, order_id) is Status.READY, timeout=WAIT_MS)
    # Another till completes it before this one's Undo.
    answer = httpx.post(
        backend.url,
        json={
            "query": "mutation($id: ID!) { completeOrder(orderId: $id) { id } }",
            "variables": {"id": order_id},
        },
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()
    assert "errors" not in answer, answer
    qtbot.waitUntil(lambda: status_of(window, order_id) is Status.COMPLETED, timeout=WAIT_MS)
    with qtbot.waitSignal(window.board.errorOccurred, timeout=WAIT_MS) as said:
        QTest.mouseClick(window.board.view.toast.undo, Qt.MouseButton.LeftButton)
    assert said.args is not None and "moved on" in str(said.args[0])
    assert status_of(window, order_id) is Status.COMPLETED


@pytest.mark.parametrize("size", [(1600, 1000), (1280, 800)], ids=["1600x1000", "1280x800"])
def test_the_undo_toast_hides_no_ticket(
    qtbot: QtBot, window: MainWindow, backend: Backend, size: tuple[int, int]
) -> None:
    window.resize(*size)
    qtbot.waitUntil(lambda: (window.width(), window.height()) == size, timeout=WAIT_MS)
    ids = rush(backend, 30)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    view = window.board.view
    grid = view.grid
    qtbot.waitUntil(lambda: grid.before + len(grid.placed) + grid.more == 30, timeout=WAIT_MS)
    assert view.select(ids[1])
    QTest.keyClick(grid, Qt.Key.Key_Space)
    qtbot.waitUntil(view.toast.isVisible, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: status_of(window, ids[1]) is Status.READY, timeout=WAIT_MS)
    toast = view.toast.geometry()
    assert view.rect().contains(toast)
    tickets = [
        QRect(shown.mapTo(view, placed.rect.topLeft()), placed.rect.size())
        for shown in (grid, view.lane)
        if shown.isVisible()
        for placed in shown.placed
    ]
    assert len(tickets) >= 6
    assert not [ticket for ticket in tickets if ticket.intersects(toast)], toast
    # Docked in the counts bar, beside (not over) the page marker.
    assert not view.marker.isVisible() or not view.marker.geometry().intersects(toast)
