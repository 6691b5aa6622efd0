"""charge_payment: cash at the counter, cards through the gateway, each order charged once."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend import orders
from backend.states import Channel, Fulfillment, OrderAction, OrderStatus
from handlers.sdk import PermanentError
from handlers.sdk.adapters import Charge, GatewayError
from tests.handlers.harness import Kitchen


def validated(kitchen: Kitchen, channel: Channel = Channel.PHONE) -> str:
    order_id = kitchen.place(("margherita", 2), channel=channel, fulfillment=Fulfillment.TAKEAWAY)
    kitchen.handle(order_id, "order_placed", "validate_order")
    return order_id


def test_a_card_order_is_charged_and_paid(kitchen: Kitchen) -> None:
    order_id = validated(kitchen)
    kitchen.handle(order_id, "order_validated", "charge_payment")
    (charge,) = kitchen.gateway.charges()
    assert (charge.order_id, charge.amount_cents, charge.status) == (order_id, 2400, "APPROVED")
    assert kitchen.order(order_id).status is OrderStatus.PAID
    assert kitchen.rows("SELECT amount_cents, method, reference FROM payments") == [
        (2400, "CARD", charge.id)
    ]
    payment = kitchen.event(order_id, "order_paid").payload["payment"]
    assert (payment["method"], payment["reference"]) == ("CARD", charge.id)


def test_a_counter_order_records_cash_without_the_gateway(kitchen: Kitchen) -> None:
    order_id = validated(kitchen, Channel.COUNTER)
    kitchen.handle(order_id, "order_validated", "charge_payment")
    assert kitchen.order(order_id).status is OrderStatus.PAID
    assert kitchen.rows("SELECT amount_cents, method, reference FROM payments") == [
        (2400, "CASH", None)
    ]
    assert kitchen.gateway.charges() == []


def test_a_declined_card_fails_the_payment(kitchen: Kitchen) -> None:
    order_id = validated(kitchen)
    kitchen.gateway.decline_orders.add(order_id)
    kitchen.handle(order_id, "order_validated", "charge_payment")
    assert kitchen.order(order_id).status is OrderStatus.PAYMENT_FAILED
    reason = kitchen.event(order_id, "payment_failed").payload["reason"]
    assert reason.startswith("the card was declined (charge ch_")
    assert kitchen.rows("SELECT count(*) FROM payments") == [(0,)]


def test_a_gateway_error_propagates_and_a_retry_after_the_fix_pays(kitchen: Kitchen) -> None:
    order_id = validated(kitchen)
    kitchen.gateway.fail_orders.add(order_id)
    with pytest.raises(GatewayError, match="told to fail this order"):
        kitchen.handle(order_id, "order_validated", "charge_payment")
    assert kitchen.order(order_id).status is OrderStatus.VALIDATED
    assert kitchen.gateway.charges() == []

    kitchen.gateway.fail_orders.discard(order_id)  # the cause is fixed
    kitchen.handle(order_id, "order_validated", "charge_payment", attempt=2)
    assert kitchen.order(order_id).status is OrderStatus.PAID


def test_a_retry_after_a_crash_between_charge_and_record_keeps_the_first_charge(
    kitchen: Kitchen,
) -> None:
    order_id = validated(kitchen)
    event = kitchen.event(order_id, "order_validated")
    # The first attempt charged the card, then the process died before recording it.
    first = kitchen.call(kitchen.gateway.charge(order_id, 2400, f"{event.id}:charge_payment"))
    kitchen.deliver(event, "charge_payment", attempt=2)
    assert kitchen.gateway.charges() == [first]
    assert kitchen.rows("SELECT reference FROM payments") == [(first.id,)]


def test_an_order_that_moved_on_is_not_charged(kitchen: Kitchen) -> None:
    order_id = validated(kitchen)
    kitchen.staff(order_id, OrderAction.CANCEL, reason="customer left")
    kitchen.handle(order_id, "order_validated", "charge_payment")
    assert kitchen.gateway.charges() == []
    assert kitchen.order(order_id).status is OrderStatus.CANCELLED


class CancellingGateway:
    """Charges the card, while a person cancels the order at the same moment."""

    def __init__(self, kitchen: Kitchen) -> None:
        self.kitchen = kitchen

    async def charge(self, order_id: str, amount_cents: int, idempotency_key: str) -> Charge:
        details = {"reason": "customer changed their mind"}
        await self.kitchen.backend.db.write(
            lambda tx: orders.transition(tx, order_id, OrderAction.CANCEL, details=details)
        )
        return await self.kitchen.gateway.charge(order_id, amount_cents, idempotency_key)


def test_money_taken_for_an_order_cancelled_meanwhile_waits_for_a_person(
    kitchen: Kitchen,
) -> None:
    order_id = validated(kitchen)
    racing = replace(kitchen.adapters, payment=CancellingGateway(kitchen))
    with pytest.raises(PermanentError, match="refund that charge"):
        kitchen.deliver(
            kitchen.event(order_id, "order_validated"), "charge_payment", adapters=racing
        )
    assert kitchen.order(order_id).status is OrderStatus.CANCELLED
