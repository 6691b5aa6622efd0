"""recallOrder over HTTP: a ticket bumped ready goes back to the kitchen with its event,
and is refused once the order has moved on; bad input changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.embedded import Backend
from tests.backend._api import refusal, without_handlers
from tests.backend.test_event_payloads import DISPATCH, KITCHEN, PAY, VALIDATE, as_handler
from tests.graphql_client import GraphQLHTTP

RECALL = "mutation($id: ID!) { recallOrder(orderId: $id) { status } }"
READY = "mutation($id: ID!) { markReady(orderId: $id) { status } }"
COMPLETE = "mutation($id: ID!) { completeOrder(orderId: $id) { status } }"
EVENTS = "query($id: ID!) { order(id: $id) { status events { type } } }"


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    yield from without_handlers(db_path)


async def in_kitchen(backend: Backend, staff: GraphQLHTTP, **extra: Any) -> dict[str, Any]:
    order: dict[str, Any] = (await staff.place(("margherita", 1), **extra))["order"]
    as_handler(backend, VALIDATE, id=order["id"])
    as_handler(backend, PAY, id=order["id"], cents=order["totalCents"])
    as_handler(backend, KITCHEN, id=order["id"])
    return order


async def test_a_ready_ticket_goes_back_to_the_kitchen_with_its_event(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order = await in_kitchen(backend, staff)
    await staff.data(READY, order)
    assert await staff.data(RECALL, order) == {"recallOrder": {"status": "IN_KITCHEN"}}
    found = (await staff.data(EVENTS, order))["order"]
    assert [event["type"] for event in found["events"]][-2:] == ["order_ready", "order_recalled"]
    # Bumped again, it is ready again as the first time.
    assert await staff.data(READY, order) == {"markReady": {"status": "READY"}}


@pytest.mark.parametrize("moved_on", ["IN_KITCHEN", "OUT_FOR_DELIVERY", "COMPLETED"])
async def test_a_ticket_that_moved_on_is_not_recalled(
    backend: Backend, staff: GraphQLHTTP, moved_on: str
) -> None:
    order = await in_kitchen(backend, staff, fulfillment="DELIVERY", address="1 Pass Lane")
    if moved_on != "IN_KITCHEN":
        await staff.data(READY, order)
        as_handler(backend, DISPATCH, id=order["id"])
    if moved_on == "COMPLETED":
        await staff.data(COMPLETE, order)
    extensions = await refusal(staff, staff, RECALL, {"id": order["id"]})
    assert extensions["code"] == "INVALID_TRANSITION"


async def test_an_id_that_cannot_be_one_is_bad_input(backend: Backend, staff: GraphQLHTTP) -> None:
    order = await in_kitchen(backend, staff)
    await staff.data(READY, order)
    extensions = await refusal(staff, staff, RECALL, {"id": "x" * 5000})
    assert extensions["code"] == "BAD_USER_INPUT"
    assert (await refusal(staff, staff, RECALL, {"id": "nope"}))["code"] == "NOT_FOUND"


RECALL_FROM = (
    "mutation($id: ID!, $from: OrderStatus) { recallOrder(orderId: $id, from: $from) { status } }"
)


@pytest.mark.parametrize("bumped_to", [None, "COMPLETED"])
async def test_a_completed_ticket_is_ready_again_with_its_event(
    backend: Backend, staff: GraphQLHTTP, bumped_to: str | None
) -> None:
    order = await in_kitchen(backend, staff)
    await staff.data(READY, order)
    await staff.data(COMPLETE, order)
    again = await staff.data(RECALL_FROM, {"id": order["id"], "from": bumped_to})
    assert again == {"recallOrder": {"status": "READY"}}
    found = (await staff.data(EVENTS, order))["order"]
    assert [event["type"] for event in found["events"]][-2:] == [
        "order_completed",
        "order_reopened",
    ]
    # Completed again, as the first time; and a second step back goes to the kitchen.
    assert await staff.data(COMPLETE, order) == {"completeOrder": {"status": "COMPLETED"}}
    await staff.data(RECALL_FROM, {"id": order["id"], "from": "COMPLETED"})
    assert await staff.data(RECALL, order) == {"recallOrder": {"status": "IN_KITCHEN"}}


async def test_an_undo_of_a_bump_another_screen_moved_on_changes_nothing(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order = await in_kitchen(backend, staff)
    await staff.data(READY, order)  # this screen's Ready bump…
    await staff.data(COMPLETE, order)  # …another screen completed it meanwhile
    extensions = await refusal(staff, staff, RECALL_FROM, {"id": order["id"], "from": "READY"})
    assert extensions["code"] == "INVALID_TRANSITION"


async def test_a_delivered_order_is_not_made_ready_again(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order = await in_kitchen(backend, staff, fulfillment="DELIVERY", address="1 Pass Lane")
    await staff.data(READY, order)
    as_handler(backend, DISPATCH, id=order["id"])
    await staff.data(COMPLETE, order)
    variables = {"id": order["id"], "from": "COMPLETED"}
    error = await staff.error(RECALL_FROM, variables)
    assert "delivered" in error["message"]
    extensions = await refusal(staff, staff, RECALL_FROM, variables)
    assert extensions["code"] == "INVALID_TRANSITION"


async def test_a_cancelled_order_is_not_recalled(backend: Backend, staff: GraphQLHTTP) -> None:
    order = await in_kitchen(backend, staff)
    await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "guest left") { id } }', order
    )
    for bumped_to in (None, "COMPLETED", "READY"):
        variables = {"id": order["id"], "from": bumped_to}
        extensions = await refusal(staff, staff, RECALL_FROM, variables)
        assert extensions["code"] == "INVALID_TRANSITION"


@pytest.mark.parametrize("bumped_to", ["PLACED", "IN_KITCHEN", "PAID", "CANCELLED"])
async def test_a_from_no_bump_leaves_an_order_in_is_bad_input(
    backend: Backend, staff: GraphQLHTTP, bumped_to: str
) -> None:
    order = await in_kitchen(backend, staff)
    await staff.data(READY, order)
    variables = {"id": order["id"], "from": bumped_to}
    extensions = await refusal(staff, staff, RECALL_FROM, variables)
    assert extensions == {"code": "BAD_USER_INPUT", "field": "from"}
    error = await staff.error(RECALL_FROM, variables)
    assert "READY or COMPLETED" in error["message"]
    assert (await staff.data(EVENTS, order))["order"]["status"] == "READY"
