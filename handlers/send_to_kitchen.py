"""order_paid -> a ticket on the kitchen's printer -> order_in_kitchen; and
kitchen_ticket_requested (staff's Reprint) -> the same ticket again, marked REPRINT."""

from __future__ import annotations

from handlers._order import (
    PIPELINE_CONCURRENCY,
    Modifier,
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


@handler(EventType.ORDER_PAID, EventType.KITCHEN_TICKET_REQUESTED, concurrency=PIPELINE_CONCURRENCY)
async def send_to_kitchen(event: Event, ctx: Context) -> None:
    await _ON[EventType(event.type)](ctx)


async def _first_ticket(ctx: Context) -> None:
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


async def _reprint(ctx: Context) -> None:
    order = await current_order(ctx)
    if order.status not in REPRINTABLE:
        ctx.log.info("order #%d is %s: no ticket to print again", order.number, order.status)
        return
    # Each request is its own delivery, so its own key: a new ticket, once.
    await adapters(ctx).printer.print_ticket(
        order.number, render_ticket(order, reprint=True), ctx.idempotency_key
    )


_ON = {EventType.ORDER_PAID: _first_ticket, EventType.KITCHEN_TICKET_REQUESTED: _reprint}
# Statuses with a ticket in the kitchen: paid and not yet handed over.
REPRINTABLE = frozenset({OrderStatus.PAID, OrderStatus.IN_KITCHEN, OrderStatus.READY})


def render_ticket(order: Order, *, reprint: bool = False) -> str:
    """The kitchen ticket: allergies first, what to make, how it leaves, and every note."""
    head = [
        f"ORDER #{order.number}" + ("  (REPRINT)" if reprint else ""),
        f"{order.fulfillment.replace('_', ' ')} - {order.channel}",
    ]
    if order.table is not None:
        head.append(f"TABLE {order.table}")
    head.extend(_allergy(name) for name in order.allergens)
    if order.customer_name:
        head.append(f"for {order.customer_name}")
    if order.address and order.fulfillment == "DELIVERY":
        head.append(f"to {order.address}")
    lines = []
    for line in order.items:
        lines.append(f"{line.quantity:>3} x {line.name}")
        lines.extend(f"      {_allergy(name)}" for name in line.allergens)
        lines.extend(f"      {_modifier(modifier)}" for modifier in line.modifiers)
        if line.notes:
            lines.append(f"        ! {line.notes}")
    tail = [f"NOTE: {order.notes}"] if order.notes else []
    rule = "-" * 32
    return "\n".join([*head, rule, *lines, rule, *tail]) + "\n"


def _modifier(modifier: Modifier) -> str:
    # "- NO ONION" is left off, "+ BACON" is added (it is charged for), "WELL DONE" is
    # how to make it: the cook reads which at a glance.
    name = modifier.name.upper()
    if name.startswith(("NO ", "WITHOUT ")):
        return f"- {name}"
    return f"+ {name}" if modifier.price_cents else name


def _allergy(name: str) -> str:
    # Shouted, so that no cook reads past it: "!! ALLERGY: TREE NUTS".
    return f"!! ALLERGY: {name.replace('_', ' ')}"
