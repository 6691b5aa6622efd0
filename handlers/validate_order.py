"""order_placed -> order_validated, or order_rejected with a reason the customer can read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from handlers._order import PIPELINE_CONCURRENCY, Order, OrderStatus, change, current_order, money
from handlers.sdk import Context, Event, EventType, handler

# Only the order's items: the whole menu (30-odd items) costs several times as much.
MENU_QUERY = """
query Menu($ids: [ID!]!) {
  menu(ids: $ids) { id name priceCents available modifierGroups { modifiers { id priceCents } } }
}
"""
MARK_VALIDATED = """
mutation Validate($id: ID!, $key: String!) {
  markValidated(orderId: $id, idempotencyKey: $key) { status }
}
"""
REJECT_ORDER = """
mutation Reject($id: ID!, $reason: String!, $key: String!) {
  rejectOrder(orderId: $id, reason: $reason, idempotencyKey: $key) { status }
}
"""


@handler(EventType.ORDER_PLACED, concurrency=PIPELINE_CONCURRENCY)
async def validate_order(event: Event, ctx: Context) -> None:
    """Items exist and are available, prices and total add up: validate, else reject."""
    order = await current_order(ctx)
    if order.status is not OrderStatus.PLACED:
        ctx.log.info("order #%d is %s: already validated or moved on", order.number, order.status)
        return
    ids = sorted({line.menu_item_id for line in order.items})
    found = (await ctx.graphql(MENU_QUERY, {"ids": ids}))["menu"] if ids else []
    menu = {item["id"]: item for item in found}
    problem = find_problem(order, menu)
    if problem is None:
        await change(ctx, MARK_VALIDATED, {"id": order.id})
    else:
        await change(ctx, REJECT_ORDER, {"id": order.id, "reason": problem})


def find_problem(order: Order, menu: Mapping[str, Mapping[str, Any]]) -> str | None:
    """Why ``order`` cannot be accepted as it stands, in words for the customer; or None."""
    if not order.items:
        return "the order has no items"
    for line in order.items:
        item = menu.get(line.menu_item_id)
        if item is None:
            return f"{line.name} is no longer on the menu"
        if not item["available"]:
            return f"{item['name']} is sold out"
        offered = {
            modifier["id"]: modifier["priceCents"]
            for group in item.get("modifierGroups", ())
            for modifier in group["modifiers"]
        }
        for modifier in line.modifiers:
            if modifier.modifier_id not in offered:
                return f"{modifier.name} is no longer offered with {item['name']}"
        # The line's unit price is the item's plus its modifiers': both must still hold.
        price = item["priceCents"] + sum(offered[m.modifier_id] for m in line.modifiers)
        if price != line.unit_price_cents:
            return (
                f"the price of {item['name']} changed from {money(line.unit_price_cents)} "
                f"to {money(price)}"
            )
    lines_total = sum(line.quantity * line.unit_price_cents for line in order.items)
    if lines_total != order.total_cents:
        return (
            f"the total {money(order.total_cents)} does not match its items ({money(lines_total)})"
        )
    return None
