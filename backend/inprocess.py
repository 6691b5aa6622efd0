"""GraphQL for handlers: the same schema, run in-process as the ``handler`` role.

Handlers send the same few documents over and over, so each distinct document is
parsed and validated once and then executed straight on graphql-core. Every
resolver, with its permission check, runs as it does for any other request; what is
skipped is strawberry's per-request machinery (extension runners, middleware, result
conversion), ~0.2 ms of each call on this project's 2-core machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from inspect import isawaitable
from typing import Any

import strawberry
from graphql import (
    DocumentNode,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    specified_rules,
    validate,
)

from backend._strawberry import STRAWBERRY_RULES, core_schema, optimized_is_awaitable
from backend.api.context import Context, Services
from backend.api.errors import shape_error
from backend.api.schema import VALIDATION_RULES
from backend.auth import HANDLER
from backend.settings import MAX_QUERY_TOKENS
from handlers.sdk import GraphQLFailure

# What strawberry validates every request with, and the API's own limits: checked
# once per document here, so they cost nothing per call.
RULES = (*specified_rules, *STRAWBERRY_RULES, *VALIDATION_RULES)
MAX_DOCUMENTS = 256  # distinct documents kept parsed and validated


class InProcessGraphQL:
    """Runs operations on the schema without HTTP; satisfies ``handlers.sdk.GraphQL``."""

    def __init__(self, schema: strawberry.Schema, services: Services) -> None:
        self.schema = schema
        self.services = services
        self._documents: dict[str, DocumentNode | list[GraphQLError]] = {}

    async def __call__(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        document = self._documents.get(query)
        if document is None:
            document = self._prepare(query)
        if isinstance(document, list):
            raise _failure(document)
        result = execute(
            core_schema(self.schema),
            document,
            variable_values=dict(variables or {}),
            context_value=Context(self.services, HANDLER),
            # strawberry's check, as its own execute passes (typed as a plain bool test).
            is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
            executor_class=self.schema.execution_context_class,
        )
        if isawaitable(result):
            result = await result
        if result.errors:
            raise _failure(result.errors)
        return result.data or {}

    def _prepare(self, query: str) -> DocumentNode | list[GraphQLError]:
        """``query`` parsed and validated (kept for next time), or why it cannot run."""
        prepared: DocumentNode | list[GraphQLError]
        try:
            document = parse(query, max_tokens=MAX_QUERY_TOKENS)
        except GraphQLError as error:
            prepared = [error]
        else:
            prepared = validate(core_schema(self.schema), document, RULES) or _refuse_subscription(
                document
            )
            if not prepared:
                prepared = document
        if len(self._documents) >= MAX_DOCUMENTS:
            del self._documents[next(iter(self._documents))]
        self._documents[query] = prepared
        return prepared


def _refuse_subscription(document: DocumentNode) -> list[GraphQLError]:
    # Subscriptions stream over WebSocket; run here, one would answer nothing useful.
    return [
        GraphQLError("subscriptions are not allowed in-process; send a query or mutation", node)
        for node in document.definitions
        if isinstance(node, OperationDefinitionNode)
        and node.operation is OperationType.SUBSCRIPTION
    ]


def _failure(errors: list[GraphQLError]) -> GraphQLFailure:
    # Shaped as the API shapes every error (process_errors): its contract code, or masked.
    for error in errors:
        shape_error(error)
    return GraphQLFailure([error.formatted for error in errors])  # type: ignore[misc]
