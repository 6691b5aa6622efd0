"""A controller's coroutines: started from slots, cancelled with it, errors shown to staff."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ui import tasks
from ui.client import GraphQLClient, GraphQLError

T = TypeVar("T")


class Tasks:
    """Spawns through :func:`ui.tasks.spawn`, keeping its own tasks to cancel them.

    A :class:`GraphQLError` is an answer the operator should read (a refused retry, the
    backend out of reach): it goes to ``on_error``, typically the panel's status line.
    Anything else is a bug and reaches ``sys.excepthook`` as any slot error would.
    """

    def __init__(self, on_error: Callable[[str], None]) -> None:
        self._on_error = on_error
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T | None]:
        task = tasks.spawn(self._reporting(coroutine))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        # Cancelled before it ran, the wrapper never awaited ``coroutine``: close it, or
        # Python warns that it was never awaited.
        task.add_done_callback(lambda _: coroutine.close())
        return task

    def cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()

    async def _reporting(self, coroutine: Coroutine[Any, Any, T]) -> T | None:
        try:
            return await coroutine
        except GraphQLError as error:
            self._on_error(error.message)
            return None


class FirstRead:
    """A panel's first read: tried at start, then again on each (re)connect until it worked.

    Subscriptions resume by themselves; a query made while the backend is out of reach
    (``--connect`` to a backend not up yet) fails, and is shown as ``what`` could not be
    read, with the promise of another try.
    """

    def __init__(
        self,
        client: GraphQLClient,
        tasks: Tasks,
        read: Callable[[], Coroutine[Any, Any, None]],
        what: str,
        on_error: Callable[[str], None],
    ) -> None:
        self.done = False
        self._tasks = tasks
        self._read = read
        self._what = what
        self._on_error = on_error
        self._started = False
        client.connectionChanged.connect(self._connection_changed)

    async def run(self) -> None:
        self._started = True
        try:
            await self._read()
        except GraphQLError as error:
            self._on_error(
                f"Cannot read {self._what} ({error.message}); trying again when connected"
            )
        else:
            self.done = True

    def _connection_changed(self, state: str) -> None:
        if state == "connected" and self._started and not self.done:
            self._tasks.spawn(self.run())
