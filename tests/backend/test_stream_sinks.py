"""A shared result is written by the pump itself when the subscriber has nothing on its
way (no task woken per subscriber); a write that has to wait for the socket, and what
comes after it, go from the subscriber's task, in order; the bound still cuts off a
reader that stopped (issue 16). A pump lets go of the execution it adopted however
early its subscribers leave."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable
from typing import cast

import pytest
from strawberry.types import ExecutionResult

from backend.api.context import Context, Services
from backend.api.streams import FellBehind, Key, Pump, Shared, Sink, Streams, started
from backend.auth import STAFF

LIMIT = 3
KEY: Key = ("subscription { x }", None, "{}", "staff", None)


def context(position: int) -> Context:
    # Sinks and pumps read its position only; nothing here reaches the services.
    return Context(services=cast(Services, None), principal=STAFF, position=position)


def sink() -> Sink:
    return Sink(Pump(KEY, context(0)), LIMIT)


def shared(position: int) -> Shared:
    return Shared(position, f'{{"n": {position}}}')


class Socket:
    """Writes that finish at once while ``room`` is set, and wait for it otherwise."""

    def __init__(self) -> None:
        self.written: list[int] = []
        self.room = asyncio.Event()
        self.room.set()

    async def write(self, item: Shared) -> None:
        await self.room.wait()
        self.written.append(item.position)

    def deliver(self, item: Shared) -> Awaitable[None] | None:
        return started(self.write(item))


async def test_the_pump_writes_each_result_itself_while_the_socket_has_room() -> None:
    socket, subscriber = Socket(), sink()
    task = asyncio.create_task(subscriber.drain(socket.deliver))
    await asyncio.sleep(0)  # the task is waiting for results
    for position in (1, 2, 3, 4, 5):
        subscriber.put(shared(position))
        # Written before anything else ran: no task was woken for it.
        assert socket.written[-1] == position
    subscriber.put(None)
    await asyncio.wait_for(task, 5)
    assert socket.written == [1, 2, 3, 4, 5]


async def test_a_write_that_waits_keeps_the_ones_after_it_in_order() -> None:
    socket, subscriber = Socket(), sink()
    task = asyncio.create_task(subscriber.drain(socket.deliver))
    await asyncio.sleep(0)
    subscriber.put(shared(1))
    socket.room.clear()
    for position in (2, 3, 4):
        subscriber.put(shared(position))
    await asyncio.sleep(0.01)
    assert socket.written == [1]
    socket.room.set()
    subscriber.put(shared(5))
    subscriber.put(None)
    await asyncio.wait_for(task, 5)
    assert socket.written == [1, 2, 3, 4, 5]


async def test_a_reader_that_stopped_is_cut_off_past_the_bound() -> None:
    socket, subscriber = Socket(), sink()
    task = asyncio.create_task(subscriber.drain(socket.deliver))
    await asyncio.sleep(0)
    socket.room.clear()
    for position in range(1, LIMIT + 3):  # one on its way, then more than the bound
        subscriber.put(shared(position))
    assert subscriber.overflowed
    socket.room.set()
    with pytest.raises(FellBehind):
        await asyncio.wait_for(task, 5)
    assert socket.written == [1]


async def test_a_failed_write_fails_its_subscriber_not_the_pump() -> None:
    subscriber = sink()

    async def broken(item: Shared) -> None:
        raise ConnectionResetError("the client went")

    task = asyncio.create_task(subscriber.drain(lambda item: started(broken(item))))
    await asyncio.sleep(0)
    subscriber.put(shared(1))  # does not raise here, in the pump
    with pytest.raises(ConnectionResetError):
        await asyncio.wait_for(task, 5)


async def test_a_subscriber_cancelled_while_its_write_waits_cancels_the_write() -> None:
    socket, subscriber = Socket(), sink()
    task = asyncio.create_task(subscriber.drain(socket.deliver))
    await asyncio.sleep(0)
    socket.room.clear()
    subscriber.put(shared(1))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    socket.room.set()
    await asyncio.sleep(0.01)
    assert socket.written == []


async def test_a_pump_left_before_it_started_closes_the_execution_it_adopted() -> None:
    """The first subscriber's own execution becomes the pump's. Should every subscriber
    leave before the pump's task took its first step, a cancel would keep the task from
    ever running, and from closing that execution (its resolver, its order's feed)."""
    closed = asyncio.Event()

    async def execution() -> AsyncIterator[ExecutionResult]:
        try:
            yield ExecutionResult(data={"x": 1}, errors=None)
            await asyncio.Event().wait()  # the next change, which does not come
        finally:
            closed.set()

    source = execution()
    await anext(source)  # what the subscriber's own execution sent
    streams = Streams(LIMIT)
    subscriber = streams.join(
        KEY, context(1), source, lambda pump: asyncio.create_task(pump.run(str, streams))
    )
    assert subscriber.pump.source is source  # adopted, covering what was sent
    assert subscriber.covered() == 1
    streams.leave(KEY, subscriber)  # before the pump's task ran
    await asyncio.wait_for(closed.wait(), 5)
    assert len(streams) == 0
