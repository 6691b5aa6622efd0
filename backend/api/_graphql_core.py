"""The part of graphql-core's executor contract the API's executors stand on.

graphql-core 3.3 gives every executor ``async_helpers`` (the ``gather``/``track`` a
resolver finds on its info), built in ``Executor.__init__`` from the executor's own
bound methods ``gather_async_work`` and ``track_async_work``: a reference cycle through
every executor (schema.py's AcyclicExecutor says what it cost). :func:`detach_helpers`
replaces them with helpers that do the same without the cycle; :func:`forget_memo` keeps
a subscription's memo of collected fields from growing with its events. That leans on how
graphql-core builds and uses those helpers, not on a documented API (both methods are
``:meta private:``), so tests/backend/test_upstream_pins.py checks, by name, each thing
relied on here: an upgrade that changes it fails there, not in the product. The same
goes for :data:`ValidationAborted`, how a validation rule stops the validation.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from graphql import GraphQLResolveInfoHelpers
from graphql.execution import Executor
from graphql.pyutils import RefMap, gather_with_cancel
from graphql.validation.validate import ValidationAbortedError

# Raised from a validation rule, it stops the validation there and ``validate`` returns
# it after the errors found before (limits.py refuses a document over the limits so):
# how graphql-core stops at its error limit, not a documented way for a rule to stop.
ValidationAborted = ValidationAbortedError


def detach_helpers(executor: Executor[Any]) -> None:
    """Give ``executor`` async helpers that do what graphql-core's do (gather with
    cancellation; settle tracked work in the background) without holding it: ``track``
    reaches it through a weak reference. Call it from the executor's ``__init__``,
    before any field resolves."""
    executor.async_helpers = GraphQLResolveInfoHelpers(gather=_gather, track=_tracker(executor))


def forget_memo(executor: Executor[Any]) -> None:
    """Give a subscription event's ``executor`` a memo of collected subfields of its own.

    graphql-core's per-event copy shares the subscription's memo, keyed by the identity
    of field lists that each event's execution makes anew (and holding each list alive
    so its id is not reused): it grew by every event for as long as the subscription
    lived, ~30 objects an event. One dashboard's eventLog held 3,500 entries after
    1,000 events; over an evening, every long-lived subscription's executor grew into
    millions of objects that each young collection walked. Within one event's
    execution the memo still saves what it is for."""
    executor._relevant_sub_fields = {}
    executor._stream_usages = RefMap()


def _gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
    return gather_with_cancel(*values)


def _tracker(executor: Executor[Any]) -> Callable[[Sequence[Any]], None]:
    ref = weakref.ref(executor)

    def track(values: Sequence[Any]) -> None:
        alive = ref()
        if alive is not None:  # an executor that is gone has nothing left to delay
            alive.track_async_work(values)

    return track
