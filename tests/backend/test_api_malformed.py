"""Malformed bodies and text that is not text, against the real server (issue #11, 4 and 5).

Each refusal is a 4xx (or a GraphQL error) with the contract's ``extensions.code``, a
message that says what to send, no change to any order, event or menu item, and a
server that answers the next request.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from backend.api.decoding import MAX_JSON_DEPTH, Unreadable, decode
from backend.embedded import Backend
from backend.server import InternalErrors, Server
from tests.backend._api import refusal, unchanged, without_handlers
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import PLACE_ORDER, GraphQLHTTP, order_input

BAD_INPUT = "BAD_USER_INPUT"
LIMIT = "LIMIT_EXCEEDED"
MENU = "{ menu { id } }"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from without_handlers(tmp_path_factory.mktemp("malformed") / "passline.db")


async def post_raw(staff: GraphQLHTTP, content: bytes) -> tuple[int, dict[str, Any]]:
    """Status and the one error of a raw JSON POST that must fail and change nothing."""
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {staff.token}"}
    async with unchanged(staff):
        response = await staff.client.post(staff.url, content=content, headers=headers)
    assert response.headers["content-type"] == "application/json", response.text
    (error,) = response.json()["errors"]
    assert error["message"], error
    return response.status_code, error


def with_variables(raw_variables: bytes, query: str = MENU) -> bytes:
    return b'{"query": ' + json.dumps(query).encode() + b', "variables": ' + raw_variables + b"}"


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# -- item 4: the body ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code", "says"),
    [
        pytest.param(with_variables(b'{"a": "caf\xe9"}'), BAD_INPUT, "not UTF-8", id="Latin-1"),
        pytest.param(b"\xff\xfe{\x00}\x00", BAD_INPUT, "not UTF-8", id="UTF-16"),
        pytest.param(
            with_variables(b'{"a": ' + nested(10_000) + b"}"),
            LIMIT,
            "levels deep",
            id="10,000 deep",
        ),
        pytest.param(
            with_variables(b'{"a": ' + nested(MAX_JSON_DEPTH - 1) + b"}"),
            LIMIT,
            "levels deep",
            id="one level too deep",
        ),
        pytest.param(with_variables(b'{"a": ' + b"9" * 5_000 + b"}"), LIMIT, "digits", id="5,000"),
        pytest.param(
            with_variables(
                b'{"n": ' + b"1" * 4_301 + b"}", "query($n: Int) { orders(first: $n) { id } }"
            ),
            LIMIT,
            "digits",
            id="4,301 digits for an Int",
        ),
        pytest.param(with_variables(b'{"a": NaN}'), BAD_INPUT, "NaN", id="NaN"),
        pytest.param(with_variables(b'{"a": -Infinity}'), BAD_INPUT, "Infinity", id="Infinity"),
        pytest.param(
            b'{"query": "{ menu { id } }", "operationName": 1}',
            BAD_INPUT,
            "operationName",
            id="operationName not a string",
        ),
        pytest.param(b'[{"query": "{ menu { id } }"}]', BAD_INPUT, "one operation", id="batch"),
    ],
)
async def test_a_malformed_body_gets_a_graphql_error_and_a_4xx(
    staff: GraphQLHTTP, content: bytes, code: str, says: str
) -> None:
    status, error = await post_raw(staff, content)
    assert status == 400
    assert error["extensions"] == {"code": code}
    assert says in error["message"]


def test_deep_json_is_refused_before_the_parser_recurses_into_it() -> None:
    # At the recursion limit anything else that runs fails too (a garbage collector's
    # callback, as a property test found): the parser must never get there.
    with pytest.raises(Unreadable) as refused:
        decode(b'{"a": ' + nested(3_000) + b"}")
    assert "levels deep" in refused.value.message
    assert refused.value.__cause__ is None  # not a RecursionError caught afterwards
    # Brackets inside strings are text, not nesting; escaped quotes stay in their string.
    text = '{"query": "' + "{ [ " * 500 + '\\" ]", "variables": {"a": [[1]]}}'
    assert decode(text) == json.loads(text)


async def test_the_deepest_json_allowed_is_served(staff: GraphQLHTTP) -> None:
    # The body and its variables are two levels; the value may nest the rest.
    content = with_variables(b'{"a": ' + nested(MAX_JSON_DEPTH - 2) + b"}")
    response = await staff.client.post(
        staff.url, content=content, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["menu"]


async def test_many_bodies_at_once_are_each_refused_and_nothing_is_logged_as_a_fault(
    staff: GraphQLHTTP, caplog: pytest.LogCaptureFixture
) -> None:
    bodies = [
        with_variables(b'{"a": ' + nested(5_000) + b"}"),
        with_variables(b'{"a": "\xc3"}'),
        with_variables(b'{"a": ' + b"7" * 10_000 + b"}"),
    ] * 10
    uvicorn = logging.getLogger("uvicorn")  # its records stop there, short of the root
    uvicorn.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.ERROR):
            statuses = await asyncio.gather(*(post_raw(staff, body) for body in bodies))
    finally:
        uvicorn.removeHandler(caplog.handler)
    assert {status for status, _ in statuses} == {400}
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text


async def test_a_client_gone_halfway_through_its_body_is_not_a_fault(
    backend: Backend, caplog: pytest.LogCaptureFixture
) -> None:
    # A till switched off mid-request: its body stops short and the connection closes.
    url = httpx.URL(backend.url)
    with caplog.at_level(logging.ERROR):
        reader, writer = await asyncio.open_connection(url.host, url.port)
        writer.write(
            b"POST /graphql HTTP/1.1\r\nHost: passline\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n" + b'{"query": "{ menu { id } }", '
        )
        await writer.drain()
        writer.write_eof()
        # The server ends the connection once it has dealt with it: nobody to answer.
        assert await asyncio.wait_for(reader.read(), 10) == b""
        writer.close()
        await writer.wait_closed()
        # The server is still serving, and said nothing of a fault of its own.
        async with httpx.AsyncClient(timeout=10.0) as http:
            response = await http.post(backend.url, json={"query": MENU})
    assert response.status_code == 200
    assert "internal error" not in caplog.text, caplog.text


async def _faulty_app(scope: Scope, receive: Receive, send: Send) -> None:
    raise RuntimeError("a fault of ours")


async def test_a_fault_of_ours_is_a_graphql_shaped_500_with_an_id_in_the_log(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = Server(InternalErrors(_faulty_app), "127.0.0.1", 0)
    await server.start()
    try:
        async with httpx.AsyncClient(timeout=10.0) as http:
            with caplog.at_level(logging.ERROR):
                response = await http.post(server.url, json={"query": MENU})
    finally:
        await server.stop()
    assert response.status_code == 500
    (error,) = response.json()["errors"]
    error_id = error["extensions"]["id"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "id": error_id}
    assert "a fault of ours" not in error["message"]
    assert f"internal error {error_id}" in caplog.text
    assert "RuntimeError: a fault of ours" in caplog.text


# -- item 5: text that is not text -------------------------------------------------------

MARK_READY = "mutation($id: ID!) { markReady(orderId: $id) { id } }"
COMPLETE = "mutation($id: ID!) { completeOrder(orderId: $id) { id } }"
CANCEL = (
    "mutation($id: ID!, $reason: String!) { cancelOrder(orderId: $id, reason: $reason) { id } }"
)
SET_AVAILABLE = """
mutation($id: ID!) { setMenuItemAvailable(menuItemId: $id, available: false) { id } }
"""
# A JSON "\ud800" escape decodes to a lone surrogate: a code point, not a character.
LONE = ["\ud800", "ab\udbffcd", "\udc00", "pizza \udfff"]


def placing(line: dict[str, str] | None = None, **changes: Any) -> dict[str, Any]:
    """placeOrder's variables: a delivery (so every text field is used) with one line."""
    item = {"menuItemId": "margherita", "quantity": 1, **(line or {})}
    order = {**order_input(fulfillment="DELIVERY", address="1 Main St"), **changes}
    return {"input": {**order, "items": [item]}, "key": None}


