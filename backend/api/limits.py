"""The limits an outside client's document meets, each costing time linear in its size.

Two kinds, both refused with LIMIT_EXCEEDED:

- **What the document asks for** (``DocumentLimits``): how deep its fields nest, how many
  aliases and how many fields it has once every fragment spread is expanded. A fragment
  may be spread many times and spread others in turn (a "fragment bomb" of 40 fragments
  each spreading the next twice expands to 2^40 fields), so each fragment is measured
  once and its figures reused at every spread: one walk over the document, then one pass
  over the spreads. A cycle of fragments counts as nothing here; graphql-core's
  ``NoFragmentCyclesRule`` reports it.
- **How long the request holds the event loop** (``LoopBudget``): parsing and validation
  run without yielding the loop, and each resolved field runs some Python on it. The
  time a request spends there is metered (the CPU time of the loop's thread in its
  synchronous stretches: what every other client waits for) and the request is
  refused once it passes ``REQUEST_LOOP_BUDGET_SECONDS``. Not their wall time: that
  also counts what ran instead of the stretch, which was not this request's doing: a
  garbage collection of everyone's objects that happened to start in it, another
  thread holding the interpreter, another process holding the CPU. At 10,000
  subscribers one of 10,000 executions of ~1 ms each was stopped that way. Queries
  and subscription events are metered; a mutation's payload is not, because refusing
  it after its commit would report a failure for a change that was made — one
  mutation field a request and the document limits keep a payload small.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DefinitionNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)
from strawberry.extensions import SchemaExtension

from backend.api._graphql_core import ValidationAborted
from backend.errors import ErrorCode, LimitExceeded
from backend.settings import (
    MAX_QUERY_ALIASES,
    MAX_QUERY_DEPTH,
    MAX_QUERY_FIELDS,
    REQUEST_LOOP_BUDGET_SECONDS,
)

_ADVICE = "send a smaller document (less nesting, fewer fields, aliases or fragment spreads)"
# Expanded counts stop growing here: past every limit, and small enough to print.
_COUNT_CAP = 10**9


# -- what a document asks for ----------------------------------------------------------


@dataclass(slots=True)
class _Own:
    """One operation's or fragment's figures without its spreads, and its spreads."""

    depth: int = -1  # of its deepest field, the top fields being 0; -1 without fields
    aliases: int = 0
    fields: int = 0
    # (the depth the fragment's top fields take there, or None inside introspection;
    #  the fragment's name)
    spreads: list[tuple[int | None, str]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Cost:
    """What an operation asks for, its fragments expanded."""

    depth: int
    aliases: int
    fields: int


@dataclass(frozen=True, slots=True)
class DocumentCost:
    """Each operation's cost, and the work spent measuring them (``steps``: selections
    walked plus spreads resolved, which stays proportional to the document's size)."""

    operations: list[tuple[OperationDefinitionNode, Cost]]
    steps: int


def _is_introspection(node: FieldNode) -> bool:
    # GraphiQL's introspection query nests `ofType` deeper than any real query; its
    # depth is graphql-core's MaxIntrospectionDepthRule's business, its size is ours.
    return node.name.value.startswith("__")


def _walk(selection_set: SelectionSetNode) -> tuple[_Own, int]:
    """The figures of one definition's own selections, and how many it walked."""
    own = _Own()
    steps = 0
    # (selection set, depth of its fields or None inside introspection)
    stack: list[tuple[SelectionSetNode, int | None]] = [(selection_set, 0)]
    while stack:
        selections, depth = stack.pop()
        for selection in selections.selections:
            steps += 1
            if isinstance(selection, FieldNode):
                own.fields += 1
                own.aliases += selection.alias is not None
                field_depth = None if depth is None or _is_introspection(selection) else depth
                if field_depth is not None:
                    own.depth = max(own.depth, field_depth)
                if selection.selection_set is not None:
                    inner = None if field_depth is None else field_depth + 1
                    stack.append((selection.selection_set, inner))
            elif isinstance(selection, InlineFragmentNode):
                stack.append((selection.selection_set, depth))
            elif isinstance(selection, FragmentSpreadNode):
                own.spreads.append((depth, selection.name.value))
    return own, steps


