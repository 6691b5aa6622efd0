"""order_validated -> order_paid (cash at the counter, else the card) or payment_failed."""

from __future__ import annotations

from handlers._order import (
    PIPELINE_CONCURRENCY,
    OrderStatus,
    Summary,
    adapters,
    change,
    money,
    order_summary,
)
from handlers.sdk import Context, Event, EventType, PermanentError, handler
from handlers.sdk.adapters import Charge, ChargeStatus

COUNTER = "COUNTER"
RECORD_PAYMENT = """
mutation Pay($id: ID!, $amount: Int!, $method: PaymentMethod!, $reference: String,
             $key: String!) {
  recordPayment(orderId: $id, amountCents: $amount, method: $method, reference: $reference,
                idempotencyKey: $key) { status }
}
"""
FAIL_PAYMENT = """
mutation Fail($id: ID!, $reason: String!, $key: String!) {
  failPayment(orderId: $id, reason: $reason, idempotencyKey: $key) { status }
}
"""


@handler(EventType.ORDER_VALIDATED, concurrency=PIPELINE_CONCURRENCY)
async def charge_payment(event: Event, ctx: Context) -> None:
    """Take the payment once. Gateway errors propagate, so the runner retries them."""
    order = await order_summary(ctx)
    if order.status is not OrderStatus.VALIDATED:
        ctx.log.info("order #%d is %s: already charged or moved on", order.number, order.status)
        return
    if order.channel == COUNTER:
        variables = {"id": order.id, "amount": order.total_cents, "method": "CASH"}
        await change(ctx, RECORD_PAYMENT, {**variables, "reference": None})
        return
    # The gateway returns an order's first charge, so a retry after a crash between
    # charging and recording records that charge instead of taking the money twice.
    charge = await adapters(ctx).payment.charge(order.id, order.total_cents, ctx.idempotency_key)
    if charge.status is ChargeStatus.DECLINED:
        reason = f"the card was declined (charge {charge.id})"
        await change(ctx, FAIL_PAYMENT, {"id": order.id, "reason": reason})
        return
    variables = {"id": order.id, "amount": charge.amount_cents, "method": "CARD"}
    if await change(ctx, RECORD_PAYMENT, {**variables, "reference": charge.id}) is None:
        await _check_not_lost(ctx, charge)


async def _check_not_lost(ctx: Context, charge: Charge) -> None:
    """The card was charged but the order moved on meanwhile: is that money lost?"""
    order: Summary = await order_summary(ctx)
    if order.status in (OrderStatus.CANCELLED, OrderStatus.REJECTED):
        raise PermanentError(
            f"order #{order.number} became {order.status} while its card was charged "
            f"{money(charge.amount_cents)} (charge {charge.id}): refund that charge at the "
            "payment gateway, then mark this delivery done by retrying it"
        )
