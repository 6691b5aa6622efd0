"""Subscriptions over a real WebSocket: resume from a cursor, catch up under load, one order."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.embedded import Backend
from backend.settings import FEED_MEMORY
from tests.conftest import running
from tests.graphql_client import GraphQLHTTP, GraphQLWS

ORDER_CHANGES = """
subscription Changes($after: Int) {
  orderChanges(afterSeq: $after) { seq type order { id number status } }
}
"""
EVENT_LOG = """
subscription Log($after: String) {
  eventLog(after: $after) { cursor event { seq type orderId deliveries { handler status } } }
}
"""


@pytest.fixture
def feed_memory() -> int:
    """Items each feed keeps in memory; a test parametrizes it to make readers lag past it."""
    return FEED_MEMORY


@pytest.fixture
def backend(db_path: Path, feed_memory: int) -> Iterator[Backend]:
    """The restaurant's handlers subscribe but are paused: only these tests' changes flow."""
    with running(db_path, feed_memory=feed_memory) as server:
        assert server.delivery_commands is not None
        for definition in server.registry:
            server.call(server.delivery_commands.set_paused(definition.name, True))
        yield server


class ReadCounter:
    """Counts the backend's database reads (they still run): who read it how often, on
    a reader's thread (``read``) or on the loop's (``read_now``)."""

    def __init__(self, backend: Backend) -> None:
        self.count = 0
        self.readers: list[str] = []  # what each read was (its function's qualified name)
        self.on_loop: list[str] = []  # the same, of the reads on the loop's thread
        self.first = threading.Event()  # the backend's loop runs on its own thread
        read = backend.db.read
        read_now = backend.db.read_now

        async def counted(reader: Any) -> Any:
            self.count += 1
            self.readers.append(reader.__qualname__)
            self.first.set()
            return await read(reader)

        def counted_now(reader: Any) -> Any:
            self.readers.append(reader.__qualname__)
            self.on_loop.append(reader.__qualname__)
            return read_now(reader)

        backend.db.read = counted  # type: ignore[method-assign]
        backend.db.read_now = counted_now  # type: ignore[method-assign]


async def changes(ws: GraphQLWS, op_id: str, count: int) -> list[dict[str, Any]]:
    return [(await ws.next_data(op_id))["orderChanges"] for _ in range(count)]


async def test_resume_from_cursor_gets_exactly_the_missed_changes_then_live(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("a", ORDER_CHANGES, {"after": 0})
    seen = [(await public.place())["order"]["number"] for _ in range(2)]
    first = await changes(ws, "a", 2)
    assert [c["order"]["number"] for c in first] == seen
    cursor = first[-1]["seq"]
    await ws.close()

    missed = [(await public.place())["order"]["number"] for _ in range(3)]
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("b", ORDER_CHANGES, {"after": cursor})
    resumed = await changes(ws, "b", 3)
    assert [c["order"]["number"] for c in resumed] == missed
    assert all(c["type"] == "order_placed" for c in resumed)
    assert [c["seq"] for c in resumed] == sorted(c["seq"] for c in resumed)
    assert resumed[0]["seq"] > cursor

    live = await public.place()
    (after_live,) = await changes(ws, "b", 1)  # the next message is the live one: no duplicate
    assert after_live["order"]["id"] == live["order"]["id"]
    await ws.close()


async def test_catch_up_while_orders_are_placed_has_no_gap_and_no_duplicate(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    before = await asyncio.gather(*(public.place() for _ in range(40)))
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("c", ORDER_CHANGES, {"after": 0})
    during = asyncio.gather(*(public.place() for _ in range(40)))
    received = await changes(ws, "c", 80)
    placed = [*before, *(await during)]
    seqs = [change["seq"] for change in received]
    assert seqs == sorted(set(seqs))
    assert {change["order"]["id"] for change in received} == {p["order"]["id"] for p in placed}
    await ws.close()


async def test_live_subscription_starts_now_and_sees_staff_transitions(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    old = await public.place()
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("d", ORDER_CHANGES)
    cancelled = await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "out of dough") { status } }',
        {"id": old["order"]["id"]},
    )
    assert cancelled["cancelOrder"]["status"] == "CANCELLED"
    (change,) = await changes(ws, "d", 1)
    assert (change["type"], change["order"]["status"]) == ("order_cancelled", "CANCELLED")
    await ws.close()


async def test_event_log_resumes_from_its_cursor(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("e", EVENT_LOG, {"after": "0"})
    await public.place()
    entry = (await ws.next_data("e"))["eventLog"]
    assert entry["event"]["type"] == "order_placed"
    assert entry["event"]["deliveries"] == [{"handler": "validate_order", "status": "PENDING"}]
    await ws.close()

    await staff.data(
        'mutation { setMenuItemAvailable(menuItemId: "cola", available: false) { available } }'
    )
    missed = await public.place()
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("f", EVENT_LOG, {"after": entry["cursor"]})
    resumed = [(await ws.next_data("f"))["eventLog"] for _ in range(2)]
    assert [r["event"]["type"] for r in resumed] == ["menu_item_changed", "order_placed"]
    assert resumed[1]["event"]["orderId"] == missed["order"]["id"]
    assert int(resumed[0]["cursor"]) < int(resumed[1]["cursor"])
    await ws.close()


async def test_customer_follows_their_order_current_state_first(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    placed = await public.place(("tiramisu", 2))
    ws = await GraphQLWS.connect(staff.url, placed["accessToken"])
    query = "subscription($id: ID!) { order(id: $id) { number status totalCents } }"
    await ws.subscribe("g", query, {"id": placed["order"]["id"]})
    current = (await ws.next_data("g"))["order"]
    assert current == {"number": placed["order"]["number"], "status": "PLACED", "totalCents": 1580}
    await public.place()  # another order's change must not reach this subscription
    await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "closing early") { status } }',
        {"id": placed["order"]["id"]},
    )
    assert (await ws.next_data("g"))["order"]["status"] == "CANCELLED"
    await ws.close()


async def test_event_log_can_follow_only_some_event_types(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    query = 'subscription { eventLog(types: ["menu_item_changed"]) { event { type payload } } }'
    await ws.subscribe("m", query)
    await public.place()  # an order event: not for this subscription
    await staff.data(
        'mutation { setMenuItemAvailable(menuItemId: "cola", available: false) { available } }'
    )
    entry = (await ws.next_data("m"))["eventLog"]["event"]
    assert entry["type"] == "menu_item_changed"
    assert entry["payload"]["menuItem"]["id"] == "cola"
    await ws.close()


@pytest.mark.parametrize("feed_memory", [2])
async def test_catching_up_past_events_of_no_order_reads_the_database_once(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """Catching up on orderChanges from before the memory, over events that are not
    about an order, must wait for the next order event, not read the database again
    and again meanwhile (it did, as fast as the loop allowed, holding up every client)."""
    for available in (False, True, False, True, False):
        await staff.data(
            'mutation($a: Boolean!) { setMenuItemAvailable(menuItemId: "cola",'
            " available: $a) { available } }",
            {"a": available},
        )
    reads = ReadCounter(backend)
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("o", ORDER_CHANGES, {"after": 0})
    assert await asyncio.to_thread(reads.first.wait, 10)
    await asyncio.sleep(0.3)  # what it does while nothing new is committed
    assert reads.count <= 2
    placed = await public.place()
    (change,) = await changes(ws, "o", 1)
    assert change["order"]["id"] == placed["order"]["id"]
    await ws.close()


def stored(db_path: Path) -> tuple[list[int], list[int]]:
    """The seqs of the stored order events and the event log's cursors, in order."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        seqs = [row[0] for row in conn.execute(STORED_ORDER_EVENTS)]
        cursors = [row[0] for row in conn.execute(STORED_LOG)]
    return seqs, cursors