def measure(document: DocumentNode) -> DocumentCost:
    """Each operation's depth, aliases and fields with its fragments expanded, in time
    linear in the document: every fragment is measured once, whatever its spreads."""
    owns: dict[str, _Own] = {}
    operations: list[tuple[OperationDefinitionNode, _Own]] = []
    steps = 0
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode | OperationDefinitionNode):
            own, walked = _walk(definition.selection_set)
            steps += walked
            if isinstance(definition, FragmentDefinitionNode):
                # A repeated name is UniqueFragmentNamesRule's to report; the first counts.
                owns.setdefault(definition.name.value, own)
            else:
                operations.append((definition, own))

    done: dict[str, Cost] = {}
    in_progress: set[str] = set()

    def expand(own: _Own) -> Cost:
        nonlocal steps
        depth, aliases, fields = own.depth, own.aliases, own.fields
        for at, name in own.spreads:
            steps += 1
            spread = done.get(name)
            if spread is None:  # unknown, or part of a cycle: reported by other rules
                continue
            if at is not None and spread.depth >= 0:
                depth = max(depth, at + spread.depth)
            aliases = min(aliases + spread.aliases, _COUNT_CAP)
            fields = min(fields + spread.fields, _COUNT_CAP)
        return Cost(depth, aliases, fields)

    # Fragments in post-order, without recursion: a chain of hundreds of spreads must
    # not reach the interpreter's recursion limit.
    for root, root_own in owns.items():
        stack: list[tuple[str, Iterator[tuple[int | None, str]]]] = []
        if root not in done:
            in_progress.add(root)
            stack.append((root, iter(root_own.spreads)))
        while stack:
            name, pending = stack[-1]
            for _, spread in pending:
                if spread in owns and spread not in done and spread not in in_progress:
                    in_progress.add(spread)
                    stack.append((spread, iter(owns[spread].spreads)))
                    break
            else:
                stack.pop()
                done[name] = expand(owns[name])
                in_progress.discard(name)

    costs = [(operation, expand(own)) for operation, own in operations]
    return DocumentCost(costs, steps)


def _limit_error(message: str, node: DefinitionNode) -> GraphQLError:
    return GraphQLError(
        f"{message}; {_ADVICE}", node, extensions={"code": ErrorCode.LIMIT_EXCEEDED.value}
    )


class _Refused(ValidationAborted):
    """Stops the validation: the other rules need not walk a document refused already
    (some of graphql-core's do more than linear work on a document like this one)."""


class DocumentLimits(ValidationRule):
    """Refuses an operation too deep, with too many aliases, or expanding to too many
    fields; runs when validation enters the document, before any other rule's work."""

    def enter_document(self, node: DocumentNode, *_: Any) -> None:
        errors: list[GraphQLError] = []
        for operation, cost in measure(node).operations:
            name = f"the operation {operation.name.value!r}" if operation.name else "the operation"
            if cost.depth > MAX_QUERY_DEPTH:
                errors.append(
                    _limit_error(
                        f"{name} nests fields {cost.depth + 1} levels deep; "
                        f"at most {MAX_QUERY_DEPTH + 1} are allowed",
                        operation,
                    )
                )
            if cost.aliases > MAX_QUERY_ALIASES:
                errors.append(
                    _limit_error(
                        f"{name} has {cost.aliases} aliases with its fragments expanded; "
                        f"at most {MAX_QUERY_ALIASES} are allowed",
                        operation,
                    )
                )
            if cost.fields > MAX_QUERY_FIELDS:
                shown = "more than a billion" if cost.fields >= _COUNT_CAP else str(cost.fields)
                errors.append(
                    _limit_error(
                        f"{name} has {shown} fields with its fragments expanded "
                        f"(a fragment counts again at each spread); "
                        f"at most {MAX_QUERY_FIELDS} are allowed",
                        operation,
                    )
                )
        if errors:
            for error in errors[:-1]:
                self.report_error(error)
            last = errors[-1]
            raise _Refused(last.message, last.nodes, extensions=last.extensions)


# -- how long a request holds the loop --------------------------------------------------


class _Collections:
    """The CPU time each thread has spent in garbage collections (a ``gc`` callback)."""

    def __init__(self) -> None:
        self._threads = threading.local()

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        here = self._threads
        if phase == "start":
            here.started = time.thread_time()
        elif (started := getattr(here, "started", None)) is not None:
            here.spent = self.spent() + time.thread_time() - started
            here.started = None

    def spent(self) -> float:
        """Seconds this thread has spent collecting so far."""
        spent: float = getattr(self._threads, "spent", 0.0)
        return spent


