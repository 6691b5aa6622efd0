"""The New order dialog against a real backend: live availability, errors next to their
field, and one order however many times Place is pressed."""

from __future__ import annotations

import httpx
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import STAFF_TOKEN
from tests.ui.conftest import WAIT_MS, run
from ui.controllers.new_order import NewOrderController
from ui.main_window import MainWindow


def set_available(backend: Backend, item: str, available: bool) -> None:
    answer = httpx.post(
        backend.url,
        json={
            "query": "mutation($id: ID!, $a: Boolean!) "
            "{ setMenuItemAvailable(menuItemId: $id, available: $a) { id } }",
            "variables": {"id": item, "a": available},
        },
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()
    assert "errors" not in answer, answer


def opened(qtbot: QtBot, window: MainWindow) -> NewOrderController:
    controller = window.open_new_order()
    qtbot.waitUntil(lambda: controller.cart.rowCount() > 20, timeout=WAIT_MS)
    return controller


def test_an_item_that_runs_out_greys_out_while_the_dialog_is_open(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    controller = opened(qtbot, window)
    cart = controller.cart
    assert cart.add("salmon")
    set_available(backend, "salmon", False)
    row = cart.find("salmon")
    assert row is not None
    qtbot.waitUntil(lambda: not cart.line(row).available, timeout=WAIT_MS)
    assert cart.index(row, cart.ITEM).data() == "Grilled salmon (sold out)"
    # Placing it is refused before it reaches the server, with the reason by the ticket.
    controller.view.request_place()
    assert controller.view.items_error.isVisibleTo(controller.view)
    assert "Sold out now: Grilled salmon" in controller.view.items_error.text()
    set_available(backend, "salmon", True)
    qtbot.waitUntil(lambda: cart.line(row).available, timeout=WAIT_MS)


def test_a_server_error_shows_next_to_its_field(qtbot: QtBot, window: MainWindow) -> None:
    controller = opened(qtbot, window)
    dialog = controller.view
    controller.cart.add("burger")
    dialog.fulfillment.setCurrentIndex(dialog.fulfillment.findData("DELIVERY"))
    QTest.mouseClick(dialog.place, Qt.MouseButton.LeftButton)
    error = dialog.errors["address"]
    qtbot.waitUntil(lambda: error.isVisibleTo(dialog), timeout=WAIT_MS)
    assert "needs the delivery address" in error.text()
    assert dialog.place.isEnabled()  # staff fix it and try again
    assert not window.board.model.orders
    QTest.keyClicks(dialog.address, "1 Quay Road")
    QTest.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(window.board.model.orders) == 1, timeout=WAIT_MS)
    assert window.board.model.orders[0].address == "1 Quay Road"


def test_place_pressed_twice_and_a_retry_make_one_order(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    controller = opened(qtbot, window)
    controller.cart.add("cola", 3)
    sent: list[dict[str, object]] = []
    placed: list[int] = []
    controller.view.placeRequested.connect(sent.append)
    controller.placed.connect(lambda _id, number: placed.append(number))
    # A double click: the second press finds the first on its way and sends nothing.
    controller.view.request_place()
    controller.view.request_place()
    assert len(sent) == 1
    assert not controller.view.place.isEnabled()
    # The same request once more, racing the first (a retry after a lost answer): the
    # idempotency key makes the server answer it with the same order.
    run(qtbot, controller.place(sent[0]))
    qtbot.waitUntil(lambda: window.new_order is None, timeout=WAIT_MS)
    assert len(placed) == 1
    answer = httpx.post(
        backend.url,
        json={"query": "{ orders { number } }"},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()
    assert answer["data"]["orders"] == [{"number": placed[0]}]
    qtbot.waitUntil(lambda: len(window.board.model.orders) == 1, timeout=WAIT_MS)
