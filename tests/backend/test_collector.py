"""How a process that serves the backend (``--headless``) runs: its loop, its collector."""

from __future__ import annotations

import asyncio
import gc
import types
from collections.abc import Callable, Iterator

import pytest
import uvloop
from graphql import ValidationRule

from backend.embedded import (
    MIDDLE_GC_THRESHOLD,
    OLD_GC_THRESHOLD,
    YOUNG_GC_THRESHOLD,
    Backend,
    tune_collector,
)
from tests.graphql_client import GraphQLHTTP, GraphQLWS


@pytest.fixture
def collector_restored() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*before)


@pytest.mark.usefixtures("collector_restored")
def test_the_start_up_heap_is_frozen_and_young_collections_spaced() -> None:
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    tune_collector()
    # The modules and their objects this process has imported are out of the
    # collector's sight; what is made from now on is collected as before.
    assert gc.get_freeze_count() > 10_000
    assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, MIDDLE_GC_THRESHOLD, OLD_GC_THRESHOLD)
    # Full collections no more often than before the middle one came sooner.
    assert MIDDLE_GC_THRESHOLD * OLD_GC_THRESHOLD >= 20 * 20
    assert gc.isenabled()


def test_the_backend_runs_on_uvloop(backend: Backend) -> None:
    """uvloop's loop and transports, in C: less of a core at a rush, and no transport
    left in a reference cycle for the collector when a connection closes."""
    assert isinstance(backend.loop, uvloop.Loop)
    assert backend.call(_running_loop_type()) is uvloop.Loop


async def _running_loop_type() -> type:
    return type(asyncio.get_running_loop())


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 (a metric has no signal to await)
            await asyncio.sleep(0.01)


async def test_the_api_leaves_nothing_of_ours_in_reference_cycles(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """What serving makes is freed by reference counting, whatever the request and however
    it ends: answered, refused, a subscription completed by its client or cut by its
    socket closing. A cycle is garbage for the collector, whose pauses stall the loop."""
    placed = await public.place(("margherita", 1))  # warm: the first of each kind
    order = {"id": placed["order"]["id"]}
    backend.call(backend.heap.stop())  # its collections would free cycles unseen
    gc.collect()
    gc.disable()
    try:
        await staff.data("{ menu { id name } }")
        await public.place(("margherita", 2))
        assert (await staff.post("{ nope }")).status_code == 200  # a refused document
        await staff.data(STATUS, order)
        dashboard = await GraphQLWS.connect(staff.url, staff.token)
        await dashboard.subscribe("a", ORDER_CHANGES)
        await dashboard.next_data("a")
        await dashboard.complete("a")  # the client ends it, the connection stays
        board = await GraphQLWS.connect(staff.url, staff.token)
        await board.subscribe("b", ORDER, order)
        await board.next_data("b")
        await board.close()
        page = await GraphQLWS.connect(public.url, placed["accessToken"])
        await page.subscribe("p", ORDER, order)
        await page.next_data("p")
        await page.close()  # the socket goes with its subscription
        await dashboard.close()
        # Every subscription ended, and the server counted it: it is done with them.
        backend.call(_until(lambda: _subscriptions(backend) == 0))
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = sorted(filter(None, {_ours(o) for o in _not_validation_rules(gc.garbage)}))
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []


STATUS = "query($id: ID!) { order(id: $id) { id status } }"
ORDER_CHANGES = "subscription { orderChanges(afterSeq: 0) { seq order { id status } } }"
ORDER = "subscription($id: ID!) { order(id: $id) { id status } }"


def _ours(thing: object) -> str | None:
    """What ``thing`` is, if it is the backend's or the handlers': an object of one of
    their classes, or the frame of one of their functions."""
    if isinstance(thing, types.FrameType):
        name = thing.f_globals.get("__name__", "")
        what = f"frame of {name}.{thing.f_code.co_qualname}"
    else:
        name = type(thing).__module__
        what = f"{name}.{type(thing).__qualname__}"
    return what if name.startswith(("backend.", "handlers.")) else None


def _not_validation_rules(garbage: list[object]) -> list[object]:
    """``garbage`` but the validation rules and what only they hold: each graphql-core
    visitor keeps its own bound methods (``Visitor.enter_leave_map``), a cycle of
    graphql-core's own each time a document is validated."""
    among = {id(thing) for thing in garbage}
    held: set[int] = set()
    todo = [thing for thing in garbage if isinstance(thing, ValidationRule)]
    while todo:
        thing = todo.pop()
        if id(thing) in held:
            continue
        held.add(id(thing))
        todo.extend(part for part in gc.get_referents(thing) if id(part) in among)
    return [thing for thing in garbage if id(thing) not in held]


def _subscriptions(backend: Backend) -> float:
    return backend.metrics.registry.get_sample_value("passline_subscriptions_active") or 0.0
