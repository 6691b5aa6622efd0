"""order_paid -> stock taken once per order line; an item that runs out becomes unavailable."""

from __future__ import annotations

from handlers._order import PIPELINE_CONCURRENCY, change, order_id
from handlers.sdk import Context, Event, EventType, handler

APPLY_INVENTORY = """
mutation Stock($id: ID!, $key: String!) {
  applyInventory(orderId: $id, idempotencyKey: $key) { menuItemId stock available }
}
"""


@handler(EventType.ORDER_PAID, concurrency=PIPELINE_CONCURRENCY)
async def update_inventory(event: Event, ctx: Context) -> None:
    """Whatever the order's status now: once paid, its goods are spoken for.

    The backend takes stock at most once per order, so a late or repeated delivery
    changes nothing. No need to read the order first: the mutation refuses an order
    that does not exist (a permanent error) or has no payment.
    """
    await change(ctx, APPLY_INVENTORY, {"id": order_id(ctx)})
