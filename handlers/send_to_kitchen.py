"""order_paid -> a ticket on the kitchen's printer -> order_in_kitchen."""

from __future__ import annotations

from handlers._order import (
    PIPELINE_CONCURRENCY,
    Order,
    OrderStatus,
    adapters,
    change,
    current_order,
)
from handlers.sdk import Context, Event, EventType, handler

MARK_IN_KITCHEN = """
mutation InKitchen($id: ID!, $key: String!) {
  markInKitchen(orderId: $id, idempotencyKey: $key) { status }
}
"""


@handler(EventType.ORDER_PAID, concurrency=PIPELINE_CONCURRENCY)
async def send_to_kitchen(event: Event, ctx: Context) -> None:
    order = await current_order(ctx)
    if order.status is not OrderStatus.PAID:
        ctx.log.info(
            "order #%d is %s: the kitchen has it or it moved on", order.number, order.status
        )
        return
    # Same key, same ticket: a retry after a crash before the mutation prints nothing new.
    await adapters(ctx).printer.print_ticket(
        order.number, render_ticket(order), ctx.idempotency_key
    )
    await change(ctx, MARK_IN_KITCHEN, {"id": order.id})


def render_ticket(order: Order) -> str:
    """The kitchen ticket: what to make, how it leaves, and every note."""
    head = [
        f"ORDER #{order.number}",
        f"{order.fulfillment.replace('_', ' ')} - {order.channel}",
    ]
    if order.customer_name:
        head.append(f"for {order.customer_name}")
    if order.address and order.fulfillment == "DELIVERY":
        head.append(f"to {order.address}")
    lines = []
    for line in order.items:
        lines.append(f"{line.quantity:>3} x {line.name}")
        if line.notes:
            lines.append(f"        ! {line.notes}")
    tail = [f"NOTE: {order.notes}"] if order.notes else []
    rule = "-" * 32
    return "\n".join([*head, rule, *lines, rule, *tail]) + "\n"
