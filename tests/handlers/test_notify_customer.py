"""notify_customer: one text per order and event; none without a phone or once moved on."""

from __future__ import annotations

import pytest

from backend.states import Fulfillment, OrderAction
from tests.handlers.harness import PHONE_E164, Kitchen


def test_a_ready_takeaway_order_gets_one_text(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(("margherita", 1), fulfillment=Fulfillment.TAKEAWAY)
    kitchen.staff(order_id, OrderAction.MARK_READY)
    kitchen.handle(order_id, "order_ready", "notify_customer")
    kitchen.handle(order_id, "order_ready", "notify_customer", attempt=2)
    number = kitchen.order(order_id).number
    assert [(m["phone"], m["text"]) for m in kitchen.sms_file()] == [
        (PHONE_E164, f"Your order #{number} is ready for pick-up at the counter. - Passline")
    ]


def test_a_rejected_order_is_told_why(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("margherita", 1))
    kitchen.staff(order_id, OrderAction.REJECT, reason="we are closing early")
    kitchen.handle(order_id, "order_rejected", "notify_customer")
    (message,) = kitchen.sms_file()
    assert "could not accept your order" in message["text"]
    assert "we are closing early" in message["text"]


def test_a_declined_payment_is_told_to_the_customer(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("margherita", 2))
    kitchen.gateway.decline_orders.add(order_id)
    kitchen.handle(order_id, "order_placed", "validate_order")
    kitchen.handle(order_id, "order_validated", "charge_payment")
    kitchen.handle(order_id, "payment_failed", "notify_customer")
    (message,) = kitchen.sms_file()
    assert "The payment of 24.00" in message["text"]
    assert "declined" in message["text"]


def test_each_event_of_an_order_gets_its_own_text(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("margherita", 1))
    kitchen.staff(order_id, OrderAction.REJECT, reason="out of dough")
    kitchen.handle(order_id, "order_rejected", "notify_customer")
    keys = {m["key"] for m in kitchen.sms_file()}
    assert keys == {f"{kitchen.event(order_id, 'order_rejected').id}:notify_customer"}


def test_an_order_without_a_phone_number_gets_no_text(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(("margherita", 1), fulfillment=Fulfillment.TAKEAWAY, phone=None)
    kitchen.staff(order_id, OrderAction.MARK_READY)
    kitchen.handle(order_id, "order_ready", "notify_customer")
    assert kitchen.sms_file() == []


@pytest.mark.parametrize(
    ("moves", "texts"),
    [
        ((OrderAction.CANCEL,), 0),  # cancelled since it was ready: do not send them over
        ((OrderAction.COMPLETE,), 1),  # already handed over: the text is late but true
    ],
)
def test_a_ready_order_that_moved_on(
    kitchen: Kitchen, moves: tuple[OrderAction, ...], texts: int
) -> None:
    order_id = kitchen.paid(("margherita", 1), fulfillment=Fulfillment.TAKEAWAY)
    kitchen.staff(order_id, OrderAction.MARK_READY)
    for action in moves:
        kitchen.staff(order_id, action, reason="kitchen fire")
    kitchen.handle(order_id, "order_ready", "notify_customer")
    assert len(kitchen.sms_file()) == texts
