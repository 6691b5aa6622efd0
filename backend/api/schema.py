"""The schema: the contract's root types with the limits and error policy of the API."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLError
from graphql import OperationType as CoreOperationType
from strawberry.extensions import AddValidationRules, MaxTokensLimiter, SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionResult

from backend._strawberry import ExecutionContext, OperationType
from backend.api._graphql_core import detach_helpers, forget_memo
from backend.api.context import Context
from backend.api.deliveries import DeliveryMutation
from backend.api.documents import CachedDocuments, DocumentCache
from backend.api.errors import OneMutationPerRequest, shape_error
from backend.api.limits import (
    DocumentLimits,
    LoopBudget,
    LoopBudgetRule,
    RequestBudget,
    current_budget,
)
from backend.api.mutation import OrderMutation
from backend.api.pipeline import PipelineMutation
from backend.api.query import Query
from backend.api.subscription import Subscription
from backend.metrics import NO_OPERATION, outcome_of
from backend.settings import MAX_DOCUMENT_CHARS, MAX_QUERY_TOKENS, REQUEST_LOOP_BUDGET_SECONDS


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        # Instead of logging every error: expected ones are answers, not faults;
        # shape_error logs the unexpected ones with the id it gives the client.
        for error in errors:
            shape_error(error)
        context = getattr(execution_context, "context", None)
        if isinstance(context, Context) and errors:  # for the request's metrics
            context.outcome = outcome_of((errors[0].extensions or {}).get("code"))
            if context.operation_type == NO_OPERATION:
                # Parsed but refused (invalid, over a limit): the operation never ran.
                with contextlib.suppress(RuntimeError):  # not even parsed
                    context.operation_type = execution_context.operation_type.value

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        # Subscriptions are streamed over WebSocket (Schema.stream); executed here, over
        # HTTP, one would fail as an internal error instead of a clear refusal.
        allowed = kwargs.get("allowed_operation_types") or set(OperationType)
        kwargs["allowed_operation_types"] = set(allowed) - {OperationType.SUBSCRIPTION}
        return await super().execute(*args, **kwargs)


class AcyclicExecutor(ExecutionContext):
    """strawberry's executor without the reference cycle graphql-core 3.3 builds into
    every executor: its ``async_helpers`` hold bound methods of the executor itself.

    Through that cycle, everything an operation touched (its collected fields, the
    context, the loaders) outlived it until the garbage collector ran: ~700 objects
    an order in the pipeline, freed in collections that stalled the loop for up to
    100 ms and cost ~15 % of the backend's CPU. Without it, they go when the operation
    ends. The helpers do what graphql-core's do (_graphql_core.py).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        detach_helpers(self)
        if isinstance(self.context_value, Context):  # for the request's metrics
            self.context_value.operation_type = self.operation.operation.value

    def build_per_event_executor(self, payload: Any) -> Any:
        executor = super().build_per_event_executor(payload)
        forget_memo(executor)
        return executor


class MeteredExecutor(AcyclicExecutor):
    """Charges each field's resolution to the request's loop budget (limits.py) and
    refuses the field once the budget is spent.

    The outermost ``execute_field`` of a synchronous stretch is timed (the fields it
    completes in the same stretch are inside it); a field resolved after an ``await``
    starts a stretch of its own. A mutation is not metered: see limits.py.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        metered = self.operation.operation is not CoreOperationType.MUTATION
        self.budget = current_budget() if metered else None

    def build_per_event_executor(self, payload: Any) -> Any:
        # A subscription's events are requests of their own, each with a full budget
        # (graphql-core copies the executor for each event, and with it the budget).
        executor = super().build_per_event_executor(payload)
        assert isinstance(executor, MeteredExecutor)
        if self.budget is not None:
            executor.budget = LoopBudget(self.budget.seconds)
        return executor

    def execute_field(self, *args: Any, **kwargs: Any) -> Any:
        budget = self.budget
        if budget is None:
            return super().execute_field(*args, **kwargs)
        if budget.running:
            budget.check("resolving its fields")
            return super().execute_field(*args, **kwargs)
        budget.resume()
        try:
            budget.check("resolving its fields")
            return super().execute_field(*args, **kwargs)
        finally:
            budget.pause()


# Built once, as a cached validation is only valid for the same rules.
# DocumentLimits refuses when validation enters the document, so a fragment bomb is
# refused before any rule walks a field of it.
VALIDATION_RULES: list[type[ASTValidationRule]] = [
    DocumentLimits,
    OneMutationPerRequest,
    LoopBudgetRule,
]

Mutation = merge_types("Mutation", (OrderMutation, DeliveryMutation, PipelineMutation))


def build_schema(
    *, trusted: bool = False, loop_budget_seconds: float = REQUEST_LOOP_BUDGET_SECONDS
) -> Schema:
    """The API's schema; ``trusted`` leaves out the limits meant for outside clients
    (the in-process handlers send the same few documents again and again), and
    ``loop_budget_seconds`` is the time one request may hold the loop (limits.py)."""
    limits: list[Callable[[], SchemaExtension]] = [
        lambda: RequestBudget(loop_budget_seconds),
        lambda: MaxTokensLimiter(max_token_count=MAX_QUERY_TOKENS),
        lambda: AddValidationRules(VALIDATION_RULES),
    ]
    documents = DocumentCache()
    return Schema(
        execution_context_class=AcyclicExecutor if trusted else MeteredExecutor,
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        # Factories: a fresh extension object per operation.
        extensions=[
            *([] if trusted else limits),
            lambda: CachedDocuments(documents, None if trusted else MAX_DOCUMENT_CHARS),
        ],
    )
