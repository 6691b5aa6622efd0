"""Feeds: resume from a cursor out of storage, then memory, then live; no gap, no duplicate."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from backend.embedded import Backend
from backend.events import EventRecord
from backend.notifier import (
    ORDER_FEED_MEMORY_BYTES,
    Feed,
    Notifier,
    Turns,
    event_key,
    event_size,
    tail,
)
from backend.settings import FEED_MEMORY_BYTES, MAX_ORDER_LINES, MAX_STRING_CHARS
from tests.conftest import running
from tests.graphql_client import GraphQLHTTP, GraphQLWS


def ident(value: int) -> int:
    return value


async def test_since_reads_memory_or_says_it_cannot() -> None:
    feed: Feed[int] = Feed(ident, last_key=10, capacity=3)
    feed.publish([11, 12, 13, 14])
    assert feed.since(11) == [12, 13, 14]
    assert feed.since(14) == []
    assert feed.since(10) is None  # 11 fell out of memory: read the database


async def test_publish_ignores_keys_already_seen() -> None:
    feed: Feed[int] = Feed(ident, last_key=0)
    feed.publish([1, 2])
    feed.publish([2, 3])
    assert feed.since(0) == [1, 2, 3]


async def test_tail_reads_storage_then_memory_then_live_without_gap_or_duplicate() -> None:
    stored = list(range(1, 21))  # what the database holds at the start
    feed: Feed[int] = Feed(ident, last_key=20, capacity=5)
    loads: list[int] = []

    async def load(cursor: int) -> list[int]:
        loads.append(cursor)
        # A page of the database, while commits keep arriving in memory.
        page = [key for key in stored if key > cursor][:7]
        feed.publish([feed.last_key + 1])
        stored.append(feed.last_key)
        return page

    received: list[int] = []

    async def consume() -> None:
        async for key in tail(feed, ident, 3, load):
            received.append(key)
            if key == 30:
                return

    task = asyncio.create_task(consume())
    while feed.last_key < 30:
        await asyncio.sleep(0)
        feed.publish([feed.last_key + 1])
        stored.append(feed.last_key)
    await asyncio.wait_for(task, 5)
    assert received == list(range(4, 31))
    assert loads[0] == 3


async def test_waiters_wake_on_publish() -> None:
    feed: Feed[int] = Feed(ident, last_key=0)
    waiter = asyncio.create_task(feed.wait_beyond(0))
    await asyncio.sleep(0)
    assert not waiter.done()
    feed.publish([1])
    await asyncio.wait_for(waiter, 1)


async def test_tail_never_reads_storage_again_until_something_is_committed() -> None:
    """A load that finds nothing (here: it skips what its reader does not want) is not
    repeated until a commit: before, the reader read the database in a hot loop."""
    feed: Feed[int] = Feed(ident, last_key=0, capacity=2)
    feed.publish([1, 2, 3, 4])  # 1 and 2 are out of memory: the cursor 0 reads storage
    loads: list[int] = []

    async def load(cursor: int) -> list[int]:
        loads.append(cursor)
        await asyncio.sleep(0)  # a read lets the loop run, as the database's does
        return [key for key in range(cursor + 1, feed.last_key + 1) if key % 5 == 0]

    received: list[int] = []

    async def consume() -> None:
        async for key in tail(feed, ident, 0, load):
            received.append(key)
            return

    task = asyncio.create_task(consume())
    for _ in range(100):
        await asyncio.sleep(0)
    assert loads == [0] and not task.done()
    feed.publish([5])
    await asyncio.wait_for(task, 1)
    assert received == [5]


def order_event(seq: int, order_id: str, payload: dict[str, Any] | None = None) -> EventRecord:
    payload = payload or {}
    size = len(json.dumps(payload, separators=(",", ":")))
    return EventRecord(
        seq, f"e{seq}", "order_changed", order_id, payload, datetime.now(UTC), None, size
    )


def full_order(order_id: str) -> dict[str, Any]:
    """The snapshot of the largest order the API takes: every line with the longest note."""
    line = {"menuItemId": "margherita", "name": "Margherita", "quantity": 99}
    notes = "n" * MAX_STRING_CHARS
    items = [{**line, "notes": notes, "done": False} for _ in range(MAX_ORDER_LINES)]
    return {"order": {"id": order_id, "status": "PLACED", "items": items}}


async def test_a_feed_keeps_no_more_bytes_than_its_budget() -> None:
    """Each item is charged its size; past the budget the oldest go, and the floor moves
    so that a reader behind them reads the database."""
    feed: Feed[int] = Feed(ident, last_key=0, size=lambda key: 1_000, budget=3_500)
    feed.publish([1, 2])
    assert feed.since(0) == [1, 2] and feed.bytes == 2_000
    feed.publish([3, 4, 5])
    assert feed.bytes == 3_000
    assert feed.since(1) is None  # 2 went: read the database
    assert feed.since(2) == [3, 4, 5]
    big: Feed[int] = Feed(ident, last_key=0, size=lambda key: 10_000, budget=3_500)
    big.publish([1])  # larger than the whole budget: not kept at all
    assert big.bytes == 0 and big.since(0) is None and big.since(1) == []


async def test_large_orders_are_kept_by_bytes_and_a_reader_behind_catches_up_from_storage() -> None:
    """1,000 snapshots of a largest order (~30 KB each) held 30 MB by count (the feed
    kept 10,000 items of any size); memory is bounded in bytes and a reader from the
    start still gets every event, in order, once each."""
    notifier = Notifier(last_seq=0, last_cursor=0)
    stored: list[EventRecord] = []
    with notifier.following("o1") as followed:
        for seq in range(1, 1_001):
            event = order_event(seq, f"o{seq % 3}", full_order(f"o{seq % 3}"))
            stored.append(event)
            notifier.on_commit([event])
        assert followed.bytes <= ORDER_FEED_MEMORY_BYTES
        assert followed.since(0) is None
    assert stored[0].size > 25_000
    assert notifier.events.since(0) is None  # the first ones are only in storage now
    assert 0 < notifier.events.bytes <= FEED_MEMORY_BYTES
    held = notifier.events.since(notifier.events.floor)
    assert held is not None and sum(map(event_size, held)) == notifier.events.bytes

    async def load(cursor: int) -> list[EventRecord]:
        return [event for event in stored if event.seq > cursor][:500]

    seqs: list[int] = []
    async for event in tail(notifier.events, event_key, 0, load):
        seqs.append(event.seq)
        if event.seq == 1_000:
            break
    assert seqs == list(range(1, 1_001))


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    """A backend keeping 100 KB of events in memory, its handlers paused: only the
    tests' orders write events."""
    with running(db_path, feed_memory_bytes=100_000) as server:
        assert server.delivery_commands is not None
        for definition in server.registry:
            server.call(server.delivery_commands.set_paused(definition.name, True))
        yield server


