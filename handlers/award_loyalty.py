"""order_completed -> loyalty points for the order's phone number, once per order."""

from __future__ import annotations

from handlers._order import OrderStatus, change, current_order
from handlers.sdk import Context, Event, EventType, handler

AWARD_LOYALTY = """
mutation Award($id: ID!, $key: String!) {
  awardLoyalty(orderId: $id, idempotencyKey: $key) { points balance }
}
"""


@handler(EventType.ORDER_COMPLETED)
async def award_loyalty(event: Event, ctx: Context) -> None:
    order = await current_order(ctx)
    if order.phone is None:
        ctx.log.info("order #%d has no phone number: no loyalty account to credit", order.number)
        return
    if order.status is not OrderStatus.COMPLETED:
        ctx.log.info("order #%d is %s, not COMPLETED: no points", order.number, order.status)
        return
    await change(ctx, AWARD_LOYALTY, {"id": order.id})
