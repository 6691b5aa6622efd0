"""The kitchen's internals are the staff's (issue #11, item 10), over the real server.

An order's accessToken reads what a customer's page needs (the order, its items,
status, times and statusReason); the order's events, their deliveries and every
attempt with its error and traceback are refused to it, in queries, in placeOrder's
answer and in the ``order`` subscription. The staff still see all of it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import (
    FragmentDefinitionNode,
    GraphQLObjectType,
    OperationDefinitionNode,
    get_named_type,
    parse,
)

from backend._strawberry import core_schema
from backend.api.permissions import SelectionAuthorizer
from backend.api.schema import build_schema
from backend.auth import (
    HANDLER,
    LIMITED_ROLES,
    POLICY,
    PUBLIC,
    ROOT_TYPES,
    STAFF,
    Principal,
    Role,
    authorize,
)
from backend.embedded import Backend
from backend.errors import Forbidden, Unauthenticated
from backend.inprocess import InProcessGraphQL
from backend.registry import Registry
from handlers.sdk import Context, Event, HandlerDefinition, PermanentError
from tests.backend._api import refusal
from tests.conftest import running
from tests.graphql_client import GraphQLHTTP, GraphQLWS, order_input


async def broken_printer(event: Event, ctx: Context) -> None:
    """A handler that always fails: its delivery shows an error and a traceback."""
    raise PermanentError(f"the printer is jammed; internal path /var/spool/{event.order_id}")


REGISTRY = Registry([HandlerDefinition("printer", ("order_placed",), broken_printer)])
INTERNALS = "deliveries { handler lastError invocations { error traceback } }"
QUERIES = {
    "events": "query($id: ID!) { order(id: $id) { id events { seq type payload } } }",
    "deliveries": f"query($id: ID!) {{ order(id: $id) {{ events {{ {INTERNALS} }} }} }}",
    "aliased": "query($id: ID!) { order(id: $id) { history: events { seq } } }",
    "fragment": """
      query($id: ID!) { order(id: $id) { ...Kitchen } }
      fragment Kitchen on Order { status events { deliveries { lastError } } }
    """,
    "inline fragment": """
      query($id: ID!) { order(id: $id) { ... on Order { events { seq } } } }
    """,
}
CUSTOMER_PAGE = """
query($id: ID!) {
  order(id: $id) {
    id number status statusReason channel fulfillment customerName totalCents
    createdAt updatedAt items { menuItemId name quantity unitPriceCents notes }
  }
}
"""
STAFF_VIEW = f"query($id: ID!) {{ order(id: $id) {{ events {{ seq {INTERNALS} }} }} }}"
PLACE_WITH_EVENTS = """
mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { accessToken order { id events { seq } } }
}
"""


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    with running(tmp_path_factory.mktemp("internals") / "passline.db", REGISTRY) as server:
        yield server


@pytest.fixture
async def placed(public: GraphQLHTTP) -> dict[str, Any]:
    """A customer's order, its accessToken, and its failed delivery to the printer."""
    answer = await public.place(("margherita", 1), customerName="Ada")
    return answer


def customer(public: GraphQLHTTP, placed: dict[str, Any]) -> GraphQLHTTP:
    return GraphQLHTTP(public.client, public.url, placed["accessToken"])


async def failed(staff: GraphQLHTTP, order_id: str) -> dict[str, Any]:
    """The order's failed delivery, once the runner has given up on it."""
    deadline = time.monotonic() + 10
    while True:
        order = (await staff.data(STAFF_VIEW, {"id": order_id}))["order"]
        (delivery,) = order["events"][0]["deliveries"]
        if delivery["invocations"] and delivery["lastError"]:
            return dict(delivery)
        assert time.monotonic() < deadline, delivery
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
async def test_a_customer_is_refused_its_orders_internals(
    staff: GraphQLHTTP, public: GraphQLHTTP, placed: dict[str, Any], query: str
) -> None:
    order_id = placed["order"]["id"]
    await failed(staff, order_id)  # there is an error and a traceback to leak
    error = await customer(public, placed).error(query, {"id": order_id})
    assert error["extensions"] == {"code": "FORBIDDEN"}
    assert "Order.events" in error["message"]
    assert "for the staff only" in error["message"]
    assert "leave events out of the query" in error["message"]


