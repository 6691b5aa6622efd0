"""Bad input against the real server (docs/api.md, "Errors" and "Limits").

Every refusal is checked three ways: the error carries the contract's
``extensions.code`` (and ``field`` where one is at fault), no order, event or menu
item changed, and the server still answers a good request afterwards.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from backend.embedded import Backend
from tests.backend._api import refusal, unchanged, without_handlers
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import (
    GRAPHQL_TRANSPORT_WS,
    PLACE_ORDER,
    GraphQLHTTP,
    GraphQLWS,
    open_ws,
    order_input,
    until_closed,
)

MIB = 1024 * 1024
LONG = "x" * 501  # one over the 500 characters a string may have
BAD_INPUT = "BAD_USER_INPUT"
LIMIT = "LIMIT_EXCEEDED"

MARK_READY = "mutation($id: ID!) { markReady(orderId: $id) { id status } }"
COMPLETE = "mutation($id: ID!) { completeOrder(orderId: $id) { id status } }"
CANCEL = 'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "customer left") { id status } }'
SET_AVAILABLE = """
mutation($id: ID!, $available: Boolean!) {
  setMenuItemAvailable(menuItemId: $id, available: $available) { id available }
}
"""


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """One backend for the module; each test compares the state before and after."""
    yield from without_handlers(tmp_path_factory.mktemp("api") / "passline.db")


def place_variables(**input: Any) -> dict[str, Any]:
    return {"input": input, "key": None}


def with_line(order: dict[str, Any], **line: Any) -> dict[str, Any]:
    return {**order, "items": [*order["items"], line]}


# -- the HTTP request itself ----------------------------------------------------------


def body(query: str = PLACE_ORDER, padding: int = 0) -> bytes:
    """A request body that would place an order, padded with spaces to a size (JSON
    whitespace after the object: the document itself has a limit of its own)."""
    document = {"query": query, "variables": place_variables(**order_input())}
    return (json.dumps(document) + " " * padding).encode()


async def raw_refusal(
    staff: GraphQLHTTP, content: bytes | AsyncIterator[bytes], content_type: str
) -> tuple[int, dict[str, Any]]:
    """Status and ``extensions`` of a raw POST that must fail and change nothing."""
    headers = {"Content-Type": content_type, "Authorization": f"Bearer {staff.token}"}
    async with unchanged(staff):
        response = await staff.client.post(staff.url, content=content, headers=headers)
    (error,) = response.json()["errors"]
    assert error["message"], error
    return response.status_code, error["extensions"]


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        pytest.param(body()[:-1], "application/json", id="malformed JSON"),
        pytest.param(body(), "text/plain", id="not JSON content type"),
        pytest.param(b"query { menu { id } }", "application/graphql", id="raw GraphQL"),
        pytest.param(b"null", "application/json", id="JSON null"),
        pytest.param(b'"mutation { x }"', "application/json", id="JSON string"),
        pytest.param(b"42", "application/json", id="JSON number"),
        pytest.param(b"{}", "application/json", id="no query"),
        pytest.param(b'{"query": 1}', "application/json", id="query not a string"),
        pytest.param(
            b'{"query": "{ menu { id } }", "variables": []}',
            "application/json",
            id="variables not an object",
        ),
    ],
)
async def test_a_body_that_is_not_a_graphql_request_is_refused(
    staff: GraphQLHTTP, content: bytes, content_type: str
) -> None:
    assert await raw_refusal(staff, content, content_type) == (400, {"code": BAD_INPUT})


async def test_a_body_over_one_mib_is_refused_by_its_content_length(staff: GraphQLHTTP) -> None:
    content = body(padding=MIB)
    assert await raw_refusal(staff, content, "application/json") == (413, {"code": LIMIT})


async def test_a_streamed_body_over_one_mib_is_refused_while_it_arrives(
    staff: GraphQLHTTP,
) -> None:
    content = body(padding=MIB)

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked encoding
        for start in range(0, len(content), 64 * 1024):
            yield content[start : start + 64 * 1024]

    assert await raw_refusal(staff, chunks(), "application/json") == (413, {"code": LIMIT})


async def test_a_body_just_under_the_limit_is_served(staff: GraphQLHTTP) -> None:
    content = body(query="{ menu { id } }", padding=MIB - 200)
    assert len(content) < MIB
    response = await staff.client.post(
        staff.url, content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["menu"]


async def test_a_subscription_over_http_is_refused(staff: GraphQLHTTP) -> None:
    extensions = await refusal(staff, staff, "subscription { orderChanges { seq } }")
    assert extensions == {"code": BAD_INPUT}


# -- the document ----------------------------------------------------------------------


def placing(selection: str, field: str = "placeOrder(input: $input)") -> str:
    """A mutation that would place an order, with this selection on its payload."""
    return f"mutation($input: PlaceOrderInput!) {{ {field} {{ {selection} }} }}"


PLACING = place_variables(**order_input())


@pytest.mark.parametrize(
    ("query", "code"),
    [
        pytest.param(placing("accessToken") + " }", BAD_INPUT, id="syntax error"),
        pytest.param(placing("accessToken price"), BAD_INPUT, id="unknown field"),
        pytest.param(
            placing("accessToken", "placeOrder(input: $input, tipCents: 500)"),
            BAD_INPUT,
            id="unknown argument",
        ),
        pytest.param(
            placing("order { id " + "__typename " * 2000 + "}"), LIMIT, id="too many tokens"
        ),
        pytest.param(
            placing(" ".join(f"a{n}: accessToken" for n in range(31))), LIMIT, id="too many aliases"
        ),
    ],
)
async def test_a_bad_document_is_refused(
    staff: GraphQLHTTP, public: GraphQLHTTP, query: str, code: str
) -> None:
    assert await refusal(staff, public, query, PLACING) == {"code": code}


async def test_a_document_deeper_than_ten_levels_is_refused(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    # No path through the schema is that deep, so the document names unknown fields as
    # well; the limit is reported first.
    deep = "order " + "{ a " * 10 + "}" * 10
    assert await refusal(staff, public, placing(deep), PLACING) == {"code": LIMIT}


async def test_deeply_nested_introspection_is_refused(staff: GraphQLHTTP) -> None:
    # __Type and __Field refer to each other: without a limit the answer grows
    # exponentially with the nesting.
    selection = "name"
    for _ in range(4):
        selection = f"name fields {{ type {{ ofType {{ ofType {{ {selection} }} }} }} }}"
    query = f'{{ __type(name: "__Type") {{ {selection} }} }}'
    assert await refusal(staff, staff, query) == {"code": LIMIT}


async def test_a_price_from_the_client_is_refused(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    order = with_line(order_input(), menuItemId="cola", quantity=1, unitPriceCents=1)
    extensions = await refusal(staff, public, PLACE_ORDER, place_variables(**order))
    assert extensions == {"code": BAD_INPUT}


async def test_two_mutation_fields_in_one_document_are_refused(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    twice = """
    mutation($input: PlaceOrderInput!) {
      a: placeOrder(input: $input) { accessToken }
      b: placeOrder(input: $input) { accessToken }
    }
    """
    assert await refusal(staff, public, twice, PLACING) == {"code": BAD_INPUT}


# -- the order ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "field"),
    [
        pytest.param(order_input(("margherita", 0)), "items.0.quantity", id="quantity 0"),
        pytest.param(
            order_input(("margherita", 1), ("cola", 100)), "items.1.quantity", id="quantity 100"
        ),
        pytest.param(order_input(*[("cola", 1)] * 51), "items", id="51 lines"),
        pytest.param({**order_input(), "items": []}, "items", id="no line"),
        pytest.param(order_input(customerName=LONG), "customerName", id="long customerName"),
        pytest.param(order_input(notes=LONG), "notes", id="long notes"),
        pytest.param(order_input(phone=LONG), "phone", id="long phone"),
        pytest.param(order_input(phone="abc"), "phone", id="not a phone number"),
        pytest.param(order_input(phone="020 7946 0000"), "phone", id="no country, no region"),
        pytest.param(
            order_input(fulfillment="DELIVERY", address=LONG), "address", id="long address"
        ),
        pytest.param(
            with_line(order_input(), menuItemId="cola", quantity=1, notes=LONG),
            "items.1.notes",
            id="long line notes",
        ),
        pytest.param(
            order_input(("margherita", 1), ("no-such-dish", 1)),
            "items.1.menuItemId",
            id="unknown menu item",
        ),
        pytest.param(order_input(("x" * 501, 1)), "items.0.menuItemId", id="long menu item id"),
        pytest.param(order_input(fulfillment="DELIVERY"), "address", id="DELIVERY without address"),
        pytest.param(
            order_input(fulfillment="DELIVERY", address="   "),
            "address",
            id="DELIVERY with a blank address",
        ),
        pytest.param(
            order_input(fulfillment="DINE_IN", table=None), "table", id="DINE_IN without table"
        ),
        pytest.param(order_input(fulfillment="DINE_IN", table=0), "table", id="table 0"),
        pytest.param(order_input(fulfillment="DINE_IN", table=1000), "table", id="table 1000"),
        pytest.param(order_input(table=3), "table", id="a table on a TAKEAWAY"),
    ],
)
async def test_a_bad_order_is_refused_with_its_field(
    staff: GraphQLHTTP, public: GraphQLHTTP, order: dict[str, Any], field: str
) -> None:
    extensions = await refusal(staff, public, PLACE_ORDER, place_variables(**order))
    assert extensions == {"code": BAD_INPUT, "field": field}


async def test_a_long_idempotency_key_is_refused(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    variables = {**PLACING, "key": LONG}
    extensions = await refusal(staff, public, PLACE_ORDER, variables)
    assert extensions == {"code": BAD_INPUT, "field": "idempotencyKey"}


async def test_the_limits_themselves_are_accepted(public: GraphQLHTTP) -> None:
    most = "x" * 500
    lines = [("margherita", 1), ("cola", 99), *[("fries", 1)] * 48]
    phone = "+1 202 555 0142" + " " * (500 - 15)  # the longest text a phone may be
    order = order_input(*lines, customerName=most, notes=most, phone=phone)
    placed = await public.data(PLACE_ORDER, place_variables(**order))
    assert [item["quantity"] for item in placed["placeOrder"]["order"]["items"][:2]] == [1, 99]


async def test_an_unavailable_menu_item_is_refused_until_it_is_back(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    await staff.data(SET_AVAILABLE, {"id": "tiramisu", "available": False})
    order = place_variables(**order_input(("margherita", 1), ("tiramisu", 1)))
    extensions = await refusal(staff, public, PLACE_ORDER, order)
    assert extensions == {"code": BAD_INPUT, "field": "items.1.menuItemId"}

    await staff.data(SET_AVAILABLE, {"id": "tiramisu", "available": True})
    assert (await public.data(PLACE_ORDER, order))["placeOrder"]["order"]["status"] == "PLACED"


async def test_an_unknown_menu_item_cannot_be_made_unavailable(staff: GraphQLHTTP) -> None:
    extensions = await refusal(staff, staff, SET_AVAILABLE, {"id": "nope", "available": False})
    assert extensions == {"code": "NOT_FOUND", "field": "menuItemId"}


@pytest.mark.parametrize("mutation", [MARK_READY, COMPLETE, CANCEL])
async def test_an_unknown_order_id_is_not_found(staff: GraphQLHTTP, mutation: str) -> None:
    await staff.place()  # an order exists; just not this one
    extensions = await refusal(staff, staff, mutation, {"id": "no-such-order"})
    assert extensions == {"code": "NOT_FOUND", "field": "orderId"}


async def test_a_cancelled_order_cannot_be_marked_ready_or_cancelled_again(
    staff: GraphQLHTTP,
) -> None:
    order_id = (await staff.place())["order"]["id"]
    await staff.data(CANCEL, {"id": order_id})
    for mutation in (MARK_READY, CANCEL):
        extensions = await refusal(staff, staff, mutation, {"id": order_id})
        assert extensions == {"code": "INVALID_TRANSITION"}


async def test_a_placed_order_cannot_be_completed(staff: GraphQLHTTP) -> None:
    order_id = (await staff.place())["order"]["id"]
    extensions = await refusal(staff, staff, COMPLETE, {"id": order_id})
    assert extensions == {"code": "INVALID_TRANSITION"}


@pytest.mark.parametrize("cursor", ["abc", "", "-1", "1.5", "0x10", "²", "9" * 19, "1 "])
async def test_a_bad_orders_cursor_is_refused(staff: GraphQLHTTP, cursor: str) -> None:
    query = "query($after: String) { orders(after: $after) { id } }"
    extensions = await refusal(staff, staff, query, {"after": cursor})
    assert extensions == {"code": BAD_INPUT, "field": "after"}


# -- the WebSocket protocol -------------------------------------------------------------


def subscribe(op_id: str, query: str, variables: dict[str, Any] | None = None) -> str:
    payload = {"query": query, "variables": variables or {}}
    return json.dumps({"id": op_id, "type": "subscribe", "payload": payload})


INIT = json.dumps(
    {"type": "connection_init", "payload": {"authorization": f"Bearer {STAFF_TOKEN}"}}
)
ACK = {"type": "connection_ack", "payload": None}
PLACE = subscribe("place", PLACE_ORDER, PLACING)  # an operation that would change state


async def violation(
    staff: GraphQLHTTP,
    *messages: str,
    subprotocols: tuple[str, ...] | None = (GRAPHQL_TRANSPORT_WS,),
) -> tuple[list[dict[str, Any]], int | None]:
    """What the server sends back on a connection that breaks the protocol, up to its close.

    Nothing may have changed, and a well-behaved connection must still be served.
    """
    async with unchanged(staff):
        connection = await open_ws(staff.url, subprotocols)
        with contextlib.suppress(ConnectionClosed):  # it may close before all are sent
            for message in messages:
                await connection.send(message)
        received = await until_closed(connection)
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("menu", "{ menu { id } }")
    assert (await ws.next_data("menu"))["menu"]
    await ws.close()
    return received


@pytest.mark.parametrize("subprotocols", [None, ("graphql-ws",), ("chat", "mqtt")])
async def test_a_websocket_without_graphql_transport_ws_is_closed_4406(
    staff: GraphQLHTTP, subprotocols: tuple[str, ...] | None
) -> None:
    # The handshake succeeds (with no subprotocol chosen), then the server closes.
    assert await violation(staff, INIT, subprotocols=subprotocols) == ([], 4406)


async def test_subscribing_before_connection_init_is_closed_4401(staff: GraphQLHTTP) -> None:
    assert await violation(staff, PLACE) == ([], 4401)


async def test_a_second_connection_init_is_closed_4429(staff: GraphQLHTTP) -> None:
    assert await violation(staff, INIT, INIT, PLACE) == ([ACK], 4429)


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(json.dumps({"type": "place_order", "payload": {}}), id="unknown type"),
        pytest.param(json.dumps({"id": "x", "payload": {}}), id="no type"),
        pytest.param("this is not JSON", id="not JSON"),
        pytest.param("[]", id="a list"),
        pytest.param("null", id="null"),
        pytest.param('"subscribe"', id="a string"),
        pytest.param(json.dumps({"id": {}, "type": "complete"}), id="id not a string"),
        pytest.param(
            json.dumps({"id": "x", "type": "subscribe", "payload": "{ menu { id } }"}),
            id="payload not an object",
        ),
        pytest.param(
            json.dumps({"id": "x", "type": "subscribe", "payload": {"query": ["{ menu { id } }"]}}),
            id="query not a string",
        ),
        pytest.param(
            json.dumps(
                {
                    "id": "x",
                    "type": "subscribe",
                    "payload": {"query": "{ menu { id } }", "variables": [1]},
                }
            ),
            id="variables not an object",
        ),
    ],
)
async def test_a_message_out_of_protocol_is_closed_4400(staff: GraphQLHTTP, message: str) -> None:
    assert await violation(staff, INIT, message, PLACE) == ([ACK], 4400)


async def test_a_duplicate_subscription_id_is_closed_4409(staff: GraphQLHTTP) -> None:
    live = subscribe("place", "subscription { orderChanges { seq } }")
    assert await violation(staff, INIT, live, PLACE) == ([ACK], 4409)


async def test_a_message_over_one_mib_is_closed_1009(staff: GraphQLHTTP) -> None:
    huge = subscribe("place", PLACE_ORDER + " " * MIB, PLACING)
    async with unchanged(staff):
        connection = await open_ws(staff.url, (GRAPHQL_TRANSPORT_WS,))
        await connection.send(INIT)
        # Acknowledged first: sent right behind the init, the frame over the limit can
        # end the connection before the server has answered the init.
        assert json.loads(await connection.recv()) == ACK
        with contextlib.suppress(ConnectionClosed):
            await connection.send(huge)
        assert await until_closed(connection) == ([], 1009)


@pytest.mark.parametrize("cursor", ["abc", "", "-1", "²", "9" * 19])
async def test_a_bad_event_log_cursor_ends_that_subscription_only(
    staff: GraphQLHTTP, cursor: str
) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    query = "subscription($after: String) { eventLog(after: $after) { cursor } }"
    await ws.subscribe("log", query, {"after": cursor})
    assert (await ws.error("log"))["extensions"] == {"code": BAD_INPUT, "field": "after"}

    await ws.subscribe("log", "{ menu { id } }")  # the connection serves on; the id is free
    assert (await ws.next_data("log"))["menu"]
    await ws.close()


@pytest.fixture
def impatient_backend(monkeypatch: pytest.MonkeyPatch, db_path: Path) -> Iterator[Backend]:
    """A backend that waits only a moment for connection_init (normally 10 s)."""
    monkeypatch.setattr("backend.api.view.WS_CONNECTION_INIT_SECONDS", 0.2)
    yield from without_handlers(db_path)


async def test_no_connection_init_in_time_is_closed_4408(impatient_backend: Backend) -> None:
    async with httpx.AsyncClient(timeout=10.0) as http:
        staff = GraphQLHTTP(http, impatient_backend.url, STAFF_TOKEN)
        assert await violation(staff) == ([], 4408)
