"""Idempotency keys over the real server: a key is its caller's and its request's.

The same key from another caller is another key (it places its own order); the same
key from the same caller for another request is refused and changes nothing; sent
again as it was, it answers the first order (issue #11, item 2).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backend.embedded import Backend
from backend.inprocess import InProcessGraphQL
from handlers.sdk import GraphQLFailure
from tests.backend._api import refusal, unchanged, without_handlers
from tests.graphql_client import GraphQLHTTP, order_input

PLACE = """
mutation Place($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) {
    accessToken
    order { id number channel customerName phone address items { menuItemId quantity } }
  }
}
"""
STAFF_INPUT = order_input(
    ("margherita", 2),
    channel="PHONE",
    fulfillment="DELIVERY",
    customerName="Ada Staffer",
    phone="+44 20 7946 0000",
    address="1 Pass Lane",
)
KIOSK_INPUT = order_input(("cola", 1), channel="KIOSK")
REUSED = "was already used for a different placeOrder request; send a new key"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """One backend for the module; no handler moves an order or uses a key."""
    yield from without_handlers(tmp_path_factory.mktemp("keys") / "passline.db")


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


async def place(client: GraphQLHTTP, input: dict[str, Any], key: str) -> dict[str, Any]:
    placed: dict[str, Any] = (await client.data(PLACE, {"input": input, "key": key}))["placeOrder"]
    return placed


def customer_of(client: GraphQLHTTP, placed: dict[str, Any]) -> GraphQLHTTP:
    return GraphQLHTTP(client.client, client.url, placed["accessToken"])


async def test_another_callers_key_does_not_return_the_staffs_order(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """The reproduction of the issue, word for word."""
    staffs = await place(staff, STAFF_INPUT, "shared-key-1")
    anonymous = await place(public, KIOSK_INPUT, "shared-key-1")
    assert anonymous["order"]["id"] != staffs["order"]["id"]
    assert anonymous["accessToken"] != staffs["accessToken"]
    assert anonymous["order"] == {
        **anonymous["order"],
        "channel": "KIOSK",
        "customerName": None,
        "phone": None,
        "address": None,
        "items": [{"menuItemId": "cola", "quantity": 1}],
    }
    # And the token it got is for its own order only.
    read = "query($id: ID!) { order(id: $id) { id } }"
    mine = customer_of(public, anonymous)
    assert (await mine.error(read, {"id": staffs["order"]["id"]}))["extensions"] == {
        "code": "FORBIDDEN"
    }
    # The staff's key still answers the staff's order.
    assert (await place(staff, STAFF_INPUT, "shared-key-1")) == staffs


async def test_a_customers_key_is_its_own(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    key = new_key()
    first = await place(public, KIOSK_INPUT, new_key())
    customer = customer_of(public, first)
    staffs = await place(staff, STAFF_INPUT, key)
    publics = await place(public, KIOSK_INPUT, key)
    customers = await place(customer, KIOSK_INPUT, key)
    ids = {staffs["order"]["id"], publics["order"]["id"], customers["order"]["id"]}
    assert len(ids) == 3
    assert await place(customer, KIOSK_INPUT, key) == customers


@pytest.mark.parametrize("who", ["staff", "public", "customer"])
async def test_the_same_callers_key_for_another_request_is_refused_and_changes_nothing(
    staff: GraphQLHTTP, public: GraphQLHTTP, who: str
) -> None:
    clients = {"staff": staff, "public": public}
    client = clients.get(who) or customer_of(public, await place(public, KIOSK_INPUT, new_key()))
    key = new_key()
    first = await place(client, KIOSK_INPUT, key)
    other = order_input(("cola", 2), channel="KIOSK")
    error = await client.error(PLACE, {"input": other, "key": key})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}
    assert REUSED in error["message"]
    extensions = await refusal(staff, client, PLACE, {"input": other, "key": key})
    assert extensions["field"] == "idempotencyKey"
    # The key is still the first request's.
    assert await place(client, KIOSK_INPUT, key) == first


async def test_two_kiosks_are_one_caller(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    """Anonymous callers share the public role and have no identity, so the role is the
    scope: a kiosk retrying with its key gets its order and accessToken back, whichever
    connection carries the retry; another request with that key is refused."""
    other_kiosk = GraphQLHTTP(public.client, public.url, None)
    key = new_key()
    first = await place(public, KIOSK_INPUT, key)
    async with unchanged(staff):
        assert await place(other_kiosk, KIOSK_INPUT, key) == first
        error = await other_kiosk.error(PLACE, {"input": order_input(channel="WEB"), "key": key})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}


# -- the handler role's mutations, in-process ----------------------------------------------

REJECT = """
mutation($id: ID!, $reason: String!, $key: String!) {
  rejectOrder(orderId: $id, reason: $reason, idempotencyKey: $key) { id status }
}
"""
VALIDATE = """
mutation($id: ID!, $key: String!) { markValidated(orderId: $id, idempotencyKey: $key) { id } }
"""


@pytest.fixture
def in_process(backend: Backend) -> InProcessGraphQL:
    assert backend.services is not None
    return InProcessGraphQL(backend.schema, backend.services)


def handler_error(
    backend: Backend, graphql: InProcessGraphQL, query: str, variables: dict[str, Any]
) -> dict[str, Any]:
    with pytest.raises(GraphQLFailure) as caught:
        backend.call(graphql(query, variables))
    (error,) = caught.value.errors
    return error


async def test_a_handlers_key_is_refused_for_another_reason_or_another_order(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP, in_process: InProcessGraphQL
) -> None:
    order = (await place(public, KIOSK_INPUT, new_key()))["order"]["id"]
    other = (await place(public, KIOSK_INPUT, new_key()))["order"]["id"]
    key = "event-1:validate_order"
    asked = {"id": order, "reason": "sold out", "key": key}
    first = backend.call(in_process(REJECT, asked))
    assert first == {"rejectOrder": {"id": order, "status": "REJECTED"}}
    assert backend.call(in_process(REJECT, asked)) == first
    async with unchanged(staff):
        for changed in ({**asked, "reason": "closed"}, {**asked, "id": other}):
            error = handler_error(backend, in_process, REJECT, changed)
            assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}
            assert "already used for a different reject request" in error["message"]
    # Another operation is another key: validating the other order is a fresh request.
    moved = backend.call(in_process(VALIDATE, {"id": other, "key": key}))
    assert moved == {"markValidated": {"id": other}}


async def test_a_handlers_key_is_not_the_staffs(
    backend: Backend, staff: GraphQLHTTP, in_process: InProcessGraphQL
) -> None:
    key = new_key()
    staffs = await place(staff, STAFF_INPUT, key)
    handlers = backend.call(in_process(PLACE, {"input": STAFF_INPUT, "key": key}))
    assert handlers["placeOrder"]["order"]["id"] != staffs["order"]["id"]


# -- the rule, over every pair of callers ---------------------------------------------------


@dataclass(frozen=True)
class Caller:
    name: str
    scope: str  # what the rule says identifies the caller


CALLERS = [
    Caller("staff", "staff"),
    Caller("kiosk", "public"),
    Caller("web page", "public"),
    Caller("customer A", "customer A"),
    Caller("customer B", "customer B"),
    Caller("handler", "handler"),
]
SINCE = "query($after: String) { orders(after: $after) { id } }"
INPUTS = st.fixed_dictionaries(
    {
        "items": st.lists(
            st.fixed_dictionaries(
                {
                    "menuItemId": st.sampled_from(["margherita", "cola"]),
                    "quantity": st.integers(1, 2),
                }
            ),
            min_size=1,
            max_size=2,
        ),
        "channel": st.sampled_from(["WEB", "KIOSK"]),
        "fulfillment": st.just("TAKEAWAY"),
        "customerName": st.sampled_from([None, "Ada"]),
    }
)


@pytest.fixture
async def clients(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP, in_process: InProcessGraphQL
) -> dict[str, Any]:
    a = customer_of(public, await place(public, KIOSK_INPUT, new_key()))
    b = customer_of(public, await place(public, KIOSK_INPUT, new_key()))
    web = GraphQLHTTP(public.client, public.url, None)
    return {
        "staff": staff,
        "kiosk": public,
        "web page": web,
        "customer A": a,
        "customer B": b,
        "handler": in_process,
    }


async def send(
    backend: Backend, client: Any, input: dict[str, Any], key: str
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the placeOrder answer, None) or (None, its error), from any kind of caller."""
    variables = {"input": input, "key": key}
    if isinstance(client, InProcessGraphQL):
        try:
            return backend.call(client(PLACE, variables))["placeOrder"], None
        except GraphQLFailure as failure:
            return None, failure.errors[0]
    body = await client.run(PLACE, variables)
    if body.get("errors"):
        return None, body["errors"][0]
    return body["data"]["placeOrder"], None


