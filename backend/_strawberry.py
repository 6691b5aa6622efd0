"""The private parts of strawberry the API stands on, and nothing else.

strawberry keeps graphql-core's objects behind its own: the ``GraphQLSchema`` a
``strawberry.Schema`` builds (``Schema._schema``), the ``GraphQLResolveInfo`` behind an
``Info`` (``Info._raw_info``: the document's field nodes and fragments), and the field
an ``Info`` resolves (``Info._field``: its declared arguments). None has a public
accessor; tests/backend/test_upstream_pins.py checks, by name, what is used here, so a
strawberry upgrade that moves them fails there, not in the product.
"""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLResolveInfo, GraphQLSchema
from strawberry.types.arguments import StrawberryArgument


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
