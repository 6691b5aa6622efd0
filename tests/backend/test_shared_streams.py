"""Subscriptions alike share one execution; scopes never share; cursors stay exact."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.api.streams import Streams
from backend.embedded import Backend
from backend.settings import FELL_BEHIND_CLOSE_CODE
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import GraphQLHTTP, GraphQLWS, until_closed

ORDER_CHANGES = """
subscription Changes($after: Int) {
  orderChanges(afterSeq: $after) { seq type order { id number status } }
}
"""
ORDER = "subscription($id: ID!) { order(id: $id) { id status } }"


# 50 lines an order: each message is about 60 KB.
LINES = [("margherita", 1)] * 50


@pytest.fixture
def shared() -> bool:
    """Whether the backend shares executions; a test parametrizes it to compare."""
    return True


@pytest.fixture
def backend(db_path: Path, shared: bool) -> Iterator[Backend]:
    """Handlers paused: only these tests' changes make events."""
    with running(db_path, shared_subscriptions=shared) as server:
        assert server.delivery_commands is not None
        for definition in server.registry:
            server.call(server.delivery_commands.set_paused(definition.name, True))
        yield server


def executions(backend: Backend, field: str) -> float:
    """How many results the resolvers of ``field`` yielded: one per execution."""
    assert backend.metrics is not None
    value = backend.metrics.registry.get_sample_value(
        "passline_subscription_events_total", {"field": field}
    )
    return value or 0.0


def streams_of(backend: Backend) -> Streams:
    assert backend.services is not None and backend.services.streams is not None
    return backend.services.streams


def stored_order_seqs(db_path: Path) -> list[int]:
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        query = "SELECT seq FROM events WHERE order_id IS NOT NULL ORDER BY seq"
        return [row[0] for row in conn.execute(query)]


async def seqs(ws: GraphQLWS, op_id: str, count: int) -> list[int]:
    return [(await ws.next_data(op_id))["orderChanges"]["seq"] for _ in range(count)]


