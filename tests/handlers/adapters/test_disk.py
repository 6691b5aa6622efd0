"""Where the sandboxes' durable writes run: inline while the disk is quick, else a thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from handlers.adapters._disk import DiskPace


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def write_taking(seconds: float) -> tuple[list[int], Callable[[], str]]:
    """A write that takes ``seconds`` and notes the thread it ran on."""
    threads: list[int] = []

    def write() -> str:
        threads.append(threading.get_ident())
        time.sleep(seconds)
        return "written"

    return threads, write


async def test_writes_run_inline_while_the_disk_is_quick() -> None:
    pace = DiskPace(inline_below=0.05)
    threads, write = write_taking(0.0)
    for _ in range(5):
        assert await pace.run(write) == "written"
    assert threads == [threading.get_ident()] * 5


async def test_slow_writes_go_to_a_thread_and_one_runs_inline_again_later() -> None:
    clock = Clock()
    pace = DiskPace(inline_below=0.002, retry_inline_seconds=30.0, clock=clock)
    loop_thread = threading.get_ident()
    slow_threads, slow = write_taking(0.02)
    await pace.run(slow)
    assert slow_threads == [loop_thread]  # timed inline: now known to be slow
    assert not pace.inline
    await pace.run(slow)
    assert slow_threads[1] != loop_thread  # the loop went on meanwhile

    clock.now += 30.0  # inline once more, to tell whether the disk is quick again
    quick_threads, quick = write_taking(0.0)
    for _ in range(3):
        await pace.run(quick)
    assert quick_threads == [loop_thread] * 3
    assert pace.inline


async def test_a_slow_write_on_trying_inline_again_sends_the_next_ones_to_a_thread() -> None:
    clock = Clock()
    pace = DiskPace(inline_below=0.002, retry_inline_seconds=30.0, clock=clock)
    threads, slow = write_taking(0.02)
    await pace.run(slow)
    clock.now += 30.0
    await pace.run(slow)
    assert threads == [threading.get_ident()] * 2  # the second was the try
    assert not pace.inline
    clock.now += 29.0
    assert not pace.inline  # another whole wait before the next try
    clock.now += 1.0
    assert pace.inline


async def test_a_write_that_fails_is_timed_and_raises() -> None:
    clock = Clock()
    pace = DiskPace(inline_below=0.002, clock=clock)

    def full() -> None:
        time.sleep(0.02)
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        await pace.run(full)
    assert not pace.inline  # timed all the same: the next write goes to a thread