async def test_a_customer_reads_what_its_page_needs(
    public: GraphQLHTTP, placed: dict[str, Any]
) -> None:
    order_id = placed["order"]["id"]
    order = (await customer(public, placed).data(CUSTOMER_PAGE, {"id": order_id}))["order"]
    assert order["id"] == order_id
    assert order["status"] == "PLACED"
    assert order["statusReason"] is None
    assert order["items"][0]["menuItemId"] == "margherita"


async def test_the_staff_still_read_the_internals(
    staff: GraphQLHTTP, placed: dict[str, Any]
) -> None:
    delivery = await failed(staff, placed["order"]["id"])
    assert "the printer is jammed" in delivery["lastError"]
    (attempt,) = delivery["invocations"]
    assert "PermanentError" in attempt["traceback"]


async def test_the_order_subscription_refuses_the_internals_before_its_first_message(
    staff: GraphQLHTTP, placed: dict[str, Any]
) -> None:
    order_id = placed["order"]["id"]
    ws = await GraphQLWS.connect(staff.url, placed["accessToken"])
    try:
        query = "subscription($id: ID!) { order(id: $id) { status events { seq } } }"
        await ws.subscribe("kitchen", query, {"id": order_id})
        error = await ws.error("kitchen")
        assert error["extensions"] == {"code": "FORBIDDEN"}
        assert "Order.events" in error["message"]
        # The same connection still follows the order without them.
        await ws.subscribe(
            "mine", "subscription($id: ID!) { order(id: $id) { status } }", {"id": order_id}
        )
        assert (await ws.next_data("mine"))["order"] == {"status": "PLACED"}
    finally:
        await ws.close()


async def test_the_staff_follow_the_internals_live(
    staff: GraphQLHTTP, placed: dict[str, Any]
) -> None:
    order_id = placed["order"]["id"]
    ws = await GraphQLWS.connect(staff.url, staff.token)
    try:
        query = f"subscription($id: ID!) {{ order(id: $id) {{ events {{ {INTERNALS} }} }} }}"
        await ws.subscribe("kitchen", query, {"id": order_id})
        events = (await ws.next_data("kitchen"))["order"]["events"]
        assert events[0]["deliveries"][0]["handler"] == "printer"
    finally:
        await ws.close()


@pytest.mark.parametrize("who", ["public", "customer"])
async def test_placing_an_order_that_asks_for_its_events_is_refused_and_places_nothing(
    staff: GraphQLHTTP, public: GraphQLHTTP, placed: dict[str, Any], who: str
) -> None:
    client = public if who == "public" else customer(public, placed)
    extensions = await refusal(staff, client, PLACE_WITH_EVENTS, {"input": order_input()})
    assert extensions == {"code": "UNAUTHENTICATED" if who == "public" else "FORBIDDEN"}


# -- statusReason: why an order was rejected or its payment declined ---------------------

REJECT = """
mutation($id: ID!, $reason: String!, $key: String!) {
  rejectOrder(orderId: $id, reason: $reason, idempotencyKey: $key) { status }
}
"""
VALIDATE = """
mutation($id: ID!, $key: String!) { markValidated(orderId: $id, idempotencyKey: $key) { status } }
"""
FAIL_PAYMENT = """
mutation($id: ID!, $reason: String!, $key: String!) {
  failPayment(orderId: $id, reason: $reason, idempotencyKey: $key) { status }
}
"""
CANCEL = 'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "staff only note") { status } }'
REASON = "query($id: ID!) { order(id: $id) { status statusReason } }"


@pytest.fixture
def in_process(backend: Backend) -> InProcessGraphQL:
    """The handler role, as the pipeline's handlers call the API."""
    assert backend.services is not None
    return InProcessGraphQL(backend.schema, backend.services)


async def test_a_customer_reads_why_its_order_was_rejected(
    backend: Backend, public: GraphQLHTTP, placed: dict[str, Any], in_process: InProcessGraphQL
) -> None:
    order_id = placed["order"]["id"]
    reason = {"id": order_id, "reason": "Margherita is sold out", "key": "reject-1"}
    backend.call(in_process(REJECT, reason))
    answer = await customer(public, placed).data(REASON, {"id": order_id})
    assert answer == {"order": {"status": "REJECTED", "statusReason": "Margherita is sold out"}}


async def test_a_customer_reads_why_its_payment_failed(
    backend: Backend, public: GraphQLHTTP, placed: dict[str, Any], in_process: InProcessGraphQL
) -> None:
    order_id = placed["order"]["id"]
    backend.call(in_process(VALIDATE, {"id": order_id, "key": "validate-1"}))
    declined = "the card was declined (charge ch_1)"
    backend.call(in_process(FAIL_PAYMENT, {"id": order_id, "reason": declined, "key": "fail-1"}))
    answer = await customer(public, placed).data(REASON, {"id": order_id})
    assert answer == {"order": {"status": "PAYMENT_FAILED", "statusReason": declined}}