@settings(
    max_examples=60,
    deadline=None,
    # The server and the clients are shared by the examples; each uses its own key.
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    first_caller=st.sampled_from(CALLERS),
    second_caller=st.sampled_from(CALLERS),
    first_input=INPUTS,
    second_input=INPUTS,
    same_input=st.booleans(),
)
async def test_a_key_is_its_callers_and_its_requests(
    backend: Backend,
    staff: GraphQLHTTP,
    clients: dict[str, Any],
    first_caller: Caller,
    second_caller: Caller,
    first_input: dict[str, Any],
    second_input: dict[str, Any],
    same_input: bool,
) -> None:
    key = new_key()
    if same_input:
        second_input = first_input
    first, error = await send(backend, clients[first_caller.name], first_input, key)
    assert error is None and first is not None, error
    since = {"after": str(first["order"]["number"] - 1)}  # the first is the newest order
    assert await staff.data(SINCE, since) == {"orders": [{"id": first["order"]["id"]}]}
    second, error = await send(backend, clients[second_caller.name], second_input, key)
    placed = [order["id"] for order in (await staff.data(SINCE, since))["orders"]][1:]
    if first_caller.scope != second_caller.scope:
        # Another caller's key: a new order of its own.
        assert second is not None, error
        assert placed == [second["order"]["id"]]
        assert second["order"]["id"] != first["order"]["id"]
    elif second_input == first_input:
        # The same request again: the first order, token and all; nothing new.
        assert second == first
        assert placed == []
    else:
        assert second is None
        assert error is not None
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}
        assert placed == []
