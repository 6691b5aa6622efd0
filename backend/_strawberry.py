"""The private parts of strawberry the API stands on, and nothing else.

strawberry keeps graphql-core's objects behind its own: the ``GraphQLSchema`` a
``strawberry.Schema`` builds (``Schema._schema``), the ``GraphQLResolveInfo`` behind an
``Info`` (``Info._raw_info``: the document's field nodes and fragments), and the field
an ``Info`` resolves (``Info._field``: its declared arguments). None has a public
accessor. Nor are public the executor strawberry runs graphql-core with, the way it
validates a document and checks for awaitables, the operation types its schema takes,
or its checks of a WebSocket's Origin, all of which the API reuses to behave exactly as
strawberry does. tests/backend/test_upstream_pins.py checks, by name, what is used here,
so a strawberry upgrade that moves them fails there, not in the product. (Its
WebSocket handler's private parts have their own fence: backend/api/_strawberry_ws.py.)
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import ASTValidationRule, GraphQLResolveInfo, GraphQLSchema
from strawberry.execution import optimized_is_awaitable
from strawberry.http.websocket_origin import (
    is_same_origin,
    normalize_allowed_origins,
    normalize_origin,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext, validate_document
from strawberry.schema.validation_rules.maybe_null import MaybeNullValidationRule
from strawberry.schema.validation_rules.one_of import OneOfInputValidationRule
from strawberry.types.arguments import StrawberryArgument
from strawberry.types.graphql import OperationType

__all__ = [
    "STRAWBERRY_RULES",
    "ExecutionContext",
    "OperationType",  # the operation kinds Schema.execute(allowed_operation_types=) takes
    "core_schema",
    "field_arguments",
    "is_same_origin",  # an Origin header names the host the request was sent to
    "normalize_allowed_origins",  # checked and normalized like strawberry's allowed_origins
    "normalize_origin",  # an origin as a browser sends it
    "optimized_is_awaitable",  # the awaitable check strawberry's execute passes graphql-core
    "resolve_info",
    "validate_document",  # graphql-core's validate, with the rules of STRAWBERRY_RULES added
]

# The executor class a strawberry.Schema runs graphql-core with (the API's subclass it).
ExecutionContext = StrawberryGraphQLCoreExecutionContext
# What strawberry validates every document with besides graphql-core's specified rules.
STRAWBERRY_RULES: tuple[type[ASTValidationRule], ...] = (
    MaybeNullValidationRule,
    OneOfInputValidationRule,
)


def core_schema(schema: strawberry.Schema) -> GraphQLSchema:
    """The graphql-core schema ``schema`` built: what graphql-core's own functions take."""
    return schema._schema


def resolve_info(info: strawberry.Info[Any, Any]) -> GraphQLResolveInfo[Any]:
    """graphql-core's info behind ``info``: the field's nodes in the document, and the
    document's fragments (strawberry's ``selected_fields`` expands every spread)."""
    return info._raw_info


def field_arguments(info: strawberry.Info[Any, Any]) -> list[StrawberryArgument]:
    """The arguments the field being resolved declares (not only those given)."""
    return info._field.arguments