@pytest.fixture(scope="module")
def order_id(backend: Backend) -> str:
    """An order that every transition below could move, were its text valid."""

    async def place() -> str:
        async with httpx.AsyncClient(timeout=10.0) as http:
            staff = GraphQLHTTP(http, backend.url, STAFF_TOKEN)
            placed = await staff.place(channel="COUNTER")
            return str(placed["order"]["id"])

    return asyncio.run(place())


Variables = Callable[[str, str], dict[str, Any]]  # (an order id, the text) -> variables

# Every string argument of the public mutations: the query, its variables with the
# text in that argument, and the field the error must name.
STRING_ARGUMENTS: list[tuple[str, Variables, str]] = [
    (PLACE_ORDER, lambda _, text: placing(line={"menuItemId": text}), "items.0.menuItemId"),
    (PLACE_ORDER, lambda _, text: placing(line={"notes": text}), "items.0.notes"),
    (PLACE_ORDER, lambda _, text: placing(customerName=text), "customerName"),
    (PLACE_ORDER, lambda _, text: placing(phone=text), "phone"),
    (PLACE_ORDER, lambda _, text: placing(address=text), "address"),
    (PLACE_ORDER, lambda _, text: placing(notes=text), "notes"),
    (PLACE_ORDER, lambda _, text: {**placing(), "key": text}, "idempotencyKey"),
    (MARK_READY, lambda _, text: {"id": text}, "orderId"),
    (COMPLETE, lambda _, text: {"id": text}, "orderId"),
    (CANCEL, lambda _, text: {"id": text, "reason": "customer left"}, "orderId"),
    (CANCEL, lambda order_id, text: {"id": order_id, "reason": text}, "reason"),
    (SET_AVAILABLE, lambda _, text: {"id": text}, "menuItemId"),
]


