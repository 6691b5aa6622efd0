"""markItemDone / markItemNotDone over HTTP: a ticket's line struck through and back,
each with its event; a repeat changes nothing; refusals change nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.embedded import Backend
from tests.backend._api import refusal, without_handlers
from tests.backend.test_event_payloads import KITCHEN, PAY, VALIDATE, as_handler
from tests.graphql_client import GraphQLHTTP

DONE = "mutation($id: ID!, $line: Int!) { markItemDone(orderId: $id, line: $line) { %s } }"
UNDONE = "mutation($id: ID!, $line: Int!) { markItemNotDone(orderId: $id, line: $line) { %s } }"
LINES = "items { name done }"
ORDER = "query($id: ID!) { order(id: $id) { items { done } events { type payload } } }"
FEED = "subscription { orderChanges(afterSeq: 0) { seq } }"


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    yield from without_handlers(db_path)


async def paid(backend: Backend, staff: GraphQLHTTP, *, kitchen: bool = True) -> dict[str, Any]:
    order: dict[str, Any] = (await staff.place(("margherita", 2), ("cola", 1)))["order"]
    as_handler(backend, VALIDATE, id=order["id"])
    as_handler(backend, PAY, id=order["id"], cents=order["totalCents"])
    if kitchen:
        as_handler(backend, KITCHEN, id=order["id"])
    return order


def item_events(found: dict[str, Any]) -> list[tuple[str, int]]:
    return [
        (event["type"], event["payload"]["line"])
        for event in found["events"]
        if event["type"].startswith("order_item_")
    ]


@pytest.mark.parametrize("kitchen", [True, False], ids=["in_kitchen", "paid"])
async def test_a_line_is_struck_and_unstruck_with_its_events(
    backend: Backend, staff: GraphQLHTTP, kitchen: bool
) -> None:
    order = await paid(backend, staff, kitchen=kitchen)
    struck = await staff.data(DONE % LINES, {"id": order["id"], "line": 1})
    assert struck["markItemDone"]["items"] == [
        {"name": "Margherita", "done": False},
        {"name": "Cola", "done": True},
    ]
    await staff.data(UNDONE % LINES, {"id": order["id"], "line": 1})
    await staff.data(DONE % LINES, {"id": order["id"], "line": 0})
    found = (await staff.data(ORDER, order))["order"]
    assert [item["done"] for item in found["items"]] == [True, False]
    assert item_events(found) == [
        ("order_item_done", 1),
        ("order_item_undone", 1),
        ("order_item_done", 0),
    ]
    # The event carries the order as it is after the stroke.
    last = found["events"][-1]["payload"]["order"]
    assert [line["done"] for line in last["items"]] == [True, False]


async def test_a_repeat_changes_nothing_and_writes_no_event(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order = await paid(backend, staff)
    variables = {"id": order["id"], "line": 0}
    first = await staff.data(DONE % "updatedAt items { done }", variables)
    again = await staff.data(DONE % "updatedAt items { done }", variables)
    assert again == first
    await staff.data(UNDONE % "id", {"id": order["id"], "line": 1})  # not done: nothing
    found = (await staff.data(ORDER, order))["order"]
    assert item_events(found) == [("order_item_done", 0)]


@pytest.mark.parametrize("line", [-1, 2, 1000])
async def test_a_line_out_of_range_is_bad_input(
    backend: Backend, staff: GraphQLHTTP, line: int
) -> None:
    order = await paid(backend, staff)
    for mutation in (DONE, UNDONE):
        extensions = await refusal(staff, staff, mutation % "id", {"id": order["id"], "line": line})
        assert extensions["code"] == "BAD_USER_INPUT"
        assert extensions["field"] == "line"


@pytest.mark.parametrize("where", ["PLACED", "READY", "CANCELLED"])
async def test_an_order_not_in_the_kitchens_hands_is_refused(
    backend: Backend, staff: GraphQLHTTP, where: str
) -> None:
    if where == "PLACED":
        order = (await staff.place(("margherita", 1)))["order"]
    else:
        order = await paid(backend, staff)
        await staff.data(DONE % "id", {"id": order["id"], "line": 0})
        if where == "READY":
            await staff.data("mutation($id: ID!) { markReady(orderId: $id) { id } }", order)
        else:
            await staff.data(
                'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "x") { id } }', order
            )
    for mutation in (DONE, UNDONE):
        extensions = await refusal(staff, staff, mutation % "id", {"id": order["id"], "line": 0})
        assert extensions["code"] == "INVALID_TRANSITION"


async def test_an_unknown_or_impossible_id_is_refused(backend: Backend, staff: GraphQLHTTP) -> None:
    await paid(backend, staff)
    extensions = await refusal(staff, staff, DONE % "id", {"id": "x" * 5000, "line": 0})
    assert extensions["code"] == "BAD_USER_INPUT"
    extensions = await refusal(staff, staff, DONE % "id", {"id": "nope", "line": 0})
    assert extensions["code"] == "NOT_FOUND"


async def test_the_public_may_not_strike_lines(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    order = await paid(backend, staff)
    extensions = await refusal(staff, public, DONE % "id", {"id": order["id"], "line": 0})
    assert extensions["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}
