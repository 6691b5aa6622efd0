"""After-commit fan-out: committed facts wake subscriptions and the runner, no polling.

A :class:`Feed` keeps the most recent items of one ordered stream in memory
(events by ``seq``, log entries by ``cursor``). A reader resumes from a cursor with
:func:`tail`: from the database while the cursor is older than what memory holds,
then from memory, then live; by key order, so there is no gap and no duplicate at
the boundary, whatever commits meanwhile.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

from backend.events import EventRecord, LogEntry
from backend.settings import FEED_MEMORY

T = TypeVar("T")


class Feed(Generic[T]):
    """The last ``capacity`` items of a stream with increasing integer keys."""

    def __init__(
        self, key: Callable[[T], int], *, last_key: int, capacity: int = FEED_MEMORY
    ) -> None:
        self._key = key
        self._items: deque[T] = deque()
        self._keys: deque[int] = deque()
        self._capacity = capacity
        # Everything with a key <= floor is only in the database.
        self._floor = last_key
        self.last_key = last_key
        self._changed: asyncio.Future[None] | None = None

    def publish(self, items: list[T]) -> None:
        for item in items:
            key = self._key(item)
            if key <= self.last_key:
                continue  # already seen (keys only grow)
            self._items.append(item)
            self._keys.append(key)
            self.last_key = key
        while len(self._items) > self._capacity:
            self._items.popleft()
            self._floor = self._keys.popleft()
        if self._changed is not None and items:
            self._changed.set_result(None)
            self._changed = None

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


class Notifier:
    """Receives what each commit published and hands it to the feeds and listeners."""

    def __init__(self, *, last_seq: int, last_cursor: int, memory: int = FEED_MEMORY) -> None:
        self.events: Feed[EventRecord] = Feed(event_key, last_key=last_seq, capacity=memory)
        self.log: Feed[LogEntry] = Feed(log_key, last_key=last_cursor, capacity=memory)
        self._listeners: list[Callable[[list[EventRecord]], None]] = []
        # order id -> the queues of the subscriptions following that one order.
        self._order_watchers: dict[str, set[asyncio.Queue[EventRecord]]] = {}
        # Bumped by every commit that published something, and by handler changes
        # that write no event (pause/resume): what the handler figures follow.
        self.version = 0
        self._version_changed: asyncio.Future[None] | None = None

    def add_listener(self, listener: Callable[[list[EventRecord]], None]) -> None:
        """Call ``listener`` with the events of every commit (the runner's wake-up)."""
        self._listeners.append(listener)

    @contextmanager
    def watch_order(self, order_id: str) -> Iterator[asyncio.Queue[EventRecord]]:
        """A queue of the events of one order committed from now on, while in the block.

        What a customer's ``order(id)`` follows: waking only the subscriptions of the
        order an event concerns, not every one on every event (bench/RESULTS.md, 8).
        """
        queue: asyncio.Queue[EventRecord] = asyncio.Queue()
        watchers = self._order_watchers.setdefault(order_id, set())
        watchers.add(queue)
        try:
            yield queue
        finally:
            watchers.discard(queue)
            if not watchers:
                del self._order_watchers[order_id]

    def on_commit(self, facts: list[object]) -> None:
        events = [fact for fact in facts if isinstance(fact, EventRecord)]
        entries = [fact for fact in facts if isinstance(fact, LogEntry)]
        if events:
            self.events.publish(events)
            for listener in self._listeners:
                listener(events)
            if self._order_watchers:
                for event in events:
                    for queue in self._order_watchers.get(event.order_id or "", ()):
                        queue.put_nowait(event)
        if entries:
            self.log.publish(entries)
        if facts:
            self.handlers_changed()

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
