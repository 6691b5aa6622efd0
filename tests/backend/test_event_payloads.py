"""Every event type is written with exactly the payload its TypedDict (and docs/api.md) says.

A backend with no handlers, so nothing moves by itself: each step of an order's life
is taken through the real API, as staff over HTTP and as the handler role in-process,
the way the pipeline takes it. Then the events, read back through the API, are held
to ``handlers.sdk.PAYLOADS`` key by key and type by type.
"""

from __future__ import annotations

import asyncio
import time
import types
import typing
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.embedded import Backend
from backend.inprocess import InProcessGraphQL
from backend.registry import Registry
from handlers.sdk import PAYLOADS, Context, Event, EventType, HandlerDefinition, PermanentError
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import GraphQLHTTP

EVENTS = "{ events(first: 500) { type orderId payload } }"


async def jammed(event: Event, ctx: Context) -> None:
    raise PermanentError("the ticket printer is jammed")


@pytest.fixture
def idle(db_path: Path) -> Iterator[Backend]:
    """A backend without handlers that move orders: orders stay where the test puts
    them. One handler takes the reprint requests and always fails, so that a dead
    delivery can be resolved (delivery_resolved)."""
    registry = Registry([HandlerDefinition("jammed", ("kitchen_ticket_requested",), jammed)])
    with running(db_path, registry) as server:
        yield server


@pytest.fixture
async def staff_of(idle: Backend) -> AsyncIterator[GraphQLHTTP]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield GraphQLHTTP(client, idle.url, STAFF_TOKEN)


def as_handler(backend: Backend, mutation: str, key: str = "", **variables: Any) -> None:
    """A pipeline step as a handler takes it; ``key`` tells a second delivery's apart."""
    assert backend.services is not None
    run = InProcessGraphQL(backend.schema, backend.services)
    backend.call(run(mutation, {**variables, "key": f"key-{mutation}-{variables}-{key}"}))


VALIDATE = (
    "mutation($id: ID!, $key: String!) { markValidated(orderId: $id, idempotencyKey: $key) { id } }"
)
REJECT = (
    "mutation($id: ID!, $key: String!) "
    '{ rejectOrder(orderId: $id, reason: "no such pizza", idempotencyKey: $key) { id } }'
)
PAY = (
    "mutation($id: ID!, $key: String!, $cents: Int!) { recordPayment(orderId: $id, "
    'amountCents: $cents, method: CARD, reference: "ch_1", idempotencyKey: $key) { id } }'
)
FAIL = (
    "mutation($id: ID!, $key: String!) "
    '{ failPayment(orderId: $id, reason: "card declined", idempotencyKey: $key) { id } }'
)
KITCHEN = (
    "mutation($id: ID!, $key: String!) { markInKitchen(orderId: $id, idempotencyKey: $key) { id } }"
)
DISPATCH = (
    "mutation($id: ID!, $key: String!) "
    "{ dispatchOrder(orderId: $id, idempotencyKey: $key) { driver { id } } }"
)


def problems(value: object, hint: Any, where: str) -> list[str]:
    """How ``value`` differs from the type ``hint`` (a TypedDict, list, union or scalar)."""
    if typing.is_typeddict(hint):
        if not isinstance(value, Mapping):
            return [f"{where}: {value!r} is not an object"]
        fields = typing.get_type_hints(hint)
        found = [f"{where}.{key}: not in {hint.__name__}" for key in value.keys() - fields]
        found += [f"{where}.{key}: missing" for key in fields.keys() - value.keys()]
        for key in fields.keys() & value.keys():
            found += problems(value[key], fields[key], f"{where}.{key}")
        return found
    origin = typing.get_origin(hint)
    if origin is list:
        if not isinstance(value, list):
            return [f"{where}: {value!r} is not a list"]
        (item,) = typing.get_args(hint)
        return [p for i, v in enumerate(value) for p in problems(v, item, f"{where}[{i}]")]
    if origin in (types.UnionType, typing.Union):
        options = typing.get_args(hint)
        if any(not problems(value, option, where) for option in options):
            return []
        return [f"{where}: {value!r} is none of {options}"]
    if hint is type(None):
        return [] if value is None else [f"{where}: {value!r} is not null"]
    # bool is an int in Python, not in JSON.
    if isinstance(value, hint) and not (hint is int and isinstance(value, bool)):
        return []
    return [f"{where}: {value!r} is not {hint.__name__}"]


