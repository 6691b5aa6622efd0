"""The GraphQL client on its own: errors as the API gives them, a backend out of reach,
and the reconnect policy."""

from __future__ import annotations

import asyncio
import random
import socket

import pytest
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from clients.reconnect import ReconnectBackoff
from tests.ui.conftest import run
from ui.client import GraphQLClient, GraphQLError


def test_an_api_error_keeps_its_code_and_field(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, backend: Backend
) -> None:
    client = GraphQLClient(backend.url, backend.staff_token)
    run(qtbot, client.start())
    try:
        with pytest.raises(GraphQLError) as refused:
            run(
                qtbot,
                client.execute(
                    "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { accessToken } }",
                    {"i": {"items": [], "channel": "PHONE", "fulfillment": "TAKEAWAY"}},
                ),
            )
        assert (refused.value.code, refused.value.field) == ("BAD_USER_INPUT", "items")
        anonymous = GraphQLClient(backend.url, None)
        run(qtbot, anonymous.start())
        with pytest.raises(GraphQLError) as denied:
            run(qtbot, anonymous.execute("{ handlers { name } }"))
        assert denied.value.code == "UNAUTHENTICATED"
        run(qtbot, anonymous.close())
    finally:
        run(qtbot, client.close())


def test_a_backend_out_of_reach_is_an_error_without_code_and_the_socket_keeps_trying(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = GraphQLClient(f"http://127.0.0.1:{port}/graphql", "token")
    client.backoff = ReconnectBackoff(first=0.01, cap=0.05)
    states: list[str] = []
    client.connectionChanged.connect(states.append)
    run(qtbot, client.start())
    try:
        with pytest.raises(GraphQLError) as unreachable:
            run(qtbot, client.execute("{ menu { id } }"))
        assert unreachable.value.code is None
        assert "cannot reach the backend" in unreachable.value.message
        qtbot.waitUntil(lambda: client.state == "reconnecting")
        assert client.last_error
    finally:
        run(qtbot, client.close())
    assert states == ["connecting", "reconnecting", "offline"]


def test_backoff_grows_to_its_cap_with_jitter_below() -> None:
    policy = ReconnectBackoff(first=0.25, factor=2.0, cap=5.0, jitter=0.2)
    rng = random.Random(7)
    delays = [policy.delay(attempt, rng) for attempt in range(10)]
    for attempt, delay in enumerate(delays):
        ceiling = min(5.0, 0.25 * 2**attempt)
        assert ceiling * 0.8 <= delay <= ceiling
    assert max(delays) <= 5.0
    assert policy.delay(10_000) <= 5.0  # no overflow for a backend down all night
