"""Giving memory back to the system after a burst of large requests.

A megabyte request body becomes a few megabytes of short-lived Python objects (the
body, its decoded text, the JSON, the tokens). They are freed when the request ends,
but glibc's allocator keeps freed pages in its arenas for reuse, so the process's RSS
stays at its peak: 200 documents of 0.9 MB left it ~80 MB above its baseline, for good.
``malloc_trim(0)`` returns the free pages of every arena. It costs a walk of the heap,
so it runs off the loop, and only when RSS is ``HEAP_TRIM_GROWTH_BYTES`` above the
least it has been: at once when it grew that much since the last trim, otherwise every
``HEAP_RETRIM_CHECKS`` checks (one each ``HEAP_TRIM_SECONDS``), less often while the
retries give nothing back (:class:`TrimSchedule`). Elsewhere than glibc it does nothing.

Before it, a collection of the youngest generation: a request that failed leaves its
exception, traceback and frames in reference cycles, which hold its body until the
collector runs, and the backend's tuned collector (embedded.tune_collector) runs
even its young collections rarely. Only the youngest (~2 ms): with the middle one
too, each trim during a rush stalled the loop for 25-80 ms, the screens' slowest
moments; a full one walks everything serving holds, and with 10,000 subscribers
connected (RSS far over the floor, so a trim every few checks) each stalled it for
1-2 s (bench/RESULTS.md, issue 16). What a burst left is young; what survived into
the older generations is the collector's own rules' to free, within seconds at a rush.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import gc
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

from backend.settings import (
    HEAP_RETRIM_CHECKS,
    HEAP_RETRIM_MAX_CHECKS,
    HEAP_TRIM_GROWTH_BYTES,
    HEAP_TRIM_SECONDS,
)

log = logging.getLogger(__name__)


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)  # CDLL: the call releases the GIL
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None
    return trim


_TRIM = _malloc_trim()
YOUNG_GENERATIONS = 0  # gc.collect(0): the youngest generation, not the middle or the heap
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int | None:
    """This process's resident set size, where /proc tells it."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


def trim() -> bool:
    """Return the allocator's free pages to the system; whether it could."""
    if _TRIM is None:
        return False
    _TRIM(0)
    return True


@dataclass(slots=True)
class TrimSchedule:
    """When to trim, from the RSS read at each check (the policy of :class:`HeapTrimmer`).

    Trim at once when RSS grew ``growth`` since the last trim. Above the floor but not
    grown (the last trim freed little, or more was freed since), try again after
    ``patience`` checks, so that the garbage of a load that has just ended goes too.
    A retry that gave back less than ``growth`` means the memory is in use (10,000
    subscribers hold ~400 MB): the patience doubles, up to ``max_patience`` checks,
    and is reset by a trim that gave back more. Without the doubling such a backend
    trimmed every 10 s for good: a collection and a walk of the heap each time, a
    third more CPU a change at 10,000 subscribers than at 100 (bench/RESULTS.md).
    """

    growth: int
    floor: int  # the least RSS seen (about the baseline)
    after: int  # RSS after the last trim
    patience: int = HEAP_RETRIM_CHECKS
    max_patience: int = HEAP_RETRIM_MAX_CHECKS
    waited: int = 0
    retrying: bool = False

    def due(self, rss: int) -> bool:
        """Whether to trim now, RSS being ``rss``."""
        self.floor = min(self.floor, rss)
        if rss < self.floor + self.growth:
            return False
        self.retrying = rss < self.after + self.growth
        self.waited += 1
        if self.retrying and self.waited < self.patience:
            return False
        self.waited = 0
        return True

    def trimmed(self, before: int, after: int) -> None:
        """A trim took RSS from ``before`` to ``after``."""
        if self.retrying and before - after < self.growth:
            self.patience = min(2 * self.patience, self.max_patience)
        else:
            self.patience = HEAP_RETRIM_CHECKS
        self.after = after
        self.floor = min(self.floor, after)


class HeapTrimmer:
    """Trims the heap off the loop after RSS has grown, checked periodically."""

    def __init__(
        self, interval: float = HEAP_TRIM_SECONDS, growth: int = HEAP_TRIM_GROWTH_BYTES
    ) -> None:
        self.interval = interval
        self.growth = growth
        self.trims = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if _TRIM is not None and rss_bytes() is not None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        start = rss_bytes() or 0
        schedule = TrimSchedule(self.growth, floor=start, after=start)
        while True:
            await asyncio.sleep(self.interval)
            now = rss_bytes() or 0
            if not schedule.due(now):
                continue
            gc.collect(YOUNG_GENERATIONS)
            await asyncio.to_thread(trim)
            self.trims += 1
            after = rss_bytes() or 0
            schedule.trimmed(now, after)
            log.debug("heap trimmed: RSS %d MB before, %d MB after", now >> 20, after >> 20)