async def test_every_event_type_carries_its_documented_payload(
    idle: Backend, staff_of: GraphQLHTTP
) -> None:
    staff = staff_of
    delivered = (await staff.place(fulfillment="DELIVERY", address="1 Pass Lane"))["order"]
    as_handler(idle, VALIDATE, id=delivered["id"])
    as_handler(idle, PAY, id=delivered["id"], cents=delivered["totalCents"])
    as_handler(idle, KITCHEN, id=delivered["id"])
    await staff.data("mutation($id: ID!) { reprintKitchenTicket(orderId: $id) { id } }", delivered)
    await staff.data("mutation($id: ID!) { markItemDone(orderId: $id, line: 0) { id } }", delivered)
    await staff.data(
        "mutation($id: ID!) { markItemNotDone(orderId: $id, line: 0) { id } }", delivered
    )
    # The default order is one Margherita: the pizza station's.
    await staff.data(
        "mutation($id: ID!) { markStationDone(orderId: $id, station: PIZZA) { id } }", delivered
    )
    await staff.data(
        "mutation($id: ID!) { markStationNotDone(orderId: $id, station: PIZZA) { id } }",
        delivered,
    )
    await staff.data("mutation($id: ID!) { markReady(orderId: $id) { id } }", delivered)
    await staff.data("mutation($id: ID!) { recallOrder(orderId: $id) { id } }", delivered)
    await staff.data("mutation($id: ID!) { markReady(orderId: $id) { id } }", delivered)
    await resolve_the_jammed_reprint(staff)
    as_handler(idle, DISPATCH, id=delivered["id"])
    await staff.data("mutation($id: ID!) { completeOrder(orderId: $id) { id } }", delivered)

    # A Complete bump taken back: order_reopened.
    reopened = (await staff.place())["order"]
    as_handler(idle, VALIDATE, id=reopened["id"])
    as_handler(idle, PAY, id=reopened["id"], cents=reopened["totalCents"])
    await staff.data("mutation($id: ID!) { markReady(orderId: $id) { id } }", reopened)
    await staff.data("mutation($id: ID!) { completeOrder(orderId: $id) { id } }", reopened)
    await staff.data(
        "mutation($id: ID!) { recallOrder(orderId: $id, from: COMPLETED) { id } }", reopened
    )

    rejected = (await staff.place())["order"]
    as_handler(idle, REJECT, id=rejected["id"])
    declined = (await staff.place())["order"]
    as_handler(idle, VALIDATE, id=declined["id"])
    as_handler(idle, FAIL, id=declined["id"])
    # Staff charge it again (order_validated again), it is declined again, they take cash.
    await staff.data("mutation($id: ID!) { retryPayment(orderId: $id) { id } }", declined)
    as_handler(idle, FAIL, id=declined["id"], key="declined again")
    await staff.data(
        "mutation($id: ID!, $cents: Int!) { takeCash(orderId: $id, amountCents: $cents) { id } }",
        {"id": declined["id"], "cents": declined["totalCents"]},
    )
    cancelled = (await staff.place())["order"]
    await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "changed mind") { id } }',
        cancelled,
    )
    await staff.data(
        'mutation { setMenuItemAvailable(menuItemId: "cola", available: false) { id } }'
    )

    events = (await staff.data(EVENTS))["events"]
    assert {event["type"] for event in events} == set(EventType)
    found = [
        problem
        for event in events
        for problem in problems(event["payload"], PAYLOADS[EventType(event["type"])], event["type"])
    ]
    assert found == []


async def resolve_the_jammed_reprint(staff: GraphQLHTTP) -> None:
    deadline = time.monotonic() + 10
    query = '{ events(type: "kitchen_ticket_requested", deliveryStatus: DEAD) { seq } }'
    while not (dead := (await staff.data(query))["events"]):
        assert time.monotonic() < deadline, "the reprint's delivery never died"
        await asyncio.sleep(0.01)
    await staff.data(
        'mutation($seq: Int!) { resolveDelivery(eventSeq: $seq, handler: "jammed", '
        'reason: "printed by hand") { status } }',
        {"seq": dead[0]["seq"]},
    )


def test_every_event_type_has_a_payload_type() -> None:
    assert set(PAYLOADS) == set(EventType)


def test_the_check_finds_a_payload_that_differs() -> None:
    order_paid = PAYLOADS[EventType.ORDER_PAID]
    assert problems({"order": {}, "payment": {}, "extra": 1}, order_paid, "p")[:1] == [
        "p.extra: not in OrderPaidPayload"
    ]
    menu_item = {
        "menuItem": {
            "id": "cola",
            "name": "Cola",
            "category": "Drinks",
            "priceCents": 350,
            "available": 1,
            "stock": None,
            "prepSeconds": 60,
            "station": "BAR",
        }
    }
    assert problems(menu_item, PAYLOADS[EventType.MENU_ITEM_CHANGED], "m") == [
        "m.menuItem.available: 1 is not bool"
    ]
