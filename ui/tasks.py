"""Starting coroutines from Qt slots: keep a reference, and report failures like a slot would.

A task nobody awaits can be garbage-collected mid-flight, and its exception would go
unseen; qasync routes slot errors to ``sys.excepthook`` (which ``main.py`` installs), so
a task's unexpected error goes there too.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_running: set[asyncio.Task[Any]] = set()


def spawn(coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
    """Run ``coroutine`` on the (qasync) loop in the background."""
    task = asyncio.ensure_future(coroutine)
    _running.add(task)
    task.add_done_callback(_finished)
    return task


def _finished(task: asyncio.Task[Any]) -> None:
    _running.discard(task)
    if task.cancelled():
        return
    error = task.exception()
    if error is not None:
        sys.excepthook(type(error), error, error.__traceback__)
