"""Shared subscription streams: one execution per event for every subscriber alike.

Subscriptions with the same document, operation name, variables (but their cursors:
api/cursors.py) and authorization scope (the role, and a customer's order) get the
same results from where they joined, so one execution of
them (a :class:`Pump`) serves them all: each result is executed once and serialized
once, and that text is written to each subscriber's socket.

A subscriber never starts on a shared stream: it runs its own execution first (its
cursor, its current state), and joins the shared one (a :class:`Sink`, which keeps
every shared result from then on). Results are ordered by their *position*, the
cursor of the item the resolver yielded (``Context.position``: an event's ``seq``, a
log entry's ``cursor``; set to the start cursor before the first item). When it
joins, the shared execution will still send every result after its position
then, its *coverage*: so once its own execution has sent everything up to the
coverage, the subscriber drops it and goes on with the shared results after the
last one it sent. Two executions of one subscription yield the same results at the
same positions, in increasing order: the subscriber gets every result after its
cursor once, in order, whichever execution it came from. A subscription
whose resolver gives no position (``handlerStats``) is never shared.

Where there is no shared execution yet, the subscriber's own becomes it: the new pump
*adopts* it, covering what it sent, and nothing is executed twice. A customer
following an order, whom nobody shares with, costs one execution and one read of
the order; a second execution started beside it read the order again and, lingering
until the order's next change, executed that change twice.

A sink's results are written by the pump itself, as it produces them (the sink's
``deliver``): a write to a socket with room in its buffer finishes at once, so one
result reaches 10,000 subscribers in one pass, without waking 10,000 tasks. A write
that has to wait for the socket, and every result after it, is left to the
subscriber's own task (:meth:`Sink.drain`), in order.

A subscriber that does not read keeps its results in its sink, up to a bound
(:data:`~backend.settings.SUBSCRIBER_BACKLOG`); past it, the sink lets them go and the
subscriber is cut off (:class:`FellBehind`), to resume from its cursor: one slow
reader costs the others nothing, and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import json
import types
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.types import ExecutionResult

from backend.api.cursors import cursor_variables
from backend.settings import SUBSCRIBER_BACKLOG

if TYPE_CHECKING:  # context.py holds the Streams of the process
    from backend.api.context import Context

# query, operationName, variables (canonical JSON), role, the customer's order
Key = tuple[str, str | None, str, str, str | None]


def stream_key(
    query: str, operation_name: str | None, variables: dict[str, object] | None, context: Context
) -> Key:
    """What subscribers share an execution by; not their cursors (api/cursors.py)."""
    principal = context.principal
    cursors = cursor_variables(query, operation_name)
    shared = {name: value for name, value in (variables or {}).items() if name not in cursors}
    canonical = json.dumps(shared, sort_keys=True, separators=(",", ":"))
    return (query, operation_name, canonical, principal.role.value, principal.order_id)


def next_payload(result: ExecutionResult) -> dict[str, object]:
    """The ``payload`` of a ``next`` message, as strawberry's ``Operation.send_next``."""
    payload: dict[str, object] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload


@dataclass(frozen=True, slots=True)
class Shared:
    """One result of a shared execution: where it is in the stream, and its text."""

    position: int
    payload: str  # the JSON of the ``next`` payload, serialized once for every sink