STORED_ORDER_EVENTS = "SELECT seq FROM events WHERE order_id IS NOT NULL ORDER BY seq"
STORED_LOG = "SELECT cursor FROM event_log ORDER BY cursor"


@pytest.mark.parametrize("feed_memory", [5])
async def test_a_slow_reader_gets_every_event_in_order_while_many_are_committed(
    backend: Backend, db_path: Path, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """Far more events than the feed keeps in memory are committed while a subscriber
    reads slowly: it moves between the database and memory many times and must get
    every order change and every log entry after its cursor, in order, once each."""
    await asyncio.gather(*(public.place() for _ in range(20)))
    reads = ReadCounter(backend)
    ws = await GraphQLWS.connect(staff.url, staff.token, slow_reader=True)
    await ws.subscribe("c", ORDER_CHANGES, {"after": 0})
    await ws.subscribe("l", EVENT_LOG, {"after": "0"})
    placing = asyncio.gather(*(public.place() for _ in range(120)))
    got: dict[str, list[int]] = {"c": [], "l": []}

    async def read_until(want: tuple[list[int], list[int]]) -> None:
        while len(got["c"]) < len(want[0]) or len(got["l"]) < len(want[1]):
            message = await ws.receive()
            assert message["type"] == "next" and "errors" not in message["payload"], message
            data = message["payload"]["data"]
            if message["id"] == "c":
                got["c"].append(data["orderChanges"]["seq"])
            else:
                got["l"].append(int(data["eventLog"]["cursor"]))
            await asyncio.sleep(0.002)  # the slow reader: the server's sends back up

    await read_until(([0] * 20, []))
    await placing
    want = stored(db_path)
    await read_until(want)
    assert got["c"] == want[0]
    assert got["l"] == want[1]
    assert len(want[0]) == len(want[1]) == 140  # handlers paused: an entry an event
    assert reads.count > 2  # it went back to the database, more than once
    await ws.close()


async def test_an_order_change_wakes_only_the_subscribers_of_that_order(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """30 customers follow their own orders; cancelling one wakes one subscription, not
    30 (each used to wake on every order's events and filter them out itself)."""
    placed = [await public.place() for _ in range(30)]
    query = "subscription($id: ID!) { order(id: $id) { id status } }"
    sockets = []
    for n, order in enumerate(placed):
        ws = await GraphQLWS.connect(staff.url, order["accessToken"])
        await ws.subscribe(f"o{n}", query, {"id": order["order"]["id"]})
        assert (await ws.next_data(f"o{n}"))["order"]["status"] == "PLACED"
        sockets.append(ws)
    assert backend.notifier is not None
    wakeups = backend.notifier.wakeups
    before = wakeups.count
    target = placed[7]["order"]["id"]
    for reason in ("out of dough", "closing early"):
        await staff.run(
            "mutation($id: ID!, $r: String!) { cancelOrder(orderId: $id, reason: $r) { status } }",
            {"id": target, "r": reason},
        )
    assert (await sockets[7].next_data("o7"))["order"] == {"id": target, "status": "CANCELLED"}
    # The second cancel is refused (no event). The one change woke this subscriber's
    # execution (its own, which the shared stream adopted: streams.py), no other.
    assert wakeups.count - before == 1
    for ws in sockets:
        await ws.close()


async def test_a_follower_reads_its_order_once_and_its_changes_from_memory(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """Following an order reads the database for its current state, and no more: its
    changes come from the order's feed. Each follower's first change used to be read
    from the database again (its cursor was below the feed's floor), a read for every
    customer's page at a rush."""
    placed = await public.place()
    order_id = placed["order"]["id"]
    await public.place()  # the last event is another order's: the follower's is older
    ws = await GraphQLWS.connect(staff.url, placed["accessToken"])
    reads = ReadCounter(backend)
    await ws.subscribe(
        "o", "subscription($id: ID!) { order(id: $id) { status } }", {"id": order_id}
    )
    assert (await ws.next_data("o"))["order"]["status"] == "PLACED"
    await staff.run(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "out of dough") { status } }',
        {"id": order_id},
    )
    assert (await ws.next_data("o"))["order"]["status"] == "CANCELLED"
    assert reads.readers  # it read the order's current state ...
    assert {name.rsplit(".", 1)[-1] for name in reads.readers} == {"current"}  # ... only
    # ... on the loop's thread, as Query.order does: a few rows by key, which a page
    # waited for behind a hop to a reader's thread at a rush.
    assert [name.rsplit(".", 1)[-1] for name in reads.on_loop] == ["current"]
    await ws.close()
