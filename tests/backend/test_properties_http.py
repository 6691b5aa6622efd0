"""Properties of the HTTP endpoint under any body and any argument value (issue #11).

Whatever arrives, the answer is never a 5xx nor a masked "internal error" nor later
than the loop budget allows, every error carries a contract code, and a refused
request changes no order, event or menu item. A real server on an ephemeral port;
bounded runs (see ``_hostile``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.embedded import Backend
from backend.errors import ErrorCode
from tests.backend._api import STATE, without_handlers
from tests.backend._hostile import (
    BOUNDED,
    Raw,
    answered_in_time,
    encode,
    json_values,
    numbers,
    texts,
    wire_bodies,
)
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import GraphQLHTTP

CODES = {code.value for code in ErrorCode}


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from without_handlers(tmp_path_factory.mktemp("properties") / "passline.db")


@pytest.fixture(scope="module")
def order_ids(backend: Backend) -> list[str]:
    """Orders the mutations can find: one placed, one cancelled."""

    async def place() -> list[str]:
        async with httpx.AsyncClient(timeout=10.0) as http:
            staff = GraphQLHTTP(http, backend.url, STAFF_TOKEN)
            placed = [(await staff.place(channel="COUNTER"))["order"]["id"] for _ in range(2)]
            cancel = 'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "x") { id } }'
            await staff.data(cancel, {"id": placed[1]})
            return [str(order_id) for order_id in placed]

    return asyncio.run(place())


def check_answer(response: httpx.Response) -> bool:
    """Assert the answer keeps the contract; whether the request was refused."""
    assert response.status_code < 500, response.text
    body = response.json()
    assert isinstance(body, dict), body
    errors = body.get("errors") or []
    for error in errors:
        assert error["message"], error
        assert error["extensions"]["code"] in CODES, error
    return bool(errors) or response.status_code >= 400


async def send(staff: GraphQLHTTP, content: bytes, token: str | None) -> None:
    """POST ``content``; if it is refused, nothing may have changed."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    before = await staff.data(STATE)
    with answered_in_time(content):
        response = await staff.client.post(staff.url, content=content, headers=headers)
    if check_answer(response):
        assert await staff.data(STATE) == before, response.text


tokens = st.sampled_from([STAFF_TOKEN, None])


@BOUNDED
@given(content=wire_bodies, token=tokens)
async def test_any_body_gets_a_graphql_answer_and_a_refusal_changes_nothing(
    staff: GraphQLHTTP, content: bytes, token: str | None
) -> None:
    await send(staff, content, token)


# -- every argument of the public mutations, any value -----------------------------------

MUTATIONS: dict[str, tuple[str, dict[str, str]]] = {
    # name: (field, {argument: its GraphQL type})
    "placeOrder": (
        "placeOrder(input: $input, idempotencyKey: $idempotencyKey) { accessToken }",
        {"input": "PlaceOrderInput!", "idempotencyKey": "String"},
    ),
    "markReady": ("markReady(orderId: $orderId) { id }", {"orderId": "ID!"}),
    "completeOrder": ("completeOrder(orderId: $orderId) { id }", {"orderId": "ID!"}),
    "cancelOrder": (
        "cancelOrder(orderId: $orderId, reason: $reason) { id }",
        {"orderId": "ID!", "reason": "String!"},
    ),
    "setMenuItemAvailable": (
        "setMenuItemAvailable(menuItemId: $menuItemId, available: $available) { id }",
        {"menuItemId": "ID!", "available": "Boolean!"},
    ),
}

# Any value a client could put in an argument: text, numbers, the wrong type.
values = st.one_of(texts, numbers, st.none(), st.booleans(), json_values)


def usually(draw: st.DrawFn, valid: st.SearchStrategy[Any]) -> Any:
    """A value from ``valid`` seven times in eight, else any value: most requests get
    past the first check, so the later ones (and success) are exercised too."""
    return draw(valid) if draw(st.integers(0, 7)) else draw(values)


plain_texts = st.text(max_size=30) | st.sampled_from(["Ada", "+44 20 7946 0000", "1 Main St"])


@st.composite
def order_inputs(draw: st.DrawFn, known_items: list[str]) -> Any:
    """A PlaceOrderInput with any value in any field (most often the right one)."""
    lines = []
    for _ in range(draw(st.integers(0, 3))):
        line = {
            "menuItemId": usually(draw, st.sampled_from(known_items)),
            "quantity": usually(draw, st.integers(-1, 100)),
        }
        if draw(st.booleans()):
            line["notes"] = usually(draw, plain_texts)
        lines.append(line)
    order: dict[str, Any] = {
        "items": usually(draw, st.just(lines)),
        "channel": usually(draw, st.sampled_from(["WEB", "KIOSK", "COUNTER", "PHONE"])),
        "fulfillment": usually(draw, st.sampled_from(["TAKEAWAY", "DELIVERY", "DINE_IN"])),
    }
    for name in ("customerName", "phone", "address", "notes"):
        if draw(st.booleans()):
            order[name] = usually(draw, plain_texts)
    if order["fulfillment"] == "DINE_IN" or draw(st.booleans()):
        order["table"] = usually(draw, st.integers(1, 999))
    return usually(draw, st.just(order))


def literal(value: Any) -> str:
    """``value`` as a GraphQL literal (JSON's escapes are GraphQL's; keys are names)."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {literal(inner)}" for key, inner in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if value is None:
        return "null"
    return encode(value)


@st.composite
def mutation_requests(draw: st.DrawFn, order_ids: list[str]) -> tuple[str, str | None]:
    """A request body for one public mutation with any argument values, and its token."""
    name = draw(st.sampled_from(sorted(MUTATIONS)))
    field, arguments = MUTATIONS[name]
    known = {
        "orderId": st.sampled_from(order_ids),
        "menuItemId": st.sampled_from(["margherita", "cola", "tiramisu"]),
        "reason": plain_texts,
        "idempotencyKey": st.none() | plain_texts,
        "available": st.booleans(),
    }
    given_values: dict[str, Any] = {}
    for argument in arguments:
        if argument == "input":
            given_values[argument] = draw(order_inputs(["margherita", "cola", "tiramisu"]))
        else:
            given_values[argument] = usually(draw, known[argument])
    if draw(st.booleans()):  # as variables
        declared = ", ".join(f"${arg}: {kind}" for arg, kind in arguments.items())
        query = f"mutation({declared}) {{ {field} }}"
        body = {"query": query, "variables": given_values}
    else:  # as literals in the document
        for argument, value in given_values.items():
            field = field.replace(f"${argument}", literal(value))
        body = {"query": f"mutation {{ {field} }}"}
    token = STAFF_TOKEN if name != "placeOrder" or draw(st.booleans()) else None
    return encode(body), token


@BOUNDED
@given(data=st.data())
async def test_any_argument_of_a_public_mutation_gets_an_answer_of_the_contract(
    staff: GraphQLHTTP, order_ids: list[str], data: st.DataObject
) -> None:
    text, token = data.draw(mutation_requests(order_ids))
    await send(staff, text.encode("ascii"), token)


def test_raw_parts_are_sent_as_they_are() -> None:
    # The strategies rely on it: Python's own encoder refuses these.
    assert encode({"a": [Raw("NaN"), "\ud800"]}) == '{"a":[NaN,"\\ud800"]}'