def _mutation(query: str) -> str:
    return query.split("{")[1].split("(", maxsplit=1)[0].strip()


@pytest.mark.parametrize("text", LONE)
@pytest.mark.parametrize(
    ("query", "variables", "field"),
    [
        pytest.param(query, variables, field, id=f"{_mutation(query)}.{field}")
        for query, variables, field in STRING_ARGUMENTS
    ],
)
async def test_a_lone_surrogate_in_any_string_argument_is_bad_input_with_its_field(
    staff: GraphQLHTTP, order_id: str, query: str, variables: Variables, field: str, text: str
) -> None:
    extensions = await refusal(staff, staff, query, variables(order_id, text))
    assert extensions == {"code": BAD_INPUT, "field": field}


async def test_the_message_names_the_code_point_and_what_to_send(
    staff: GraphQLHTTP, order_id: str
) -> None:
    error = await staff.error(CANCEL, {"id": order_id, "reason": "no \udc01 thanks"})
    assert "reason" in error["message"]
    assert "U+DC01" in error["message"]
    assert "valid Unicode" in error["message"]


@pytest.mark.parametrize(
    "literal",
    [
        pytest.param(r"\ud800", id="a GraphQL escape"),
        pytest.param("\ud800", id="the code point itself"),
    ],
)
async def test_a_lone_surrogate_in_a_document_literal_is_bad_input(
    staff: GraphQLHTTP, literal: str
) -> None:
    # The parser refuses it before any field runs, so the error has a location, not a field.
    query = 'mutation { completeOrder(orderId: "' + literal + '") { id } }'
    error = await staff.error(query)
    assert error["extensions"] == {"code": BAD_INPUT}
    assert "U+D800" in error["message"] or r"\ud800" in error["message"]
    assert error["locations"]


async def test_text_with_surrogate_pairs_is_text(staff: GraphQLHTTP) -> None:
    # JSON spells characters outside the BMP as a pair of escapes; those are fine.
    placed = await staff.data(PLACE_ORDER, placing(customerName="Zo\u00eb \ud83c\udf55"))
    order = await staff.data(
        "query($id: ID!) { order(id: $id) { customerName } }",
        {"id": placed["placeOrder"]["order"]["id"]},
    )
    assert order["order"]["customerName"] == "Zo\u00eb \U0001f355"


def test_the_server_keeps_an_idle_connection_longer_than_clients_keep_theirs() -> None:
    """Else a request sent on a connection as the server closed it fails (ReadError):
    the client (httpx keeps one 5 s by default) must be the one to drop it."""
    server = Server(InternalErrors(_faulty_app), "127.0.0.1", 0)
    try:
        keep_alive = server._server.config.timeout_keep_alive
        client_expiry = httpx.Limits().keepalive_expiry  # what an httpx client keeps by default
        assert client_expiry is not None and keep_alive > 2 * client_expiry
    finally:
        server.socket.close()