COLLECTIONS = _Collections()
# Installed once, on import: the first callback, so a collection's time includes any
# other callback's.
gc.callbacks.insert(0, COLLECTIONS)


class LoopBudget:
    """The time one request may hold the event loop, and the time it has held it.

    ``resume``/``pause`` bracket a synchronous stretch of the request's work; ``check``
    raises LimitExceeded once the total reaches ``seconds``. What is counted is the CPU
    time the loop's thread spent in those stretches, less the garbage collections in
    them (module docstring).
    """

    __slots__ = ("_collected", "_cpu", "_since", "exceeded", "seconds", "spent")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.spent = 0.0
        self.exceeded = False
        self._since: float | None = None  # wall clock, at the start of the stretch
        self._cpu = 0.0  # the thread's CPU clock then
        self._collected = 0.0  # its collections' time then

    @property
    def running(self) -> bool:
        return self._since is not None

    def resume(self) -> None:
        self._since = time.perf_counter()
        self._cpu = time.thread_time()
        self._collected = COLLECTIONS.spent()

    def pause(self) -> None:
        if self._since is not None:
            self.spent += self._stretch()
            self._since = None

    def _stretch(self) -> float:
        collected = COLLECTIONS.spent() - self._collected
        return max(0.0, time.thread_time() - self._cpu - collected)

    def held(self) -> float:
        """Seconds held so far, the current stretch included."""
        return self.spent if self._since is None else self.spent + self._stretch()

    def check(self, stage: str) -> None:
        since = self._since
        # The stretch's wall time bounds what it held, and costs less to read (this
        # runs for every field): the CPU clock is read only once that bound is past.
        bound = self.spent if since is None else self.spent + time.perf_counter() - since
        if not self.exceeded and bound < self.seconds:
            return
        if self.exceeded or self.held() >= self.seconds:
            self.exceeded = True
            raise LimitExceeded(
                f"the request held the server for more than {self.seconds:g} s while "
                f"{stage}, and was stopped; ask for less (fewer fields, a smaller first:)"
            )


_BUDGET: ContextVar[LoopBudget | None] = ContextVar("passline_loop_budget", default=None)


def current_budget() -> LoopBudget | None:
    """The budget of the operation running in this context, if it is metered."""
    return _BUDGET.get()


@contextmanager
def metered(budget: LoopBudget) -> Iterator[LoopBudget]:
    """Run the block as an operation metered by ``budget``."""
    token = _BUDGET.set(budget)
    try:
        yield budget
    finally:
        _BUDGET.reset(token)


class RequestBudget(SchemaExtension):
    """Meters an operation's parse and validation (they run without yielding the loop)
    and hands the budget to the executor, which meters each field; a query refused
    part-way answers with the refusal alone, not with the fields it had time for."""

    def __init__(self, seconds: float = REQUEST_LOOP_BUDGET_SECONDS) -> None:
        super().__init__()
        self.budget = LoopBudget(seconds)

    def on_operation(self) -> Iterator[None]:
        _BUDGET.set(self.budget)
        self.budget.resume()
        try:
            yield
        finally:
            self.budget.pause()
            # Not reset(): a streamed operation may end in another context than it began.
            _BUDGET.set(None)

    def on_execute(self) -> Iterator[None]:
        self.budget.pause()  # from here the executor meters the stretches itself
        yield
        result = self.execution_context.result
        if not self.budget.exceeded or result is None or not result.errors:
            return
        refusals = [e for e in result.errors if isinstance(e.original_error, LimitExceeded)]
        if refusals and hasattr(result, "data"):
            result.data = None
            result.errors = refusals[:1]


_CHECK_EVERY_NODES = 64


class LoopBudgetRule(ValidationRule):
    """Stops the validation of a request past its loop budget (graphql-core's own rules
    are not all linear: many same-named fields cost OverlappingFieldsCanBeMerged a
    comparison per pair)."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.budget = current_budget()
        self.nodes = 0

    def enter(self, *_: Any) -> None:
        self.nodes += 1
        if self.budget is None or self.nodes % _CHECK_EVERY_NODES:
            return
        try:
            self.budget.check("validating the document")
        except LimitExceeded as exc:
            raise BudgetSpent(exc.message, extensions=exc.extensions) from None


class BudgetSpent(ValidationAborted):
    """The validation stopped for the request's loop budget: a fact about this request's
    moment as much as about its document, so it is not cached."""
