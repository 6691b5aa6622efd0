"""order_ready, order_rejected, payment_failed -> one text message per order and event."""

from __future__ import annotations

from collections.abc import Callable

from handlers._order import Order, OrderStatus, adapters, current_order, money
from handlers.sdk import Context, Event, EventType, PermanentError, handler

SIGNATURE = "- Passline"
_READY = {
    "DELIVERY": "is ready and leaves with a driver shortly",
    "TAKEAWAY": "is ready for pick-up at the counter",
    "DINE_IN": "is ready and on its way to your table",
}


def ready(order: Order, event: Event) -> str | None:
    if order.status is OrderStatus.CANCELLED:
        return None  # cancelled since: telling them to come for it would be wrong
    return f"Your order #{order.number} {_READY.get(order.fulfillment, 'is ready')}."


def rejected(order: Order, event: Event) -> str | None:
    reason = event.payload.get("reason") or "it could not be checked"
    return (
        f"Sorry, we could not accept your order #{order.number}: {reason}. "
        "Nothing was charged; please order again."
    )


def payment_failed(order: Order, event: Event) -> str | None:
    return (
        f"The payment of {money(order.total_cents)} for your order #{order.number} was "
        "declined, so we have not started it. Please call us or order again with another card."
    )


# Event type -> the message for it, or None when the order has moved on.
MESSAGES: dict[str, Callable[[Order, Event], str | None]] = {
    EventType.ORDER_READY: ready,
    EventType.ORDER_REJECTED: rejected,
    EventType.PAYMENT_FAILED: payment_failed,
}


@handler(*map(EventType, MESSAGES))
async def notify_customer(event: Event, ctx: Context) -> None:
    message = MESSAGES.get(event.type)
    if message is None:
        raise PermanentError(f"notify_customer has no message for {event.type} events")
    order = await current_order(ctx)
    if order.phone is None:
        ctx.log.info("order #%d has no phone number: nobody to tell", order.number)
        return
    text = message(order, event)
    if text is None:
        ctx.log.info(
            "order #%d is %s: %s is no longer news", order.number, order.status, event.type
        )
        return
    # The key is this delivery's: one message per order and event, however often it runs.
    await adapters(ctx).sms.send(order.phone, f"{text} {SIGNATURE}", ctx.idempotency_key)
