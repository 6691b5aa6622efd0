"""The loop budget counts the time an execution itself holds the loop (issue 16): many
cheap executions of one event, while garbage collections of everyone's objects run in
them, each stay far under it; a slow execution is still stopped."""

from __future__ import annotations

import gc
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.embedded import Backend
from backend.settings import MAX_QUERY_ALIASES
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import GraphQLHTTP, GraphQLWS

CHANGES = "subscription { orderChanges { seq type order { id number status items { name } } } }"
CONNECTIONS = 8
PER_CONNECTION = 40  # 320 executions of each event, ~0.1-0.3 s of loop in all
BUDGET_SECONDS = 0.1
# Far past the budget: what each collection below takes.
STALL_SECONDS = 0.1
# The wide subscription on an order of 50 lines: 30 aliased orders (the most allowed) of
# 50 items, ~10,500 fields, ~45 ms; the cheap one, and each document's validation, a
# millisecond at most. The budget sits far from both: a validation slowed by a loaded
# machine once went past 5 ms.
SLOW_BUDGET_SECONDS = 0.02
ITEM = "items { menuItemId name quantity unitPriceCents notes done }"
WIDE = (
    "subscription { orderChanges { seq "
    + " ".join(f"o{n}: order {{ id {ITEM} }}" for n in range(MAX_QUERY_ALIASES))
    + " } }"
)


@contextmanager
def paused(db_path: Path, budget: float) -> Iterator[Backend]:
    """Each subscription its own execution (none shared); the handlers paused, so that
    each order placed is one event."""
    with running(db_path, loop_budget_seconds=budget, shared_subscriptions=False) as server:
        assert server.delivery_commands is not None
        for definition in server.registry:
            server.call(server.delivery_commands.set_paused(definition.name, True))
        yield server


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    with paused(db_path, BUDGET_SECONDS) as server:
        yield server


@pytest.fixture
async def public(backend: Backend) -> AsyncIterator[GraphQLHTTP]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield GraphQLHTTP(http, backend.url, None)


async def subscribed(url: str, query: str, connections: int, each: int) -> list[GraphQLWS]:
    sockets = [await GraphQLWS.connect(url, STAFF_TOKEN) for _ in range(connections)]
    for ws in sockets:
        for n in range(each):
            await ws.subscribe(str(n), query)
    return sockets


async def refusals(sockets: list[GraphQLWS], each: int) -> list[dict[str, Any]]:
    """The messages of one event for every subscription that are not its data."""
    messages = [await ws.receive(60) for ws in sockets for _ in range(each)]
    for ws in sockets:
        await ws.close()
    return [m for m in messages if m["type"] != "next" or "errors" in m["payload"]]


def hold_the_interpreter(seconds: float) -> None:
    # One C call of about that long on this machine: nothing else runs meanwhile.
    sum(range(int(seconds * 70_000_000)))


async def test_cheap_executions_are_not_charged_for_a_garbage_collection(
    backend: Backend, public: GraphQLHTTP
) -> None:
    """A collection of everyone's garbage starts in whichever execution allocates past
    the threshold; at 10,000 subscribers one took 1-2 s."""
    sockets = await subscribed(backend.url, CHANGES, CONNECTIONS, PER_CONNECTION)
    slow: list[float] = []

    def slow_collection(phase: str, info: dict[str, int]) -> None:
        # Collections on the backend's loop, made as slow as one over a large heap.
        if phase == "start" and threading.current_thread().name == "passline-backend":
            slow.append(info["generation"])
            hold_the_interpreter(STALL_SECONDS)

    threshold = gc.get_threshold()
    gc.callbacks.append(slow_collection)
    gc.set_threshold(2_000, *threshold[1:])  # a few collections during the fan-out
    try:
        await public.place()
        assert await refusals(sockets, PER_CONNECTION) == []
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.remove(slow_collection)
    assert slow, "no collection ran on the backend's loop"


async def test_a_slow_execution_is_still_stopped(db_path: Path) -> None:
    with paused(db_path, SLOW_BUDGET_SECONDS) as backend:
        async with httpx.AsyncClient(timeout=30) as http:
            public = GraphQLHTTP(http, backend.url, None)
            [ws] = await subscribed(backend.url, WIDE, 1, 1)
            [cheap] = await subscribed(backend.url, CHANGES, 1, 1)
            await public.place(("margherita", 1))  # one line: the wide one is cheap
            assert (await ws.next_data("0"))["orderChanges"]["o0"]["items"]
            await cheap.next_data("0")
            await public.place(*[("margherita", 1)] * 50)  # 50 lines: ~10,500 fields
            # That event is refused; the subscription goes on with the next.
            message = await ws.receive()
            assert message["type"] == "next" and message["payload"]["data"] is None
            [error] = message["payload"]["errors"]
            assert error["extensions"] == {"code": "LIMIT_EXCEEDED"}
            assert "while resolving its fields" in error["message"]
            await cheap.next_data("0")  # the others are served
            for socket in (ws, cheap):
                await socket.close()
