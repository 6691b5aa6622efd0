"""Where the sandboxes' durable writes run: on the loop's thread while the disk is quick.

A journal record is written and ``fsync``-ed in ~0.4 ms on an SSD, a ticket (a new
file, renamed into place, its folder ``fsync``-ed too) in ~1 ms. Sent to a worker
thread, the same writes took 7 and 11 ms (p50) at a rush (bench.rush): the thread wins
the GIL back from the busy loop after each of its system calls (a ticket makes about
ten), and the handler resumes a turn of the loop later; they were half of an order's
way to the kitchen. So a write runs inline while recent inline writes were quick, and
in a thread once the disk is slow (a spinning disk, a disk others are busy with),
where the loop goes on meanwhile. A write timed in a thread includes its waits for
the GIL and says little of the disk: after :data:`RETRY_INLINE_SECONDS` one write runs
inline again, and its time alone tells whether the next ones do. The database's
``COMMIT`` follows a rule of the same kind (backend/commit_place.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

# A write quicker than this (recent average) runs inline. The sandboxes write a few
# times a second at a rush: inline, at most a few per cent of the loop.
INLINE_BELOW_SECONDS = 0.005
RETRY_INLINE_SECONDS = 30.0  # once writes went to a thread, try inline again after this
_WEIGHT = 0.2  # of the latest inline write in the running average


class DiskPace:
    """The running average of inline writes' times, and where the next write runs."""

    def __init__(
        self,
        *,
        inline_below: float = INLINE_BELOW_SECONDS,
        retry_inline_seconds: float = RETRY_INLINE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inline_below = inline_below
        self.retry_inline_seconds = retry_inline_seconds
        self.average = 0.0  # seconds; 0 until a write was timed
        self._clock = clock
        self._threaded_until = 0.0  # writes go to a thread until this moment
        self._probing = False  # the next inline write's time alone is the average

    @property
    def inline(self) -> bool:
        """Whether the next write runs on the calling (the loop's) thread."""
        return self._clock() >= self._threaded_until

    async def run(self, write: Callable[[], T]) -> T:
        """``write()``, inline or in a thread as the disk's pace says; its result."""
        if not self.inline:
            return await asyncio.to_thread(write)
        start = time.perf_counter()
        try:
            return write()
        finally:
            self._timed(time.perf_counter() - start)

    def _timed(self, seconds: float) -> None:
        if self._probing:
            self.average = seconds
            self._probing = False
        else:
            self.average += (seconds - self.average) * _WEIGHT
        if self.average >= self.inline_below:
            self._threaded_until = self._clock() + self.retry_inline_seconds
            self._probing = True