async def test_the_staffs_cancellation_note_is_not_a_status_reason(
    staff: GraphQLHTTP, public: GraphQLHTTP, placed: dict[str, Any]
) -> None:
    order_id = placed["order"]["id"]
    await staff.data(CANCEL, {"id": order_id})
    answer = await customer(public, placed).data(REASON, {"id": order_id})
    assert answer == {"order": {"status": "CANCELLED", "statusReason": None}}


async def test_the_staff_read_why_they_cancelled_and_the_customer_may_not(
    staff: GraphQLHTTP, public: GraphQLHTTP, placed: dict[str, Any]
) -> None:
    order_id = placed["order"]["id"]
    query = "query($id: ID!) { order(id: $id) { status cancelReason } }"
    assert (await staff.data(query, {"id": order_id}))["order"]["cancelReason"] is None
    await staff.data(CANCEL, {"id": order_id})
    answer = await staff.data(query, {"id": order_id})
    assert answer == {"order": {"status": "CANCELLED", "cancelReason": "staff only note"}}
    refused = await customer(public, placed).run(query, {"id": order_id})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


# -- the rule, over the whole schema -----------------------------------------------------


def test_every_way_into_the_runner_is_refused_to_customers_and_the_public() -> None:
    """From every root field a customer or the public may use, every path to an event,
    a delivery, an attempt or a handler crosses a field POLICY refuses them: a field
    added later that opens another way fails here."""
    schema = core_schema(build_schema())
    internal = {"Event", "Delivery", "Invocation", "Handler", "EventLogEntry"}
    assert frozenset({Role.CUSTOMER, Role.PUBLIC}) == LIMITED_ROLES
    for role in LIMITED_ROLES:
        roots = [
            (type_name, field)
            for field_key, roles in POLICY.items()
            if role in roles and (type_name := field_key.partition(".")[0]) in ROOT_TYPES
            for field in [field_key.partition(".")[2]]
        ]
        assert roots, role
        seen: set[str] = set()
        todo: list[tuple[str, str]] = list(roots)
        while todo:
            type_name, field_name = todo.pop()
            key = f"{type_name}.{field_name}"
            if type_name not in ROOT_TYPES and key in POLICY and role not in POLICY[key]:
                continue  # refused here: nothing below is reached
            parent = schema.get_type(type_name)
            assert isinstance(parent, GraphQLObjectType)
            target = get_named_type(parent.fields[field_name].type)
            assert target.name not in internal, f"{role.value} reaches {target.name} by {key}"
            if isinstance(target, GraphQLObjectType) and target.name not in seen:
                seen.add(target.name)
                todo.extend((target.name, name) for name in target.fields)
        assert "Order" in seen  # the walk did reach the order


@pytest.mark.parametrize(
    "field", [key for key in POLICY if key.partition(".")[0] not in ROOT_TYPES]
)
def test_each_internal_field_is_refused_by_role(field: str) -> None:
    for principal in (STAFF, HANDLER):
        authorize(principal, field)
    with pytest.raises(Forbidden, match="for the staff only"):
        authorize(Principal(Role.CUSTOMER, order_id="o1"), field)
    with pytest.raises(Unauthenticated, match="send the staff token"):
        authorize(PUBLIC, field)


def test_the_selection_check_is_linear_in_nested_fragments() -> None:
    """Each fragment spreads the next twice (issue #11, item 1's document): expanded,
    2**40 fields; checked, each fragment once. The events at the bottom are found."""
    levels = 40
    fragments = " ".join(
        f"fragment F{i} on Order {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)
    )
    document = parse(
        f'query {{ order(id: "o1") {{ ...F0 }} }} {fragments} '
        f"fragment F{levels} on Order {{ id events {{ seq }} }}"
    )
    (operation, *definitions) = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    named = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
    check = SelectionAuthorizer(
        Principal(Role.CUSTOMER, order_id="o1"), core_schema(build_schema()), named
    )
    started = time.perf_counter()
    with pytest.raises(Forbidden, match=r"Order\.events"):
        check.check("Query", operation.selection_set.selections)
    assert time.perf_counter() - started < 1.0
    assert len(check.walked) == levels + 1
