"""The heap trimmer collects the young generations every check, and gives memory back
without a full collection (issue 16): with 10,000 subscribers connected a full one
stalled the loop for 1-2 s, every few checks."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from backend.heap import HeapTrimmer, TrimSchedule


@pytest.fixture
def collections() -> Iterator[list[int]]:
    """The generation of each collection run meanwhile; automatic ones are off, so
    these are the ones code asked for."""
    seen: list[int] = []

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            seen.append(info["generation"])

    was_enabled = gc.isenabled()
    gc.disable()
    gc.callbacks.append(record)
    try:
        yield seen
    finally:
        gc.callbacks.remove(record)
        if was_enabled:
            gc.enable()


async def test_every_check_collects_the_young_generations_never_the_whole_heap(
    collections: list[int],
) -> None:
    """The collector counts allocations less deallocations: a heap that stays the same
    size never reaches its threshold, and the young generation grew until something
    collected it (a 156 ms stall 80 s into a rush). Each check collects it, and the
    middle one as its threshold says; a full collection stalled the loop 1-2 s with
    10,000 subscribers, so never here."""
    thresholds = gc.get_threshold()
    gc.set_threshold(thresholds[0], 2, thresholds[2])
    gc.collect(1)  # the middle generation's count starts at 0
    collections.clear()
    trimmer = HeapTrimmer(interval=0.01, growth=1 << 50)  # never grown enough to trim
    trimmer.start()
    try:
        async with asyncio.timeout(10):
            while len(collections) < 6:  # noqa: ASYNC110 (the trimmer has no signal to await)
                await asyncio.sleep(0.01)
    finally:
        await trimmer.stop()
        gc.set_threshold(*thresholds)
    assert collections[:6] == [0, 0, 1, 0, 0, 1]
    assert trimmer.trims == 0


async def test_trims_collect_no_more_than_the_young_generations(collections: list[int]) -> None:
    trimmer = HeapTrimmer(interval=0.01, growth=0)  # every check finds it grown
    trimmer.start()
    try:
        async with asyncio.timeout(10):
            while trimmer.trims < 3:  # noqa: ASYNC110 (the trimmer has no signal to await)
                await asyncio.sleep(0.01)
    finally:
        await trimmer.stop()
    assert collections, "the trimmer collected nothing before trimming"
    assert set(collections) <= {0, 1}, collections


MB = 1024 * 1024


def checks_until_due(schedule: TrimSchedule, rss: int) -> int:
    for checks in range(1, 10_000):
        if schedule.due(rss):
            return checks
    raise AssertionError("never due")


def test_growth_is_trimmed_at_once() -> None:
    schedule = TrimSchedule(32 * MB, floor=100 * MB, after=100 * MB)
    assert not schedule.due(120 * MB)  # under the floor plus the growth
    assert schedule.due(140 * MB)


def test_retries_that_give_nothing_back_come_further_apart() -> None:
    """10,000 subscribers hold their memory: trimming it every 10 s cost CPU for good."""
    schedule = TrimSchedule(32 * MB, floor=100 * MB, after=100 * MB, max_patience=40)
    assert schedule.due(500 * MB)  # grown: at once
    schedule.trimmed(500 * MB, 495 * MB)
    gaps = []
    for _ in range(5):
        gaps.append(checks_until_due(schedule, 500 * MB))
        schedule.trimmed(500 * MB, 498 * MB)  # gave back little: in use
    assert gaps == [5, 10, 20, 40, 40]
    # A retry that gives back a lot (the load ended) brings the patience back.
    assert checks_until_due(schedule, 500 * MB) == 40
    schedule.trimmed(500 * MB, 200 * MB)
    assert checks_until_due(schedule, 200 * MB) == 5
