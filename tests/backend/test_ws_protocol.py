"""graphql-transport-ws as PROTOCOL.md and graphql-ws's reference server say (issue #11, 9).

An operation that cannot run gets an ``error`` message for its id and the connection
serves on; a message that breaks the protocol closes the connection with 4400 and a
reason that says what was wrong; neither stops the server serving the next client.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed

from backend.api.websocket import MAX_CLOSE_REASON_BYTES
from backend.embedded import Backend
from tests.backend._api import unchanged, without_handlers
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import PLACE_ORDER, GraphQLHTTP, GraphQLWS, open_ws, order_input

BAD_INPUT = "BAD_USER_INPUT"
LIMIT = "LIMIT_EXCEEDED"
MENU = "{ menu { id } }"
INIT = json.dumps(
    {"type": "connection_init", "payload": {"authorization": f"Bearer {STAFF_TOKEN}"}}
)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from without_handlers(tmp_path_factory.mktemp("ws") / "passline.db")


def subscribe(op_id: str, query: str, **payload: Any) -> str:
    return json.dumps({"id": op_id, "type": "subscribe", "payload": {"query": query, **payload}})


async def still_serving(staff: GraphQLHTTP) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("menu", MENU)
    assert (await ws.next_data("menu"))["menu"]
    await ws.close()


# -- an operation that cannot run: `error`, and the connection serves on --------------


async def operation_error(staff: GraphQLHTTP, query: str, **payload: Any) -> dict[str, Any]:
    """The one error of a subscribe that must fail before it runs, changing nothing."""
    async with unchanged(staff):
        ws = await GraphQLWS.connect(staff.url, staff.token)
        await ws.connection.send(subscribe("op", query, **payload))
        message = await ws.receive()
        assert message["type"] == "error" and message["id"] == "op", message
        # The id is free again and the connection still serves.
        await ws.subscribe("op", MENU)
        assert (await ws.next_data("op"))["menu"]
        await ws.close()
    error: dict[str, Any] = message["payload"][0]  # the first; validation may add more
    assert error["message"], error
    return error


PLACING = {"input": order_input(), "key": None}


@pytest.mark.parametrize(
    ("query", "code", "says"),
    [
        pytest.param(PLACE_ORDER + " }", BAD_INPUT, "Syntax Error", id="syntax error"),
        pytest.param(
            "{ menu { id " + "__typename " * 3_000 + "} }", LIMIT, "tokens", id="too many tokens"
        ),
    ],
)
async def test_a_document_that_does_not_parse_gets_an_error_message(
    staff: GraphQLHTTP, query: str, code: str, says: str
) -> None:
    error = await operation_error(staff, query, variables=PLACING)
    assert error["extensions"] == {"code": code}
    assert says in error["message"]


async def test_a_document_over_the_depth_or_alias_limits_gets_an_error_message(
    staff: GraphQLHTTP,
) -> None:
    deep = "{ menu " + "{ id " * 12 + "}" * 12 + " }"
    assert (await operation_error(staff, deep))["extensions"] == {"code": LIMIT}
    aliases = "{ " + " ".join(f"a{n}: menu {{ id }}" for n in range(40)) + " }"
    assert (await operation_error(staff, aliases))["extensions"] == {"code": LIMIT}


TWO_OPERATIONS = """
query Menu { menu { id } }
mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { accessToken } }
"""


async def test_two_operations_without_an_operation_name_get_an_error_message(
    staff: GraphQLHTTP,
) -> None:
    # strawberry ran the first one; the spec and the reference server refuse.
    error = await operation_error(staff, TWO_OPERATIONS, variables=PLACING)
    assert error["extensions"] == {"code": BAD_INPUT}
    assert "operationName" in error["message"] and "Menu, Place" in error["message"]


async def test_an_unknown_operation_name_gets_an_error_message(staff: GraphQLHTTP) -> None:
    # strawberry closed the whole connection with 4400.
    error = await operation_error(staff, TWO_OPERATIONS, operationName="Cancel")
    assert error["extensions"] == {"code": BAD_INPUT}
    assert "Cancel" in error["message"]


async def test_the_operation_named_is_the_one_that_runs(staff: GraphQLHTTP) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.connection.send(subscribe("op", TWO_OPERATIONS, operationName="Menu"))
    assert (await ws.next_data("op"))["menu"]
    await ws.close()


async def test_two_operations_over_http_are_refused_too(staff: GraphQLHTTP) -> None:
    async with unchanged(staff):
        response = await staff.post(TWO_OPERATIONS, PLACING)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": BAD_INPUT}


# -- connection_init --------------------------------------------------------------------


async def test_connection_init_with_a_null_payload_is_one_without_a_payload(
    staff: GraphQLHTTP,
) -> None:
    connection = await open_ws(staff.url)
    await connection.send(json.dumps({"type": "connection_init", "payload": None}))
    assert json.loads(await connection.recv())["type"] == "connection_ack"
    ws = GraphQLWS(connection)
    await ws.subscribe("menu", MENU)  # the public surface: no token was given
    assert (await ws.next_data("menu"))["menu"]
    assert await ws.receive() == {"id": "menu", "type": "complete"}
    await ws.subscribe("orders", "{ orders { id } }")
    assert (await ws.error("orders"))["extensions"]["code"] == "UNAUTHENTICATED"
    await ws.close()


async def test_a_pong_carries_the_pings_payload(staff: GraphQLHTTP) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.connection.send(json.dumps({"type": "ping", "payload": {"sentAt": 12}}))
    assert json.loads(await ws.connection.recv()) == {"type": "pong", "payload": {"sentAt": 12}}
    await ws.connection.send(json.dumps({"type": "ping"}))
    assert json.loads(await ws.connection.recv()) == {"type": "pong"}
    await ws.close()


# -- a message out of protocol: 4400 with a reason, and the server serves on --------------


async def closed(staff: GraphQLHTTP, *messages: str) -> tuple[list[dict[str, Any]], int, str]:
    """What a connection that breaks the protocol gets back, its close code and reason."""
    async with unchanged(staff):
        connection = await open_ws(staff.url)
        with contextlib.suppress(ConnectionClosed):
            for message in messages:
                await connection.send(message)
        received = []
        with contextlib.suppress(ConnectionClosed):
            async for raw in connection:
                received.append(json.loads(raw))
    await still_serving(staff)
    assert connection.close_code is not None
    return received, connection.close_code, connection.close_reason or ""


ACK = {"type": "connection_ack", "payload": None}


def raw_subscribe(variables: str) -> str:
    """A subscribe message with ``variables`` as they are (json.dumps would refuse some)."""
    head = '{"id": "1", "type": "subscribe", "payload": {"query": "{ menu { id } }", "variables": '
    return head + variables + "}}"


@pytest.mark.parametrize(
    ("message", "says"),
    [
        pytest.param(raw_subscribe("[" * 10_000 + "]" * 10_000), "levels deep", id="deep"),
        pytest.param(raw_subscribe('{"a": ' + "9" * 5_000 + "}"), "digits", id="5,000 digits"),
        pytest.param(raw_subscribe('{"a": NaN}'), "NaN", id="NaN"),
        pytest.param(json.dumps({"type": "\ud800"}), "unknown message type", id="surrogate type"),
        pytest.param(json.dumps({"type": "x" * 300}), "unknown message type", id="long type"),
        pytest.param(json.dumps({"type": ["subscribe"]}), "unknown message type", id="list type"),
        pytest.param(json.dumps({"type": "complete"}), "id", id="complete without an id"),
        pytest.param(json.dumps({"type": "ping", "payload": 1}), "payload", id="ping payload 1"),
        pytest.param(subscribe("1", MENU, operationName=1), "operationName", id="operationName 1"),
        pytest.param(subscribe("1", MENU, variables=0), "variables", id="variables 0"),
        pytest.param(subscribe("1", MENU, extensions=[]), "extensions", id="extensions a list"),
    ],
)
async def test_a_message_out_of_protocol_is_closed_4400_with_a_reason(
    staff: GraphQLHTTP, message: str, says: str
) -> None:
    received, code, reason = await closed(staff, INIT, message)
    assert (received, code) == ([ACK], 4400)
    assert says in reason


async def test_a_connection_init_payload_that_is_not_an_object_is_closed_4400(
    staff: GraphQLHTTP,
) -> None:
    init = json.dumps({"type": "connection_init", "payload": "Bearer x"})
    assert await closed(staff, init) == ([], 4400, "the connection_init payload must be an object")


@pytest.mark.parametrize(
    "op_id", [pytest.param("x" * 300, id="300 characters"), pytest.param("\ud800", id="surrogate")]
)
async def test_a_close_reason_naming_a_client_id_fits_a_close_frame(
    staff: GraphQLHTTP, op_id: str
) -> None:
    # strawberry puts the id in the reason; too long or not UTF-8, the close itself
    # failed and the connection dropped without a code.
    live = subscribe(op_id, "subscription { orderChanges { seq } }")
    _, code, reason = await closed(staff, INIT, live, live)
    assert code == 4409
    assert reason.startswith("Subscriber for ")
    assert len(reason.encode()) <= MAX_CLOSE_REASON_BYTES


async def test_an_operation_name_that_is_not_text_gets_an_error_message(
    staff: GraphQLHTTP,
) -> None:
    # Echoed in the error (JSON escapes it) and no longer in a close reason.
    error = await operation_error(staff, "query A { menu { id } }", operationName="\ud800")
    assert error["extensions"] == {"code": BAD_INPUT}


async def test_the_server_does_not_compress_its_messages(staff: GraphQLHTTP) -> None:
    """A client that offers permessage-deflate gets messages uncompressed: the server
    would compress each one again for every socket of a fan-out (issue 16)."""
    ws = await open_ws(staff.url, compression="deflate")
    try:
        assert ws.response is not None
        assert "Sec-WebSocket-Extensions" not in ws.response.headers
        await ws.send(INIT)
        assert json.loads(await ws.recv())["type"] == "connection_ack"
    finally:
        await ws.close()