async def test_two_staff_subscribers_share_one_execution_and_its_payload(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    first = await GraphQLWS.connect(staff.url, staff.token)
    second = await GraphQLWS.connect(staff.url, staff.token)
    await first.subscribe("a", ORDER_CHANGES)
    await second.subscribe("b", ORDER_CHANGES)
    # The first one's own execution becomes the shared one with its first result; the
    # second runs its own until the shared one covers what it sent.
    for _ in range(2):
        await public.place()
        assert await seqs(first, "a", 1) == await seqs(second, "b", 1)
    before = executions(backend, "orderChanges")
    for _ in range(5):
        await public.place()
        got_first = (await first.next_data("a"))["orderChanges"]
        got_second = (await second.next_data("b"))["orderChanges"]
        assert got_first == got_second
    assert executions(backend, "orderChanges") - before == 5  # not 10
    await first.close()
    await second.close()


async def test_subscribers_from_different_cursors_share_one_execution_once_caught_up(
    backend: Backend, db_path: Path, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """Each dashboard resumes from its own cursor: the cursor is not what they share by.
    Each catches up on its own, then both follow one execution, every event once."""
    for _ in range(4):
        await public.place()
    history = stored_order_seqs(db_path)
    first = await GraphQLWS.connect(staff.url, staff.token)
    second = await GraphQLWS.connect(staff.url, staff.token)
    await first.subscribe("a", ORDER_CHANGES, {"after": history[0]})
    await second.subscribe("b", ORDER_CHANGES, {"after": history[2]})
    assert await seqs(first, "a", 3) == history[1:]
    assert await seqs(second, "b", 1) == history[3:]
    for _ in range(2):  # each joins the shared execution, started from now
        await public.place()
        assert await seqs(first, "a", 1) == await seqs(second, "b", 1)
    assert len(streams_of(backend)) == 1
    before = executions(backend, "orderChanges")
    for _ in range(5):
        await public.place()
        assert await seqs(first, "a", 1) == await seqs(second, "b", 1)
    assert executions(backend, "orderChanges") - before == 5  # not 10
    want = stored_order_seqs(db_path)
    await first.close()
    await second.close()
    # A reconnect from a cursor in the middle joins the same way, without gap or repeat.
    again = await GraphQLWS.connect(staff.url, staff.token)
    await again.subscribe("r", ORDER_CHANGES, {"after": want[5]})
    assert await seqs(again, "r", len(want) - 6) == want[6:]
    await public.place()
    assert await seqs(again, "r", 1) == stored_order_seqs(db_path)[-1:]
    await again.close()


async def test_a_follower_nobody_shares_with_costs_one_execution(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """A customer following an order: its own execution becomes the shared one, so the
    order's state and each change are executed once. A second execution, started
    beside it, read the order again and executed its next change twice."""
    placed = await public.place()
    order = {"id": placed["order"]["id"]}
    page = await GraphQLWS.connect(public.url, placed["accessToken"])
    before = executions(backend, "order")
    await page.subscribe("p", ORDER, order)
    assert (await page.next_data("p"))["order"]["status"] == "PLACED"
    await staff.run(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "out of dough") { status } }',
        order,
    )
    assert (await page.next_data("p"))["order"]["status"] == "CANCELLED"
    assert len(streams_of(backend)) == 1
    assert executions(backend, "order") - before == 2  # not 4
    await page.close()


@pytest.mark.parametrize("shared", [False])
async def test_without_sharing_each_subscriber_runs_its_own_execution(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """What sharing saves: the same two subscribers cost two executions an event."""
    first = await GraphQLWS.connect(staff.url, staff.token)
    second = await GraphQLWS.connect(staff.url, staff.token)
    await first.subscribe("a", ORDER_CHANGES)
    await second.subscribe("b", ORDER_CHANGES)
    before = executions(backend, "orderChanges")
    for _ in range(3):
        await public.place()
        await seqs(first, "a", 1)
        await seqs(second, "b", 1)
    assert executions(backend, "orderChanges") - before == 6
    await first.close()
    await second.close()


async def test_a_customer_and_staff_never_share_an_execution(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    placed = await public.place()
    order_id = placed["order"]["id"]
    sockets = [
        await GraphQLWS.connect(staff.url, token)
        for token in (staff.token, placed["accessToken"], staff.token)
    ]
    for n, ws in enumerate(sockets):
        await ws.subscribe(f"s{n}", ORDER, {"id": order_id})
        assert (await ws.next_data(f"s{n}"))["order"]["status"] == "PLACED"
    assert len(streams_of(backend)) == 2  # the staff's and the customer's
    await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "no oven") { status } }',
        {"id": order_id},
    )
    for n, ws in enumerate(sockets):
        assert (await ws.next_data(f"s{n}"))["order"] == {"id": order_id, "status": "CANCELLED"}
        await ws.close()


