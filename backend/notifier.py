"""After-commit fan-out: committed facts wake subscriptions and the runner, no polling.

A :class:`Feed` keeps the most recent items of one ordered stream in memory
(events by ``seq``, log entries by ``cursor``), bounded by their count and by the
memory they hold (estimated from each event's stored size). A reader resumes from a
cursor with :func:`tail`: from the database while the cursor is older than what
memory holds, then from memory, then live; by key order, so there is no gap and no
duplicate at the boundary, whatever commits meanwhile.

Events are also routed by order: a reader that follows one order waits on that
order's own feed (:meth:`Notifier.following`), so a change wakes the readers of its
order only, not every reader of every order.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from backend.events import EventRecord, LogEntry
from backend.settings import FEED_MEMORY, FEED_MEMORY_BYTES

T = TypeVar("T")

# Events a followed order's own feed keeps in memory: an order has about ten in its
# life, and a reader further behind reads the database. In bytes: ten full orders.
ORDER_FEED_MEMORY = 32
ORDER_FEED_MEMORY_BYTES = 512 * 1024


@dataclass(slots=True)
class Wakeups:
    """How many times a reader waiting on a feed was woken (what routing saves)."""

    count: int = 0


def _no_size(item: object) -> int:
    return 0


class Turns:
    """Readers woken by commits run one to a turn of the loop, in the order they woke.

    A commit wakes every reader of a shared feed at once; run in the same turn, their
    executions and sends (~5-10 ms at a rush) were ahead of whatever the commit set
    going, a pipeline's next handler among them, at every step of an order's way to
    the kitchen. Given a turn each, one reader at a time, anything else ready (a
    handler's step, a request) waits for one of them only.
    """

    def __init__(self) -> None:
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._granting = False

    async def take(self) -> None:
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        self._waiting.append(turn)
        if not self._granting:
            self._granting = True
            loop.call_soon(self._grant)
        await turn

    def _grant(self) -> None:
        while self._waiting:
            turn = self._waiting.popleft()
            if not turn.done():  # not cancelled meanwhile
                turn.set_result(None)
                break
        if self._waiting:
            asyncio.get_running_loop().call_soon(self._grant)
        else:
            self._granting = False


class Feed(Generic[T]):
    """The last items of a stream with increasing integer keys: at most ``capacity``
    of them, and at most ``budget`` bytes as ``size`` measures each."""

    def __init__(
        self,
        key: Callable[[T], int],
        *,
        last_key: int,
        capacity: int = FEED_MEMORY,
        size: Callable[[T], int] = _no_size,
        budget: int = FEED_MEMORY_BYTES,
        wakeups: Wakeups | None = None,
        turns: Turns | None = None,
    ) -> None:
        self._key = key
        self.turns = turns
        self._size = size
        self._items: deque[T] = deque()
        self._keys: deque[int] = deque()
        self._sizes: deque[int] = deque()
        self._capacity = capacity
        self._budget = budget
        self.bytes = 0  # what the items in memory are charged
        # Everything with a key <= floor is only in the database.
        self._floor = last_key
        self.last_key = last_key
        self._changed: asyncio.Future[None] | None = None
        self._wakeups = Wakeups() if wakeups is None else wakeups

    def publish(self, items: list[T]) -> None:
        for item in items:
            key = self._key(item)
            if key <= self.last_key:
                continue  # already seen (keys only grow)
            size = self._size(item)
            self._items.append(item)
            self._keys.append(key)
            self._sizes.append(size)
            self.bytes += size
            self.last_key = key
        # Past either bound the oldest go (an item over the whole budget too): a reader
        # behind the floor reads them from the database.
        while self._items and (len(self._items) > self._capacity or self.bytes > self._budget):
            self._items.popleft()
            self.bytes -= self._sizes.popleft()
            self._floor = self._keys.popleft()
        if self._changed is not None and items:
            self._changed.set_result(None)
            self._changed = None

    @property
    def floor(self) -> int:
        """The last key only the database has: memory holds the items after it."""
        return self._floor

    def since(self, key: int) -> list[T] | None:
        """Items after ``key`` from memory, or None when memory no longer reaches back."""
        if key < self._floor:
            return None
        start = bisect.bisect_right(self._keys, key)
        return [self._items[i] for i in range(start, len(self._items))]

    async def wait_beyond(self, key: int) -> None:
        while self.last_key <= key:
            if self._changed is None:
                self._changed = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._changed)
            self._wakeups.count += 1
        if self.turns is not None:
            await self.turns.take()


async def tail(
    feed: Feed[T],
    key: Callable[[T], int],
    cursor: int,
    load: Callable[[int], Awaitable[list[T]]],
) -> AsyncIterator[T]:
    """Every item after ``cursor``, forever: stored ones first, then live ones.

    ``load(cursor)`` returns the next stored items after ``cursor`` in key order, of
    every kind (a caller filters what it yields): it is empty only when nothing after
    ``cursor`` is stored, and then the reader waits for the next commit.
    """
    while True:
        items = feed.since(cursor)
        seen = cursor
        if items is None:
            # Everything up to what memory has seen is stored before the read starts.
            seen = max(cursor, feed.last_key)
            items = await load(cursor)
        if not items:
            # Nothing stored after ``cursor``: wait for a commit after what the read
            # could see, never read the same page again meanwhile.
            await feed.wait_beyond(seen)
            continue
        for item in items:
            cursor = key(item)
            yield item


def event_key(event: EventRecord) -> int:
    return event.seq


def log_key(entry: LogEntry) -> int:
    return entry.cursor


# What a parsed event holds besides its JSON's characters: its dicts, lists, record
# and id strings. Measured with tracemalloc: a usual 550-byte event holds 3.6 KB, a
# full order (50 lines with 500-character notes, 29 KB of JSON) 44 KB.
EVENT_OVERHEAD_BYTES = 3 * 1024


def event_size(event: EventRecord) -> int:
    """The memory ``event`` holds, estimated from its stored size (no walk of it)."""
    return event.size + event.size // 2 + EVENT_OVERHEAD_BYTES


def log_size(entry: LogEntry) -> int:
    return event_size(entry.event)


@dataclass(slots=True)
class _Followed:
    feed: Feed[EventRecord]
    readers: int = 0


class Notifier:
    """Receives what each commit published and hands it to the feeds and listeners."""

    def __init__(
        self,
        *,
        last_seq: int,
        last_cursor: int,
        memory: int = FEED_MEMORY,
        memory_bytes: int = FEED_MEMORY_BYTES,
    ) -> None:
        self.wakeups = Wakeups()
        self.events: Feed[EventRecord] = Feed(
            event_key,
            last_key=last_seq,
            capacity=memory,
            size=event_size,
            budget=memory_bytes,
            wakeups=self.wakeups,
        )
        # Entries share their event with the event feed when both hold it; each feed
        # is charged on its own, so each stays within its budget whatever the other does.
        self.log: Feed[LogEntry] = Feed(
            log_key,
            last_key=last_cursor,
            capacity=memory,
            size=log_size,
            budget=memory_bytes,
            wakeups=self.wakeups,
            # The event log's readers take turns (Turns): three kinds on every
            # dashboard, woken by every delivery's change. Not the events' readers:
            # the board's and the pickup screen's, what staff wait for, each a turn
            # later, took a staff action's p99 from 36 to 50 ms at a rush.
            turns=Turns(),
        )
        # Order id -> the feed of that order's events, while someone follows it.
        self._followed: dict[str, _Followed] = {}
        self._listeners: list[Callable[[list[EventRecord]], None]] = []
        # Bumped by every commit that published something, and by handler changes
        # that write no event (pause/resume): what the handler figures follow.
        self.version = 0
        self._version_changed: asyncio.Future[None] | None = None

    def add_listener(self, listener: Callable[[list[EventRecord]], None]) -> None:
        """Call ``listener`` with the events of every commit (the runner's wake-up)."""
        self._listeners.append(listener)

    def on_commit(self, facts: list[object]) -> None:
        events = [fact for fact in facts if isinstance(fact, EventRecord)]
        entries = [fact for fact in facts if isinstance(fact, LogEntry)]
        if events:
            self.events.publish(events)
            if self._followed:
                self._route(events)
            for listener in self._listeners:
                listener(events)
        if entries:
            self.log.publish(entries)
        if facts:
            self.handlers_changed()

    def _route(self, events: list[EventRecord]) -> None:
        by_order: dict[str, list[EventRecord]] = {}
        for event in events:
            if event.order_id is not None and event.order_id in self._followed:
                by_order.setdefault(event.order_id, []).append(event)
        for order_id, own in by_order.items():
            self._followed[order_id].feed.publish(own)

    @contextlib.contextmanager
    def following(self, order_id: str) -> Iterator[Feed[EventRecord]]:
        """The feed of one order's events, published from now on while it is held.

        What was committed before is below the feed's floor (read the database for
        it, as :func:`tail` does), so nothing falls between the two.
        """
        followed = self._followed.get(order_id)
        if followed is None:
            feed = Feed(
                event_key,
                last_key=self.events.last_key,
                capacity=ORDER_FEED_MEMORY,
                size=event_size,
                budget=ORDER_FEED_MEMORY_BYTES,
                wakeups=self.wakeups,
            )
            followed = self._followed[order_id] = _Followed(feed)
        followed.readers += 1
        try:
            yield followed.feed
        finally:
            followed.readers -= 1
            if followed.readers == 0:
                del self._followed[order_id]

    def handlers_changed(self) -> None:
        self.version += 1
        if self._version_changed is not None:
            self._version_changed.set_result(None)
            self._version_changed = None

    async def wait_version(self, seen: int) -> None:
        """Return once something was committed after version ``seen``."""
        while self.version <= seen:
            if self._version_changed is None:
                self._version_changed = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._version_changed)
