"""What the restaurant's handlers share: reading the current order, changing it by a
mutation that may find the order moved on, and their adapters.

Shapes here mirror the public GraphQL contract (docs/api.md), the only thing a handler
may know about the backend.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from handlers.sdk import Context, GraphQLFailure, PermanentError
from handlers.sdk.adapters import Adapters

ORDER_QUERY = """
query CurrentOrder($id: ID!) {
  order(id: $id) {
    id number status channel fulfillment customerName phone address notes totalCents
    table allergens
    items { menuItemId name quantity unitPriceCents notes allergens
            modifiers { modifierId name priceCents } }
  }
}
"""
# What a handler that needs no items or contact details reads: a field less is ~10 µs
# less work for the API, and the items alone are 15 of the 25 above.
SUMMARY_QUERY = """
query OrderSummary($id: ID!) {
  order(id: $id) { id number status channel totalCents }
}
"""
# Attempts at once for the order pipeline's handlers (validate, charge, kitchen,
# inventory). An attempt mostly waits for the database; with the default of 4, a burst
# of orders leaves deliveries waiting in the database, each then costing the runner a
# read to start, instead of starting straight from the commit that made them.
PIPELINE_CONCURRENCY = 16
# The request itself is wrong, or names nothing: sending it again cannot help.
_PERMANENT_CODES = frozenset({"BAD_USER_INPUT", "NOT_FOUND", "FORBIDDEN", "UNAUTHENTICATED"})


class OrderStatus(StrEnum):
    """The contract's ``OrderStatus``; the backend's transition table decides the moves."""

    PLACED = "PLACED"
    VALIDATED = "VALIDATED"
    REJECTED = "REJECTED"
    PAID = "PAID"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    IN_KITCHEN = "IN_KITCHEN"
    READY = "READY"
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, slots=True)
class Modifier:
    """A modifier chosen for a line (the contract's ``OrderItemModifier``)."""

    modifier_id: str
    name: str
    price_cents: int


@dataclass(frozen=True, slots=True)
class Line:
    menu_item_id: str
    name: str
    quantity: int
    unit_price_cents: int  # the item's price plus its modifiers'
    notes: str | None
    allergens: tuple[str, ...] = ()
    modifiers: tuple[Modifier, ...] = ()


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    number: int
    status: OrderStatus
    channel: str
    fulfillment: str
    customer_name: str | None
    phone: str | None
    address: str | None
    notes: str | None
    total_cents: int
    items: tuple[Line, ...]
    table: int | None = None
    allergens: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Order:
        return cls(
            id=data["id"],
            number=data["number"],
            status=OrderStatus(data["status"]),
            channel=data["channel"],
            fulfillment=data["fulfillment"],
            customer_name=data["customerName"],
            phone=data["phone"],
            address=data["address"],
            notes=data["notes"],
            total_cents=data["totalCents"],
            items=tuple(
                Line(
                    line["menuItemId"],
                    line["name"],
                    line["quantity"],
                    line["unitPriceCents"],
                    line["notes"],
                    tuple(line.get("allergens", ())),
                    tuple(
                        Modifier(m["modifierId"], m["name"], m["priceCents"])
                        for m in line.get("modifiers", ())
                    ),
                )
                for line in data["items"]
            ),
            table=data.get("table"),
            allergens=tuple(data.get("allergens", ())),
        )


def order_id(ctx: Context) -> str:
    """The id of the event's order."""
    found = ctx.event.order_id
    if found is None:
        raise PermanentError(
            f"event {ctx.event.type} #{ctx.event.seq} has no order id; this handler only "
            "takes order events: remove it from the handler's event types"
        )
    return found


@dataclass(frozen=True, slots=True)
class Summary:
    """An order without its items and contact details (:data:`SUMMARY_QUERY`)."""

    id: str
    number: int
    status: OrderStatus
    channel: str
    total_cents: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Summary:
        return cls(
            id=data["id"],
            number=data["number"],
            status=OrderStatus(data["status"]),
            channel=data["channel"],
            total_cents=data["totalCents"],
        )


async def current_order(ctx: Context) -> Order:
    """The event's order as it is now (events may be late, repeated or out of order)."""
    return Order.from_json(await _read_order(ctx, ORDER_QUERY))


async def order_summary(ctx: Context) -> Summary:
    """:func:`current_order` without the items and contact details."""
    return Summary.from_json(await _read_order(ctx, SUMMARY_QUERY))


async def _read_order(ctx: Context, query: str) -> Mapping[str, Any]:
    wanted = order_id(ctx)
    found: Mapping[str, Any] | None = (await ctx.graphql(query, {"id": wanted}))["order"]
    if found is None:
        raise PermanentError(f"order {wanted} of event #{ctx.event.seq} does not exist")
    return found


async def change(
    ctx: Context, mutation: str, variables: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Run ``mutation`` with the delivery's idempotency key as ``$key``.

    Its data; or None when the order has moved on (``INVALID_TRANSITION``): another
    delivery or a person already did this or something that replaces it. A request
    the API refuses as wrong is a :class:`PermanentError`; anything else propagates
    and is retried.
    """
    try:
        return await ctx.graphql(mutation, {**variables, "key": ctx.idempotency_key})
    except GraphQLFailure as failure:
        if failure.code == "INVALID_TRANSITION":
            ctx.log.info("nothing to do, the order has moved on: %s", failure)
            return None
        if failure.code in _PERMANENT_CODES:
            raise PermanentError(f"the API refused the change: {failure}") from failure
        raise


def adapters(ctx: Context) -> Adapters:
    """The external services the runner gave this delivery."""
    if ctx.adapters is None:
        raise PermanentError(
            "this handler needs the restaurant's adapters, but its backend was started "
            "without them: build the backend through the composition root (main.py, "
            "handlers/pipeline.py) or pass adapters=..., then retry this delivery"
        )
    return ctx.adapters


def money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"