async def test_a_late_joiner_and_a_reconnect_get_exactly_the_events_after_their_cursor(
    backend: Backend, db_path: Path, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    for _ in range(3):
        await public.place()
    early = await GraphQLWS.connect(staff.url, staff.token)
    await early.subscribe("e", ORDER_CHANGES, {"after": 0})
    got_early = await seqs(early, "e", 3)
    for _ in range(3):
        await public.place()
    got_early += await seqs(early, "e", 3)  # by now on the shared execution

    # Same document and cursor, joining late: catches up on its own while orders are
    # placed, then goes on with the shared execution, without gap or duplicate.
    late = await GraphQLWS.connect(staff.url, staff.token)
    await late.subscribe("l", ORDER_CHANGES, {"after": 0})
    during = asyncio.gather(*(public.place() for _ in range(10)))
    got_late = await seqs(late, "l", 16)
    await during
    got_early += await seqs(early, "e", 10)
    want = stored_order_seqs(db_path)
    assert got_early == want
    assert got_late == want

    # A reconnect from a cursor in the middle, while another follows from it too.
    cursor = want[7]
    again = [await GraphQLWS.connect(staff.url, staff.token) for _ in range(2)]
    for n, ws in enumerate(again):
        await ws.subscribe(f"r{n}", ORDER_CHANGES, {"after": cursor})
    await asyncio.gather(*(public.place() for _ in range(4)))
    want = stored_order_seqs(db_path)
    for n, ws in enumerate(again):
        assert await seqs(ws, f"r{n}", len(want) - 8) == want[8:]
    got_late += await seqs(late, "l", 4)
    assert got_late == want

    # From now, joining a shared execution that is already running: nothing before.
    now = await GraphQLWS.connect(staff.url, staff.token)
    await now.subscribe("n", ORDER_CHANGES)
    watcher = await GraphQLWS.connect(staff.url, staff.token)
    await watcher.subscribe("w", ORDER_CHANGES)
    after_join: list[dict[str, Any]] = [await public.place() for _ in range(3)]
    got_now = [(await now.next_data("n"))["orderChanges"] for _ in range(3)]
    assert [c["order"]["id"] for c in got_now] == [p["order"]["id"] for p in after_join]
    for ws in (early, late, *again, now, watcher):
        await ws.close()


# Large messages, so that a reader that stops fills the socket's buffers in a few.
WIDE_CHANGES = (
    "subscription Wide($after: Int) { orderChanges(afterSeq: $after) { seq "
    + " ".join(f"o{n}: order {{ id number status items {{ name quantity }} }}" for n in range(30))
    + " } }"
)


async def test_a_reader_that_stops_is_cut_off_and_the_others_keep_up(db_path: Path) -> None:
    with running(db_path, subscriber_backlog=10) as backend:
        assert backend.delivery_commands is not None
        for definition in backend.registry:
            backend.call(backend.delivery_commands.set_paused(definition.name, True))
        async with httpx.AsyncClient(timeout=30) as http:
            staff = GraphQLHTTP(http, backend.url, STAFF_TOKEN)
            public = GraphQLHTTP(http, backend.url, None)
            slow = await GraphQLWS.connect(staff.url, staff.token, slow_reader=True)
            brisk = await GraphQLWS.connect(staff.url, staff.token)
            await slow.subscribe("s", WIDE_CHANGES)
            await brisk.subscribe("b", WIDE_CHANGES)
            got: list[int] = []
            for _ in range(2):  # both on the shared execution
                await public.place()
                got.append((await slow.next_data("s"))["orderChanges"]["seq"])
                await brisk.next_data("b")
            # The slow one stops reading; the other gets each change at once. Changes
            # go on until the slow one's sends have filled the socket's buffers and its
            # backlog overflowed.
            (pump,) = streams_of(backend)._pumps.values()
            latencies: list[float] = []
            while not any(sink.overflowed for sink in pump.sinks):
                assert len(latencies) < 200, "the slow reader was never cut off"
                started = time.monotonic()
                await public.place(*LINES)
                await brisk.next_data("b")
                latencies.append(time.monotonic() - started)
            for _ in range(5):  # and after it
                started = time.monotonic()
                await public.place()
                await brisk.next_data("b")
                latencies.append(time.monotonic() - started)
            assert max(latencies) < 2.0, latencies
            messages, code = await until_closed(slow.connection, 20)
            assert code == FELL_BEHIND_CLOSE_CODE
            assert slow.connection.close_reason is not None
            assert "reconnect and resume from your cursor" in slow.connection.close_reason
            got += [m["payload"]["data"]["orderChanges"]["seq"] for m in messages]
            want = stored_order_seqs(db_path)
            assert len(got) < len(want)
            assert got == want[: len(got)]  # what it got has no gap
            # Resuming from its cursor: exactly the rest.
            again = await GraphQLWS.connect(staff.url, staff.token)
            await again.subscribe("r", WIDE_CHANGES, {"after": got[-1]})
            rest = [(await again.next_data("r"))["orderChanges"]["seq"] for _ in want[len(got) :]]
            assert got + rest == want
            for ws in (brisk, again):
                await ws.close()
