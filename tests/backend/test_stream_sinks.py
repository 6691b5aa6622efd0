"""A shared result is written by the pump itself when the subscriber has nothing on its
way (no task woken per subscriber); a write that has to wait for the socket, and what
comes after it, go from the subscriber's task, in order; the bound still cuts off a
reader that stopped (issue 16)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import cast

import pytest

from backend.api.context import Context, Services
from backend.api.streams import FellBehind, Pump, Shared, Sink, started
from backend.auth import STAFF

LIMIT = 3


def sink() -> Sink:
    # The sink reads its pump's position only; nothing here reaches the services.
    context = Context(services=cast(Services, None), principal=STAFF, position=0)
    return Sink(Pump(("subscription { x }", None, "{}", "staff", None), context), LIMIT)


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