async def test_a_backend_charges_its_feed_the_stored_size_of_large_orders(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    """Orders of 50 lines with 500-character notes, placed through the API: the event
    feed holds no more than its budget, and a subscriber from the start gets them all."""
    line = {"menuItemId": "margherita", "quantity": 1, "notes": "n" * MAX_STRING_CHARS}
    order = {"items": [line] * MAX_ORDER_LINES, "channel": "WEB", "fulfillment": "TAKEAWAY"}
    place = "mutation($o: PlaceOrderInput!) { placeOrder(input: $o) { order { id } } }"
    placed = [
        (await staff.data(place, {"o": order}))["placeOrder"]["order"]["id"] for _ in range(8)
    ]
    assert backend.notifier is not None
    feed = backend.notifier.events
    assert 0 < feed.bytes <= 100_000
    assert feed.since(0) is None
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("c", "subscription { orderChanges(afterSeq: 0) { seq order { id } } }")
    got = [(await ws.next_data("c"))["orderChanges"] for _ in placed]
    await ws.close()
    assert [change["order"]["id"] for change in got] == placed
    assert [change["seq"] for change in got] == sorted(change["seq"] for change in got)


async def test_a_change_wakes_only_the_readers_of_its_order() -> None:
    """100 readers follow 100 orders; 10 changes to one order wake its reader 10 times,
    not the 100 readers 10 times each (each used to wake on every order's events)."""
    notifier = Notifier(last_seq=0, last_cursor=0)
    got: dict[str, list[int]] = {f"o{n}": [] for n in range(100)}

    async def nothing_stored(cursor: int) -> list[EventRecord]:
        return []

    async def follow(order_id: str) -> None:
        with notifier.following(order_id) as feed:
            async for event in tail(feed, event_key, 0, nothing_stored):
                got[order_id].append(event.seq)

    readers = [asyncio.create_task(follow(order_id)) for order_id in got]
    for _ in range(5):
        await asyncio.sleep(0)  # every reader waits on its feed
    before = notifier.wakeups.count
    for seq in range(1, 11):
        notifier.on_commit([order_event(seq, "o7")])
        for _ in range(3):
            await asyncio.sleep(0)
    assert got["o7"] == list(range(1, 11))
    assert notifier.wakeups.count - before == 10
    assert all(not seqs for order_id, seqs in got.items() if order_id != "o7")
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    assert not notifier._followed  # the last reader of an order lets its feed go


async def test_an_order_feed_starts_at_the_commit_it_is_taken_on() -> None:
    """What an order had before its feed was taken is below the feed's floor: the reader
    reads it from the database, then the feed's, once each."""
    notifier = Notifier(last_seq=0, last_cursor=0)
    notifier.on_commit([order_event(1, "a"), order_event(2, "b"), order_event(3, "a")])
    stored = [order_event(1, "a"), order_event(3, "a")]

    async def load(cursor: int) -> list[EventRecord]:
        return [event for event in stored if event.seq > cursor]

    with notifier.following("a") as feed:
        notifier.on_commit([order_event(4, "a"), order_event(5, "b")])
        seqs: list[int] = []
        async for event in tail(feed, event_key, 0, load):
            seqs.append(event.seq)
            if event.seq == 4:
                break
    assert seqs == [1, 3, 4]


async def test_readers_woken_by_one_commit_take_a_turn_of_the_loop_each() -> None:
    """What the first reader's turn set going (a pipeline's next step) runs before the
    second reader, not after every reader the commit woke."""
    feed: Feed[int] = Feed(ident, last_key=0, turns=Turns())
    ran: list[str] = []

    async def reader(name: str) -> None:
        await feed.wait_beyond(0)
        ran.append(name)
        if name == "first":
            asyncio.get_running_loop().call_soon(ran.append, "what it set going")

    readers = [asyncio.create_task(reader(name)) for name in ("first", "second", "third")]
    await asyncio.sleep(0)
    feed.publish([1])
    await asyncio.wait_for(asyncio.gather(*readers), 1)
    assert ran == ["first", "what it set going", "second", "third"]


async def test_a_reader_gone_before_its_turn_holds_up_no_other() -> None:
    turns = Turns()
    leaving = asyncio.create_task(turns.take())
    staying = asyncio.create_task(turns.take())
    await asyncio.sleep(0)  # both wait for their turns; none is given yet
    leaving.cancel()
    await asyncio.wait_for(staying, 1)
    assert leaving.cancelled()
    # The turns go on for readers that come later.
    await asyncio.wait_for(turns.take(), 1)


def test_the_event_log_s_readers_take_turns_and_the_board_s_do_not() -> None:
    notifier = Notifier(last_seq=0, last_cursor=0)
    assert notifier.log.turns is not None
    assert notifier.events.turns is None
    with notifier.following("an-order") as own:
        assert own.turns is None
