"""The part of graphql-core's executor contract the API's executors stand on.

graphql-core 3.3 gives every executor ``async_helpers`` (the ``gather``/``track`` a
resolver finds on its info), built in ``Executor.__init__`` from the executor's own
bound methods ``gather_async_work`` and ``track_async_work``: a reference cycle through
every executor (schema.py's AcyclicExecutor says what it cost). :func:`detach_helpers`
replaces them with helpers that do the same without the cycle. That leans on how
graphql-core builds and uses those helpers, not on a documented API (both methods are
``:meta private:``), so tests/backend/test_upstream_pins.py checks, by name, each thing
relied on here: an upgrade that changes it fails there, not in the product.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from graphql import GraphQLResolveInfoHelpers
from graphql.execution import Executor
from graphql.pyutils import gather_with_cancel


def detach_helpers(executor: Executor[Any]) -> None:
    """Give ``executor`` async helpers that do what graphql-core's do (gather with
    cancellation; settle tracked work in the background) without holding it: ``track``
    reaches it through a weak reference. Call it from the executor's ``__init__``,
    before any field resolves."""
    executor.async_helpers = GraphQLResolveInfoHelpers(gather=_gather, track=_tracker(executor))


def _gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
    return gather_with_cancel(*values)


def _tracker(executor: Executor[Any]) -> Callable[[Sequence[Any]], None]:
    ref = weakref.ref(executor)

    def track(values: Sequence[Any]) -> None:
        alive = ref()
        if alive is not None:  # an executor that is gone has nothing left to delay
            alive.track_async_work(values)

    return track
