"""The heap trimmer gives memory back without a full collection (issue 16): with
10,000 subscribers connected a full one stalled the loop for 1-2 s, every few checks."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator
from typing import Any

import pytest

from backend.heap import HeapTrimmer


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


async def test_the_trimmer_collects_the_young_generations_only(collections: list[int]) -> None:
    trimmer = HeapTrimmer(interval=0.01, growth=0)  # every check finds it grown
    trimmer.start()
    try:
        async with asyncio.timeout(10):
            while trimmer.trims < 3:  # noqa: ASYNC110 (the trimmer has no signal to await)
                await asyncio.sleep(0.01)
    finally:
        await trimmer.stop()
    assert collections, "the trimmer collected nothing before trimming"
    assert max(collections) < 2, collections
