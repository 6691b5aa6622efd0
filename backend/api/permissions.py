"""The one permission class of the API; it asks ``auth.POLICY``.

Every root field carries it, and so does ``Order.events``, the way from an order into
the runner's record of it. For a caller that some field below the root is refused to
(POLICY lists those too), the root field also checks the whole selection before it
runs: a mutation asking for what its caller may not read is refused before it changes
anything, and a subscription before its first message, rather than once per message.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from graphql import GraphQLObjectType, GraphQLSchema, get_named_type
from strawberry.permission import BasePermission
from strawberry.types.nodes import SelectedField, Selection

from backend.auth import LIMITED_ROLES, POLICY, Principal, authorize

if TYPE_CHECKING:  # types.py puts this class on its fields
    from backend.api.types import Info


class RolePolicy(BasePermission):
    message = "not allowed"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # Raises the contract's UNAUTHENTICATED / FORBIDDEN with a helpful message.
        principal = info.context.principal
        authorize(principal, f"{info.path.typename}.{info.field_name}")
        root = info.path.typename if info.path.prev is None else None
        if root is not None and principal.role in LIMITED_ROLES:
            schema = info.schema._schema
            _authorize_selection(principal, schema, root, info.selected_fields)
        return True


def _authorize_selection(
    principal: Principal, schema: GraphQLSchema, type_name: str, selections: Iterable[Selection]
) -> None:
    """Every field of ``selections`` (on ``type_name``) that POLICY lists, authorized."""
    parent = schema.get_type(type_name)
    if not isinstance(parent, GraphQLObjectType):
        return
    for node in selections:
        if not isinstance(node, SelectedField):  # a fragment: its fields, on its type
            _authorize_selection(
                principal, schema, node.type_condition or type_name, node.selections
            )
            continue
        field = parent.fields.get(node.name)
        if field is None:  # __typename
            continue
        if f"{type_name}.{node.name}" in POLICY:
            authorize(principal, f"{type_name}.{node.name}")
        _authorize_selection(principal, schema, get_named_type(field.type).name, node.selections)


GUARDED: list[type[BasePermission]] = [RolePolicy]
