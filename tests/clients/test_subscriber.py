"""The light subscriber of the fan-out benchmarks, against a real backend on an ephemeral
port: it connects, subscribes, and is handed each ``next`` message as it came."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from backend.embedded import Backend
from clients.graphql import next_data
from clients.subscriber import light_subscriber
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import GraphQLHTTP, order_input

WAIT_SECONDS = 10.0
# From the first event on: the order is in it whether placed before or after the subscribe.
CHANGES = "subscription { orderChanges(afterSeq: 0) { type order { id } } }"
PLACE = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }"


async def test_a_light_subscriber_receives_each_change_as_a_next_message(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    received: list[tuple[float, bytes]] = []
    got = asyncio.Event()

    def on_message(at: float, message: bytes) -> None:
        received.append((at, message))
        got.set()

    start = time.perf_counter()
    subscriber = await light_subscriber(backend.url, STAFF_TOKEN, CHANGES, on_message)
    try:
        placed = (await staff.data(PLACE, {"input": order_input()}))["placeOrder"]["order"]
        async with asyncio.timeout(WAIT_SECONDS):
            await got.wait()
    finally:
        subscriber.close()
    at, message = received[0]
    assert start < at <= time.perf_counter()
    decoded = json.loads(message)
    assert (decoded["type"], decoded["id"]) == ("next", "1")
    assert next_data(decoded) == {
        "orderChanges": {"type": "order_placed", "order": {"id": placed["id"]}}
    }


async def test_a_light_subscriber_with_a_wrong_token_is_refused(backend: Backend) -> None:
    with pytest.raises(ConnectionError):
        await light_subscriber(
            backend.url, "not-the-token", CHANGES, lambda *_: None, handshake_timeout=WAIT_SECONDS
        )
