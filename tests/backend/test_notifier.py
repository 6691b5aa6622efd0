"""Feeds: resume from a cursor out of storage, then memory, then live; no gap, no duplicate."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from backend.events import EventRecord
from backend.notifier import Feed, Notifier, event_key, tail


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


def order_event(seq: int, order_id: str) -> EventRecord:
    return EventRecord(seq, f"e{seq}", "order_changed", order_id, {}, datetime.now(UTC), None)


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
