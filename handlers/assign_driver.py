"""order_ready (delivery orders) -> the least busy driver -> order_out_for_delivery."""

from __future__ import annotations

from handlers._order import OrderStatus, change, current_order
from handlers.sdk import Context, Event, EventType, handler

DELIVERY = "DELIVERY"
DISPATCH_ORDER = """
mutation Dispatch($id: ID!, $key: String!) {
  dispatchOrder(orderId: $id, idempotencyKey: $key) { driver { id name } }
}
"""


@handler(EventType.ORDER_READY)
async def assign_driver(event: Event, ctx: Context) -> None:
    order = await current_order(ctx)
    if order.fulfillment != DELIVERY:
        return
    if order.status is not OrderStatus.READY:
        ctx.log.info("order #%d is %s: already dispatched or moved on", order.number, order.status)
        return
    await change(ctx, DISPATCH_ORDER, {"id": order.id})
