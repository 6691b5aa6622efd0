"""The New order dialog against a real backend: live availability, errors next to their
field, and one order however many times Place is pressed."""

from __future__ import annotations

import httpx
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from backend.states import Allergen
from tests.conftest import STAFF_TOKEN
from tests.ui.conftest import WAIT_MS, run
from ui.controllers.new_order import NewOrderController
from ui.main_window import MainWindow
from ui.models.cart import ALLERGENS


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


def test_the_ticket_error_goes_once_an_item_is_added(qtbot: QtBot, window: MainWindow) -> None:
    dialog = opened(qtbot, window).view
    dialog.request_place()
    assert dialog.items_error.isVisibleTo(dialog)
    assert "Add at least one item" in dialog.items_error.text()
    dialog.cart.add("fries")
    assert not dialog.items_error.isVisibleTo(dialog)


def test_a_quantity_over_the_limit_is_refused_where_it_is_typed(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = opened(qtbot, window).view
    cart = dialog.cart
    cart.add("fries")
    row = cart.find("fries")
    assert row is not None
    index = dialog.ticket.index(0, cart.QUANTITY)
    dialog.ticket_table.setCurrentIndex(index)
    dialog.ticket_table.edit(index)
    editor = dialog.ticket_table.indexWidget(index)
    assert isinstance(editor, QLineEdit)  # not a spin box that would clamp it to 99
    editor.selectAll()
    QTest.keyClicks(editor, "99999")
    assert editor.text() == "99999"
    QTest.keyClick(editor, Qt.Key.Key_Return)  # the view commits it on its next turn
    qtbot.waitUntil(lambda: dialog.items_error.isVisibleTo(dialog), timeout=WAIT_MS)
    assert cart.line(row).quantity == 1  # not quietly 99
    assert "at most 99 on one ticket (99999 asked)" in dialog.items_error.text()


def test_enter_on_a_sold_out_item_says_it_is_sold_out(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    dialog = opened(qtbot, window).view
    set_available(backend, "salmon", False)
    row = dialog.cart.find("salmon")
    assert row is not None
    qtbot.waitUntil(lambda: not dialog.cart.line(row).available, timeout=WAIT_MS)
    QTest.keyClicks(dialog.search, "salmon")
    QTest.keyClick(dialog.search, Qt.Key.Key_Return)
    assert dialog.cart.ticket == []
    assert "Grilled salmon is sold out" in dialog.items_error.text()
    set_available(backend, "salmon", True)
    qtbot.waitUntil(lambda: dialog.cart.line(row).available, timeout=WAIT_MS)


def test_order_notes_are_multi_line_with_a_live_count(qtbot: QtBot, window: MainWindow) -> None:
    dialog = opened(qtbot, window).view
    QTest.keyClicks(dialog.notes, "Nut allergy")
    QTest.keyClick(dialog.notes, Qt.Key.Key_Return)
    QTest.keyClicks(dialog.notes, "Ring twice")
    assert dialog.notes_count.text() == "22 / 500 characters"
    assert dialog.order_input()["notes"] == "Nut allergy\nRing twice"
    dialog.notes.setPlainText("x" * 600)  # pasted: kept to the limit, said so
    assert len(dialog.notes.toPlainText()) == 500
    assert dialog.notes_count.text() == "500 / 500 characters"
    assert dialog.notes_count.property("full") is True


def test_a_big_total_asks_once_before_it_is_placed(qtbot: QtBot, window: MainWindow) -> None:
    controller = opened(qtbot, window)
    dialog = controller.view
    dialog.confirm_above_cents = 5_000
    dialog.cart.add("burger", 9)  # well over 50.00
    sent: list[dict[str, object]] = []
    dialog.placeRequested.connect(sent.append)

    dialog.request_place()
    assert sent == []
    assert dialog.confirm is not None and dialog.confirm.isVisible()
    assert "over 50.00" in dialog.confirm.text()
    (place,) = [b for b in dialog.confirm.buttons() if b.text() == "Place it"]
    place.click()
    assert len(sent) == 1
    qtbot.waitUntil(lambda: len(window.board.model.orders) == 1, timeout=WAIT_MS)


def test_a_phone_number_is_checked_as_it_is_typed(qtbot: QtBot, window: MainWindow) -> None:
    controller = opened(qtbot, window)
    dialog = controller.view
    error = dialog.errors["phone"]
    QTest.keyClicks(dialog.phone, "abc")
    assert error.isVisibleTo(dialog)
    assert "give it as +, the country code and the number" in error.text()  # no region set
    dialog.phone.clear()
    QTest.keyClicks(dialog.phone, "+1 202 555 0142")
    assert not error.isVisibleTo(dialog)
    dialog.set_phone_region("GB")
    dialog.phone.setText("020 7946 000")
    assert "Not a phone number in GB yet" in error.text()
    QTest.keyClicks(dialog.phone, "0")
    assert not error.isVisibleTo(dialog)
    # The server keeps it as it will call it.
    dialog.phone.setText("+44 20 7946 0000")
    controller.cart.add("fries")
    dialog.request_place()
    qtbot.waitUntil(lambda: len(window.board.model.orders) == 1, timeout=WAIT_MS)
    assert window.board.model.orders[0].phone == "+442079460000"


def test_dine_in_needs_its_table_and_the_allergies_reach_the_order(
    qtbot: QtBot, window: MainWindow
) -> None:
    controller = opened(qtbot, window)
    dialog = controller.view
    controller.cart.add("burger")
    dialog.fulfillment.setCurrentIndex(dialog.fulfillment.findData("DINE_IN"))
    assert dialog.table.isEnabled()
    QTest.mouseClick(dialog.place, Qt.MouseButton.LeftButton)
    # Said before anything is sent, next to the field.
    assert dialog.errors["table"].isVisibleTo(dialog)
    assert "table number" in dialog.errors["table"].text()
    assert dialog.place.isEnabled()
    QTest.keyClicks(dialog.table, "12")
    dialog.allergy_actions["PEANUTS"].trigger()
    dialog.allergy_actions["MILK"].trigger()
    assert dialog.allergies.text() == "Peanuts, Milk"
    QTest.keyClick(dialog, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: len(window.board.model.orders) == 1, timeout=WAIT_MS)
    order = window.board.model.orders[0]
    assert (order.fulfillment, order.table, order.allergens) == ("DINE_IN", 12, ("PEANUTS", "MILK"))


def test_the_dialog_offers_the_api_s_allergens() -> None:
    assert list(ALLERGENS) == [allergen.value for allergen in Allergen]


def test_each_field_s_label_and_the_allergies_field_show_whole(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog = opened(qtbot, window).view
    qtbot.waitUntil(dialog.isVisible, timeout=WAIT_MS)
    labels = [label for label in dialog.findChildren(QLabel) if label.buddy() is not None]
    assert {label.text().replace("&", "") for label in labels} >= {"Table", "Allergies"}
    for label in labels:
        text = label.text().replace("&", "")
        # Drawn ink, not the advance: the last letter's overhang is what was clipped.
        ink = label.fontMetrics().boundingRect(text).width()
        assert ink <= label.contentsRect().width(), (text, ink, label.contentsRect())
    # The allergies field is a field like the others: as wide as the address above it.
    assert dialog.allergies.width() >= dialog.address.width() - 8
