"""How a process that serves the backend (``--headless``) runs: its loop, its collector."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
import uvloop

from backend.embedded import (
    MIDDLE_GC_THRESHOLD,
    OLD_GC_THRESHOLD,
    YOUNG_GC_THRESHOLD,
    Backend,
    tune_collector,
)


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
