"""Giving memory back to the system after a burst of large requests.

A megabyte request body becomes a few megabytes of short-lived Python objects (the
body, its decoded text, the JSON, the tokens). They are freed when the request ends,
but glibc's allocator keeps freed pages in its arenas for reuse, so the process's RSS
stays at its peak: 200 documents of 0.9 MB left it ~80 MB above its baseline, for good.
``malloc_trim(0)`` returns the free pages of every arena. It costs a walk of the heap,
so it runs off the loop, and only when RSS is ``HEAP_TRIM_GROWTH_BYTES`` above the
least it has been: at once when it grew that much since the last trim, otherwise every
``HEAP_RETRIM_CHECKS`` checks (one each ``HEAP_TRIM_SECONDS``), less often while the
retries give nothing back (:class:`TrimSchedule`). Elsewhere than glibc it does not trim.

Each check collects the young generation too, and the middle one as often as its
threshold says (:func:`collect_young`): the collector counts allocations less
deallocations, so a serving process whose heap stays the same size (new feed items
in, old ones out) almost never reaches the threshold of its own, and the young
generation grew until a trim collected it. As the trims came further apart, each
collection stalled the loop longer: 15 ms, then 32, 93 and 156 ms, 20-80 s apart, in
one 2.5-minute rush, and the gaps grow to ~4 minutes over an evening (bench/RESULTS.md,
issue 16). Every check, young collections take 3-8 ms and the middle one (every
other) 8-20 ms. A full collection walks everything serving holds (1-2 s with 10,000
subscribers connected): the collector's own rules decide on it.
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
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int | None:
    """This process's resident set size, where /proc tells it."""
    try:
        with open("/proc/self/statm", encoding="ascii") as statm:
            return int(statm.read().split()[1]) * _PAGE_BYTES
    except (OSError, ValueError, IndexError):
        return None


def collect_young() -> int:
    """Collect the youngest generation, with the middle one once it is due (as many
    young collections since its last as its threshold says); the oldest collected."""
    generation = 1 if gc.get_count()[1] >= gc.get_threshold()[1] else 0
    gc.collect(generation)
    return generation


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
    """Collects the young generations and, after RSS has grown, trims the heap off the
    loop, checked periodically."""

    def __init__(
        self, interval: float = HEAP_TRIM_SECONDS, growth: int = HEAP_TRIM_GROWTH_BYTES
    ) -> None:
        self.interval = interval
        self.growth = growth
        self.trims = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        start = rss_bytes()
        can_trim = _TRIM is not None and start is not None  # glibc, and /proc to read
        schedule = TrimSchedule(self.growth, floor=start or 0, after=start or 0)
        while True:
            await asyncio.sleep(self.interval)
            collect_young()  # what failed requests left in cycles goes before a trim too
            now = rss_bytes() or 0
            if not can_trim or not schedule.due(now):
                continue
            await asyncio.to_thread(trim)
            self.trims += 1
            after = rss_bytes() or 0
            schedule.trimmed(now, after)
            log.debug("heap trimmed: RSS %d MB before, %d MB after", now >> 20, after >> 20)
