"""Payments that failed are work: their own lane over the board, the decline on the ticket,
and "Charge again" / "Take cash" taking the order on to the kitchen, on the real window
against a real backend and its sandbox gateway."""

from __future__ import annotations

import httpx
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from handlers.adapters import SandboxGateway
from tests.conftest import STAFF_TOKEN
from tests.ui.conftest import WAIT_MS
from tests.ui.test_board_grid import rush
from ui.main_window import MainWindow
from ui.models.stages import Action, Stage, Status
from ui.views.order_card import Style, card_lines

PAYMENTS = "query($id: ID!) { order(id: $id) { events { type payload } } }"


def status_of(window: MainWindow, order_id: str) -> Status | None:
    order = window.board.model.get(order_id)
    return None if order is None else order.status


def whole_in_lane(window: MainWindow, order_id: str) -> bool:
    """Whether the order's ticket is drawn whole in the failed payments' lane."""
    lane = window.board.view.lane
    rect = lane.ticket_rect(order_id)
    return (
        lane.isVisible() and rect is not None and rect.height() > 0 and lane.rect().contains(rect)
    )


def click(qtbot: QtBot, window: MainWindow, order_id: str, action: Action) -> None:
    lane = window.board.view.lane
    pos = lane.button_center(order_id, action)
    assert pos is not None, f"no {action.value} button on the lane's ticket"
    QTest.mouseClick(lane, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, pos)


def test_declined_orders_wait_in_their_lane_until_charged_again_or_paid_in_cash(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    gateway = backend.adapters.payment
    assert isinstance(gateway, SandboxGateway)
    gateway.failure_rate, gateway.decline_share = 1.0, 1.0  # every card declined
    again, cash = rush(backend, 2)
    qtbot.waitUntil(
        lambda: status_of(window, again) is status_of(window, cash) is Status.PAYMENT_FAILED,
        timeout=WAIT_MS,
    )
    view = window.board.view
    lane = view.lane
    qtbot.waitUntil(
        lambda: whole_in_lane(window, again) and whole_in_lane(window, cash), timeout=WAIT_MS
    )
    assert view.grid.ticket_rect(again) is None  # not among the kitchen's tickets
    assert view.lane_title.text().startswith("Payment failed  ·  2")
    declined = window.board.model.get(again)
    assert declined is not None
    reasons = [line for line in card_lines(declined) if line.style is Style.ALERT]
    assert reasons[-1].text.startswith("Declined: the card was declined (charge ch_")

    # The customer's bank lets it through now: charge again, through the pipeline.
    gateway.failure_rate = 0.0
    click(qtbot, window, again, Action.RETRY_PAYMENT)
    qtbot.waitUntil(lambda: status_of(window, again) is Status.IN_KITCHEN, timeout=WAIT_MS)
    assert view.grid.ticket_rect(again) is not None

    # The other pays in cash: staff confirm the amount, and the kitchen gets it.
    click(qtbot, window, cash, Action.TAKE_CASH)
    dialog = window.board.cash_dialog
    assert dialog is not None and dialog.isVisible()
    total = window.board.model.get(cash).total_cents  # type: ignore[union-attr]
    assert f"Take {total / 100:,.2f} in cash for order #" in dialog.text()
    yes = dialog.button(QMessageBox.StandardButton.Yes)
    QTest.mouseClick(yes, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status_of(window, cash) is Status.IN_KITCHEN, timeout=WAIT_MS)
    events = httpx.post(
        backend.url,
        json={"query": PAYMENTS, "variables": {"id": cash}},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()["data"]["order"]["events"]
    paid = [event["payload"]["payment"] for event in events if event["type"] == "order_paid"]
    assert [payment["method"] for payment in paid] == ["CASH"]
    qtbot.waitUntil(lambda: not lane.isVisible(), timeout=WAIT_MS)
    assert view.proxies[Stage.PAYMENT].rowCount() == 0


def test_a_cash_payment_not_confirmed_changes_nothing(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    gateway = backend.adapters.payment
    assert isinstance(gateway, SandboxGateway)
    gateway.failure_rate, gateway.decline_share = 1.0, 1.0
    (order_id,) = rush(backend, 1)
    qtbot.waitUntil(lambda: status_of(window, order_id) is Status.PAYMENT_FAILED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: whole_in_lane(window, order_id), timeout=WAIT_MS)
    click(qtbot, window, order_id, Action.TAKE_CASH)
    dialog = window.board.cash_dialog
    assert dialog is not None
    QTest.keyClick(dialog, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=WAIT_MS)
    assert status_of(window, order_id) is Status.PAYMENT_FAILED
