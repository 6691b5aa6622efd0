"""How a process that serves the backend (``--headless``) runs: its loop, its collector."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterator

import pytest
import uvloop

from backend.api.context import Context
from backend.embedded import (
    MIDDLE_GC_THRESHOLD,
    OLD_GC_THRESHOLD,
    YOUNG_GC_THRESHOLD,
    Backend,
    tune_collector,
)
from tests.graphql_client import GraphQLHTTP


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


async def test_an_answered_request_leaves_nothing_of_ours_to_the_collector(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    """A request's context is freed by reference counting once it is answered (it was
    in a reference cycle with the request's scope: one for the collector a request)."""
    await staff.data("{ menu { id } }")
    gc.collect()
    gc.disable()
    try:
        before = _answered(backend)
        await staff.data("{ menu { id } }")
        # The server counts the request once it has answered it: then it is done with it.
        backend.call(_until(lambda: _answered(backend) > before))
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [o for o in gc.garbage if isinstance(o, Context)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []


def _answered(backend: Backend) -> float:
    value = backend.metrics.registry.get_sample_value(
        "passline_graphql_requests_total", {"operation_type": "query", "outcome": "OK"}
    )
    return value or 0.0


async def _until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 (a metric has no signal to await)
            await asyncio.sleep(0.01)
