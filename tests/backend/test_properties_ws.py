"""Properties of the WebSocket endpoint under any message after connection_init (issue #11).

Whatever a client sends, the connection handler never crashes: the client gets
``next``, ``error``, ``complete`` (or ``pong``) for what it sent, within the loop
budget and a margin, or a close with one of the protocol's codes; every error carries
a contract code and none is a masked "internal error"; nothing is logged as a fault;
no order, event or menu item changes unless a mutation got data; and the server serves
the next client. A real server on an ephemeral port; bounded runs (see ``_hostile``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse
from hypothesis import given
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed

from backend.embedded import Backend
from backend.errors import ErrorCode
from tests.backend._api import STATE, without_handlers
from tests.backend._hostile import (
    ANSWER_SECONDS,
    BOUNDED,
    DOCUMENTS,
    Raw,
    documents,
    encode,
    json_values,
    texts,
)
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import GraphQLHTTP, GraphQLWS, open_ws

CODES = {code.value for code in ErrorCode}
# What a server may close a connection with after connection_init: a message out of
# protocol, a duplicate id, a second connection_init, a message over 1 MiB.
PROTOCOL_CLOSES = {4400, 4409, 4429, 1009}
LIVE = "subscription { orderChanges { seq } }"
ANSWERS = {"next", "error", "complete", "pong"}
# Whose errors are the server's faults. Not asyncio's: it logs, whenever the garbage
# collector runs, a task some earlier test left pending.
SERVER_LOGGERS = {"uvicorn", "strawberry", "passline", "backend"}


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from without_handlers(tmp_path_factory.mktemp("ws-properties") / "passline.db")


@pytest.fixture(scope="module")
def last_state() -> dict[str, Any]:
    """The data as the previous example left it: each example reads it once, after."""
    return {}


@pytest.fixture
def faults(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record of ERROR or worse, uvicorn's included (they stop short of the root)."""
    uvicorn = logging.getLogger("uvicorn")
    uvicorn.addHandler(caplog.handler)
    with caplog.at_level(logging.ERROR):
        yield caplog
    uvicorn.removeHandler(caplog.handler)


ids = st.sampled_from(["1", "2", ""]) | texts
# A ping of the client's would answer for the marker below; the server's pong is empty.
types = st.sampled_from(
    ["subscribe", "complete", "pong", "connection_init", "next"]
) | texts.filter(lambda kind: kind != "ping")
subscribe_payloads = st.fixed_dictionaries(
    {"query": documents},
    optional={
        "variables": json_values,
        "operationName": st.sampled_from(["A", "B"]) | texts | json_values,
        "extensions": json_values,
    },
)
messages = st.one_of(
    st.fixed_dictionaries({"type": st.just("subscribe"), "id": ids, "payload": subscribe_payloads}),
    st.fixed_dictionaries({"type": st.just("complete"), "id": ids}),
    st.fixed_dictionaries(
        {"type": types}, optional={"id": ids | json_values, "payload": json_values}
    ),
    json_values.filter(lambda value: not isinstance(value, dict)),
    # Not JSON at all (most of the time): a text frame is UTF-8 (a client library
    # cannot send a lone surrogate in one), or a binary frame.
    texts.map(lambda text: Raw(text.encode("utf-8", "replace").decode("utf-8"))),
    st.binary(max_size=50),
)


def _answers(message: Any) -> str | None:
    """The id a message's operation must be answered for (complete or error), if any."""
    if not (isinstance(message, dict) and message.get("type") == "subscribe"):
        return None
    payload = message.get("payload")
    op_id = message.get("id")
    if not (isinstance(op_id, str) and isinstance(payload, dict)):
        return None
    return None if payload.get("query") == LIVE else op_id


def _mutates(message: Any) -> bool:
    """Whether a subscribe message's document has a mutation (which may change data)."""
    query = message.get("payload", {}).get("query") if isinstance(message, dict) else None
    if not isinstance(query, str):
        return False
    try:
        document = parse(query)
    except GraphQLError:
        return False
    return any(
        isinstance(definition, OperationDefinitionNode)
        and definition.operation is OperationType.MUTATION
        for definition in document.definitions
    )


def _check(message: dict[str, Any]) -> None:
    assert message.get("type") in ANSWERS, message
    if message["type"] == "error":
        errors = message["payload"]
    elif message["type"] == "next":
        errors = message["payload"].get("errors") or []
    else:
        errors = []
    for error in errors:
        assert error["extensions"]["code"] in CODES, message
        assert error["extensions"]["code"] != "INTERNAL_SERVER_ERROR", message


async def converse(url: str, token: str | None, sent: list[Any]) -> bool:
    """Send ``sent`` after connection_init; read until every operation that must end
    has, and the server has read them all (a ping's pong), or the server closes.
    Each answer comes within ANSWER_SECONDS of what it answers; whether a mutation got
    data (and so may have changed some)."""
    connection = await open_ws(url)
    payload = {} if token is None else {"authorization": f"Bearer {token}"}
    await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
    assert json.loads(await connection.recv())["type"] == "connection_ack"
    pending: dict[str, float] = {}  # operation id -> when it was sent
    mutations: set[str] = set()
    with contextlib.suppress(ConnectionClosed):
        for message in sent:
            await connection.send(message if isinstance(message, bytes) else encode(message))
            if (op_id := _answers(message)) is not None:
                pending[op_id] = time.perf_counter()
                if _mutates(message):
                    mutations.add(op_id)
            elif isinstance(message, dict) and message.get("type") == "complete":
                op = message.get("id")
                if isinstance(op, str):  # a drawn id may be any JSON value, a list too
                    pending.pop(op, None)
        await connection.send(json.dumps({"type": "ping"}))
    pinged = time.perf_counter()
    ponged = False
    changed = False
    with contextlib.suppress(ConnectionClosed):
        async with asyncio.timeout(10):
            while not (ponged and not pending):
                message = json.loads(await connection.recv())
                now = time.perf_counter()
                _check(message)
                if message["type"] == "pong":
                    ponged = True
                    assert now - pinged < ANSWER_SECONDS, (now - pinged, sent)
                if message["type"] == "next" and message["id"] in mutations:
                    changed = changed or message["payload"].get("data") is not None
                if message["type"] in ("complete", "error") and message["id"] in pending:
                    took = now - pending.pop(message["id"])
                    assert took < ANSWER_SECONDS, (took, message, sent)
    if connection.close_code is not None:
        assert connection.close_code in PROTOCOL_CLOSES, (connection.close_code, sent)
    await connection.close()
    return changed


@BOUNDED
@given(sent=st.lists(messages, min_size=1, max_size=4), token=st.sampled_from([STAFF_TOKEN, None]))
async def test_any_messages_after_connection_init_get_protocol_answers(
    staff: GraphQLHTTP,
    faults: pytest.LogCaptureFixture,
    last_state: dict[str, Any],
    sent: list[Any],
    token: str | None,
) -> None:
    faults.clear()
    before = last_state.get("data") or await staff.data(STATE)
    changed = await converse(staff.url, token, sent)
    last_state["data"] = await staff.data(STATE)
    if not changed:
        assert last_state["data"] == before, sent
    # The server serves the next client, and logged no fault for any of it.
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("menu", DOCUMENTS[0])
    assert (await ws.next_data("menu"))["menu"]
    await ws.close()
    assert not [r for r in faults.records if r.name.split(".")[0] in SERVER_LOGGERS], faults.text
