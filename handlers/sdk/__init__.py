"""The handler SDK: all a handler module may import from Passline.

A handler is an async function of ``(event, ctx)`` registered with :func:`handler`,
naming the event types it takes and its delivery policy. It must be idempotent and
must not depend on the order events arrive in: it checks the current state through
``ctx.graphql`` and changes state only through GraphQL mutations, passing
``ctx.idempotency_key`` so that a duplicate delivery changes nothing.

The event types (:class:`EventType`) and what each carries (:data:`PAYLOADS`) are
defined here too, and the protocols of the restaurant's external services in
:mod:`handlers.sdk.adapters`: the backend writes events and hands adapters on,
handlers take both, and this package is the one part of ``handlers`` both may import
(the import-layer contracts in pyproject.toml hold them to it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol, TypedDict

from handlers.sdk.adapters import Adapters

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_CONCURRENCY = 4
DEFAULT_BACKOFF_BASE_SECONDS = 0.5
DEFAULT_BACKOFF_CAP_SECONDS = 60.0


class EventType(StrEnum):
    """What happened; each event carries the payload of its type (:data:`PAYLOADS`).

    The backend writes them and handlers subscribe to them, so they live here, in the
    one module of the handler package the backend may import. docs/api.md describes
    each for clients of the API.
    """

    ORDER_PLACED = "order_placed"  # placeOrder saved a new order (PLACED)
    # PLACED -> VALIDATED (markValidated); PAYMENT_FAILED -> VALIDATED (retryPayment, staff)
    ORDER_VALIDATED = "order_validated"
    ORDER_REJECTED = "order_rejected"  # PLACED -> REJECTED, with the reason (rejectOrder)
    # VALIDATED -> PAID (recordPayment), PAYMENT_FAILED -> PAID (takeCash, staff); the payment
    ORDER_PAID = "order_paid"
    PAYMENT_FAILED = "payment_failed"  # VALIDATED -> PAYMENT_FAILED, with why (failPayment)
    ORDER_IN_KITCHEN = "order_in_kitchen"  # PAID -> IN_KITCHEN (markInKitchen)
    ORDER_READY = "order_ready"  # PAID or IN_KITCHEN -> READY (markReady, staff)
    ORDER_RECALLED = "order_recalled"  # READY -> IN_KITCHEN: a bump taken back (recallOrder)
    # COMPLETED -> READY: a Complete bump taken back (recallOrder); not for a delivered order
    ORDER_REOPENED = "order_reopened"
    ORDER_ITEM_DONE = "order_item_done"  # a ticket's line struck through (markItemDone)
    ORDER_ITEM_UNDONE = "order_item_undone"  # the stroke taken back (markItemNotDone)
    ORDER_STATION_DONE = "order_station_done"  # a station's lines all struck (markStationDone)
    ORDER_STATION_UNDONE = "order_station_undone"  # taken back (markStationNotDone)
    ORDER_OUT_FOR_DELIVERY = "order_out_for_delivery"  # READY -> OUT_FOR_DELIVERY, the driver
    ORDER_COMPLETED = "order_completed"  # READY or OUT_FOR_DELIVERY -> COMPLETED (staff)
    ORDER_CANCELLED = "order_cancelled"  # any open status -> CANCELLED, with the reason
    # An item's availability, stock, prep time or station changed
    MENU_ITEM_CHANGED = "menu_item_changed"
    # Staff asked for the kitchen ticket again (reprintKitchenTicket); no status change.
    KITCHEN_TICKET_REQUESTED = "kitchen_ticket_requested"
    # Staff settled a DEAD delivery with a reason (resolveDelivery/resolveDeliveries):
    # DEAD -> RESOLVED. No handler takes it.
    DELIVERY_RESOLVED = "delivery_resolved"


# -- what each event type carries (camelCase, like the API) ---------------------------


class LineModifierSnapshot(TypedDict):
    """A modifier chosen for an order line, as the menu had it at order time."""

    modifierId: str
    name: str
    priceCents: int  # added to the item's price (0: no charge, e.g. "no onion")


class OrderLineSnapshot(TypedDict):
    menuItemId: str
    name: str
    quantity: int
    unitPriceCents: int  # the item's price plus its modifiers' prices
    notes: str | None
    allergens: list[str]  # Allergen names of the API
    done: bool  # struck through on the kitchen's ticket (markItemDone)
    prepSeconds: int  # the item's prep time when the order was placed
    modifiers: list[LineModifierSnapshot]  # in the menu's order; [] before schema 8
    station: str | None  # a Station of the API: where it is made (None: no station)


class OrderSnapshot(TypedDict):
    """The order as it was right after the event (the API's ``Order``, without events)."""

    id: str
    number: int
    status: str  # an OrderStatus of the API
    channel: str
    fulfillment: str
    customerName: str | None
    phone: str | None
    address: str | None
    notes: str | None
    table: int | None  # a DINE_IN order's table
    allergens: list[str]  # Allergen names of the API, for the whole order
    items: list[OrderLineSnapshot]
    totalCents: int
    createdAt: str  # ISO 8601, UTC
    updatedAt: str


class PaymentSnapshot(TypedDict):
    id: str
    amountCents: int
    method: str  # CASH or CARD
    reference: str | None  # the gateway's charge id of a CARD payment


class DriverSnapshot(TypedDict):
    id: str
    name: str
    phone: str


class MenuItemSnapshot(TypedDict):
    id: str
    name: str
    category: str
    priceCents: int
    available: bool
    stock: int | None  # None: this item's stock is not counted
    prepSeconds: int  # how long the kitchen takes to make it
    station: str | None  # its category's Station (None: no station chosen)


class OrderPlacedPayload(TypedDict):
    order: OrderSnapshot


class OrderValidatedPayload(TypedDict):
    order: OrderSnapshot


class OrderRejectedPayload(TypedDict):
    order: OrderSnapshot
    reason: str  # for the customer to read


class OrderPaidPayload(TypedDict):
    order: OrderSnapshot
    payment: PaymentSnapshot


class PaymentFailedPayload(TypedDict):
    order: OrderSnapshot
    reason: str


class OrderInKitchenPayload(TypedDict):
    order: OrderSnapshot


class OrderReadyPayload(TypedDict):
    order: OrderSnapshot


class OrderRecalledPayload(TypedDict):
    order: OrderSnapshot  # back in the kitchen


class OrderReopenedPayload(TypedDict):
    order: OrderSnapshot  # ready again: handed over by mistake


class OrderItemPayload(TypedDict):
    order: OrderSnapshot  # with the line's new ``done``
    line: int  # the line's index in ``order.items``, from 0


class OrderStationPayload(TypedDict):
    order: OrderSnapshot  # with the station's lines' new ``done``
    station: str  # a Station of the API
    lines: list[int]  # the lines that changed, indexes in ``order.items``


class OrderOutForDeliveryPayload(TypedDict):
    order: OrderSnapshot
    driver: DriverSnapshot


class OrderCompletedPayload(TypedDict):
    order: OrderSnapshot


class OrderCancelledPayload(TypedDict):
    order: OrderSnapshot
    reason: str  # staff's, as given to cancelOrder


class KitchenTicketRequestedPayload(TypedDict):
    order: OrderSnapshot  # as it is when the ticket is asked for


class MenuItemChangedPayload(TypedDict):
    menuItem: MenuItemSnapshot


class DeliveryResolvedPayload(TypedDict):
    eventSeq: int  # the event whose delivery was settled
    handler: str
    reason: str  # staff's, as given to resolveDelivery(ies)
    resolvedBy: str  # the role that resolved it ("staff": there is one staff token)


PAYLOADS: Mapping[EventType, type] = {
    EventType.ORDER_PLACED: OrderPlacedPayload,
    EventType.ORDER_VALIDATED: OrderValidatedPayload,
    EventType.ORDER_REJECTED: OrderRejectedPayload,
    EventType.ORDER_PAID: OrderPaidPayload,
    EventType.PAYMENT_FAILED: PaymentFailedPayload,
    EventType.ORDER_IN_KITCHEN: OrderInKitchenPayload,
    EventType.ORDER_READY: OrderReadyPayload,
    EventType.ORDER_RECALLED: OrderRecalledPayload,
    EventType.ORDER_REOPENED: OrderReopenedPayload,
    EventType.ORDER_ITEM_DONE: OrderItemPayload,
    EventType.ORDER_ITEM_UNDONE: OrderItemPayload,
    EventType.ORDER_STATION_DONE: OrderStationPayload,
    EventType.ORDER_STATION_UNDONE: OrderStationPayload,
    EventType.ORDER_OUT_FOR_DELIVERY: OrderOutForDeliveryPayload,
    EventType.ORDER_COMPLETED: OrderCompletedPayload,
    EventType.ORDER_CANCELLED: OrderCancelledPayload,
    EventType.KITCHEN_TICKET_REQUESTED: KitchenTicketRequestedPayload,
    EventType.MENU_ITEM_CHANGED: MenuItemChangedPayload,
    EventType.DELIVERY_RESOLVED: DeliveryResolvedPayload,
}
"""The payload ``TypedDict`` of each event type; a test holds the writers to them."""


@dataclass(frozen=True, slots=True)
class Event:
    """One delivery of an event to a handler."""

    seq: int
    id: str
    type: str  # an EventType, or a test's own type
    order_id: str | None
    payload: Mapping[str, Any]
    created_at: str
    attempt: int  # 1 for the first attempt of this delivery


class GraphQLFailure(Exception):
    """A GraphQL operation answered with errors; ``code`` is the first error's code."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        first = errors[0] if errors else {}
        self.code: str | None = (first.get("extensions") or {}).get("code")
        super().__init__("; ".join(str(error.get("message")) for error in errors))


class GraphQL(Protocol):
    async def __call__(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run an operation as the ``handler`` role; its data, or raise GraphQLFailure."""
        ...


@dataclass(frozen=True, slots=True)
class Context:
    event: Event
    graphql: GraphQL
    log: logging.LoggerAdapter[logging.Logger]
    idempotency_key: str  # the same for every attempt and replay of this delivery
    # The restaurant's external services, as the composition root chose them; None
    # where a backend runs without them (a test of the runner's own handlers).
    adapters: Adapters | None


class RetryAfter(Exception):
    """Try this delivery again after ``seconds`` (counts as a failed attempt)."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds:g} s")
        self.seconds = seconds


class PermanentError(Exception):
    """Retrying cannot help: the delivery goes straight to DEAD for a person to look at."""


HandlerFunction = Callable[[Event, Context], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class HandlerDefinition:
    name: str
    events: tuple[str, ...]
    function: HandlerFunction = field(compare=False)
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    concurrency: int = DEFAULT_CONCURRENCY
    ordered: bool = False  # one delivery of an order at a time, in event order
    backoff_base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS
    backoff_cap_seconds: float = DEFAULT_BACKOFF_CAP_SECONDS


DEFINITIONS: dict[str, HandlerDefinition] = {}
"""Every handler registered by :func:`handler` so far, by name; which of them a backend
runs is the composition root's choice (:func:`definition_of` each one it picks)."""


def handler(
    *events: EventType,
    name: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    concurrency: int = DEFAULT_CONCURRENCY,
    ordered: bool = False,
    backoff_base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS,
    backoff_cap_seconds: float = DEFAULT_BACKOFF_CAP_SECONDS,
) -> Callable[[HandlerFunction], HandlerFunction]:
    """Register ``function`` as the handler of ``events`` (its name: the function's)."""
    if not events:
        raise ValueError("a handler needs at least one event type")

    def register(function: HandlerFunction) -> HandlerFunction:
        definition = HandlerDefinition(
            name=name or function.__name__,
            events=events,
            function=function,
            max_attempts=max_attempts,
            timeout_seconds=timeout_seconds,
            concurrency=concurrency,
            ordered=ordered,
            backoff_base_seconds=backoff_base_seconds,
            backoff_cap_seconds=backoff_cap_seconds,
        )
        if definition.name in DEFINITIONS:
            raise ValueError(f"handler {definition.name!r} is registered twice")
        DEFINITIONS[definition.name] = definition
        return function

    return register


def definition_of(function: HandlerFunction) -> HandlerDefinition:
    """The definition :func:`handler` registered for ``function``."""
    for definition in DEFINITIONS.values():
        if definition.function is function:
            return definition
    raise ValueError(
        f"{getattr(function, '__qualname__', function)!r} is not a registered handler: "
        "decorate it with @handler(<event types>) in its module"
    )