class FellBehind(Exception):
    """A subscriber left more shared results unsent than its sink may hold."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"you fell behind: more than {limit} messages unread; "
            "reconnect and resume from your cursor"
        )
        self.reason = str(self)


# Writes one result to a subscriber: None once done (or nothing to write), else an
# awaitable that finishes it (see started()).
Deliver = Callable[[Shared], Awaitable[None] | None]


def started(coroutine: Coroutine[Any, Any, None]) -> Awaitable[None] | None:
    """Runs ``coroutine`` up to where it first waits: None if it finished there, else an
    awaitable that goes on with it (from a task). A failure is raised by the awaitable,
    not here: the caller (a pump, serving every subscriber) must not fail with it."""
    try:
        waiting = coroutine.send(None)
    except StopIteration:
        return None
    except Exception as exc:
        coroutine.close()
        return _raise(exc)
    return _resume(coroutine, waiting)


@types.coroutine
def _resume(coroutine: Coroutine[Any, Any, None], waiting: Any) -> Generator[Any, Any, None]:
    # What a task does with a coroutine: hand on what it waits for, and step it on
    # (or throw into it: a cancellation) once that is done.
    while True:
        try:
            yield waiting
        except BaseException as exc:  # a cancellation: the coroutine decides
            try:
                waiting = coroutine.throw(exc)
            except StopIteration:
                return
        else:
            try:
                waiting = coroutine.send(None)
            except StopIteration:
                return


@types.coroutine
def _raise(exc: Exception) -> Generator[Any, Any, None]:
    # A generator, not a coroutine: dropped unawaited (its subscriber went), no warning.
    raise exc
    yield  # pragma: no cover


class Sink:
    """One subscriber of a pump: the results it has not sent yet, in order."""

    def __init__(self, pump: Pump, limit: int) -> None:
        self.pump = pump
        self.limit = limit
        self.overflowed = False
        # What the pump covered when this sink joined (None: not known yet).
        self.coverage = pump.coverage
        self.items: deque[Shared | None] = deque()  # None: the stream ended
        # Set once its subscriber takes the shared results: until then they queue.
        self.deliver: Deliver | None = None
        self._unfinished: Awaitable[None] | None = None  # a write waiting for the socket
        self._ready = asyncio.Event()

    def put(self, item: Shared | None) -> None:
        if self.overflowed:
            return
        if item is not None and self.deliver is not None and self._idle:
            self._unfinished = self.deliver(item)
            if self._unfinished is not None:
                self._ready.set()
            return
        if item is not None and len(self.items) >= self.limit:
            self.overflowed = True
            self.items.clear()  # what a reader that stopped would hold on to
        else:
            self.items.append(item)
        self._ready.set()

    @property
    def _idle(self) -> bool:
        # Nothing written before this item is still on its way: it may go at once.
        return self._unfinished is None and not self.items

    def covered(self) -> int | None:
        """A position after which every shared result is in this sink or still to come."""
        if self.coverage is None:
            # Nothing was sent before the pump's resolver started: its sinks have all.
            self.coverage = self.pump.coverage
        return self.coverage

    @property
    def ended(self) -> bool:
        return bool(self.items) and self.items[-1] is None

    async def drain(self, deliver: Deliver) -> None:
        """Writes every result with ``deliver`` until the stream ends: from here on, the
        pump writes each one itself when nothing is waiting before it, and this task
        writes what had to wait. Raises :class:`FellBehind` past the bound."""
        self.deliver = deliver
        while True:
            if self._unfinished is not None:
                # Results that come meanwhile queue behind it (the sink is not idle).
                await self._unfinished
                self._unfinished = None
            elif self.overflowed:
                raise FellBehind(self.limit)
            elif self.items:
                item = self.items.popleft()
                if item is None:
                    return
                self._unfinished = deliver(item)
            else:
                self._ready.clear()
                await self._ready.wait()


@dataclass(slots=True)
class Pump:
    """One execution of a subscription, feeding its results to every sink: ``source``,
    a subscriber's own that it adopted, resolved with ``context``."""

    key: Key
    context: Context
    source: AsyncIterator[Any] | None = None
    sinks: set[Sink] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    running: bool = False

    @property
    def coverage(self) -> int | None:
        """Every result after this position is still to be sent (None: not started).

        The resolver sets the position before it yields an item, so the result of
        that item may still be on its way: it is after the coverage's results, not
        before."""
        return self.context.position

    async def run(self, encode: Callable[[object], str], streams: Streams) -> None:
        self.running = True
        source = self.source
        try:
            if source is None or not self.sinks:
                return  # every subscriber left before it started (Streams.leave)
            context = self.context
            position = -1
            async for result in source:
                streams.executions += 1
                if not isinstance(result, ExecutionResult):
                    break  # a refusal: each subscriber got it from its own execution
                position = context.position if context.position is not None else position
                shared = Shared(position, encode(next_payload(result)))
                for sink in self.sinks:
                    sink.put(shared)
        finally:
            streams.forget(self)
            for sink in self.sinks:
                sink.put(None)
            self.source = None
            aclose = None if source is None else getattr(source, "aclose", None)
            if aclose is not None:
                await aclose()


class Streams:
    """The pumps of one backend process, by :data:`Key`."""

    def __init__(self, backlog: int = SUBSCRIBER_BACKLOG) -> None:
        self.backlog = backlog  # shared results one subscriber may leave unsent
        self._pumps: dict[Key, Pump] = {}
        self.executions = 0  # results executed, shared or not (what sharing saves)

    def join(
        self,
        key: Key,
        context: Context,
        source: AsyncIterator[Any],
        start: Callable[[Pump], asyncio.Task[None]],
    ) -> Sink:
        """A sink on the pump of ``key``; if there is none, a pump that adopts
        ``source`` (resolved with ``context``), started with ``start``."""
        pump = self._pumps.get(key)
        if pump is None:
            pump = self._pumps[key] = Pump(key, context, source)
            sink = Sink(pump, self.backlog)
            pump.sinks.add(sink)
            pump.task = start(pump)
        else:
            sink = Sink(pump, self.backlog)
            pump.sinks.add(sink)
        return sink

    def leave(self, key: Key, sink: Sink) -> None:
        pump = self._pumps.get(key)
        if pump is None or sink not in pump.sinks:
            return
        pump.sinks.discard(sink)
        if not pump.sinks and pump.task is not None:
            self.forget(pump)
            # The pump lets go of its task: the task's CancelledError holds the pump's
            # frames, and with them the pump, so a pump that still held the task would
            # be a reference cycle left for the collector, one per page closed.
            task, pump.task = pump.task, None
            if pump.running:
                task.cancel()
            # Else it closes its source as it starts: cancelled before its first
            # step, it would never run, and never close the execution it adopted.

    def forget(self, pump: Pump) -> None:
        if self._pumps.get(pump.key) is pump:
            del self._pumps[pump.key]

    def __len__(self) -> int:
        return len(self._pumps)
