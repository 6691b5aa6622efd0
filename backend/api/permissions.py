"""The permission classes of the API: ``auth.POLICY``, then text arguments.

Every root field carries both (:data:`GUARDED`); ``Order.events`` and
``Order.cancelReason``, the staff's fields below the root, carry the role check
(:data:`STAFF_FIELD`). For a caller that some field below the root is refused to
(POLICY lists those too), the root field also checks the whole selection before it
runs: a mutation asking for what its caller may not read is refused before it changes
anything, and a subscription before its first message, rather than once per message.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionNode,
    get_named_type,
)
from strawberry.permission import BasePermission

from backend._strawberry import resolve_info
from backend.api.arguments import TextArguments
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
            raw = resolve_info(info)
            SelectionAuthorizer(principal, raw.schema, raw.fragments).check(root, raw.field_nodes)
        return True


class SelectionAuthorizer:
    """Authorizes every field of a selection that POLICY lists, in time linear in the
    document: a fragment is walked once, however often it is spread (strawberry's
    ``info.selected_fields`` expands every spread, exponential in nested fragments)."""

    def __init__(
        self,
        principal: Principal,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
    ) -> None:
        self.principal = principal
        self.schema = schema
        self.fragments = fragments
        self.walked: set[str] = set()  # fragments, each on the type it names

    def check(self, type_name: str, selections: Collection[SelectionNode]) -> None:
        parent = self.schema.get_type(type_name)
        if not isinstance(parent, GraphQLObjectType):
            return
        for node in selections:
            if isinstance(node, FieldNode):
                field = parent.fields.get(node.name.value)
                if field is None:  # __typename
                    continue
                key = f"{type_name}.{node.name.value}"
                if key in POLICY:
                    authorize(self.principal, key)
                if node.selection_set is not None:
                    inner = get_named_type(field.type).name
                    self.check(inner, node.selection_set.selections)
            elif isinstance(node, InlineFragmentNode):
                on = type_name if node.type_condition is None else node.type_condition.name.value
                self.check(on, node.selection_set.selections)
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is None or fragment.name.value in self.walked:
                    continue
                self.walked.add(fragment.name.value)
                self.check(fragment.type_condition.name.value, fragment.selection_set.selections)


# The role first: a caller who may not call a field learns nothing about its arguments.
GUARDED: list[type[BasePermission]] = [RolePolicy, TextArguments]
# A field below the root (it takes no text): the role only, once per object it is on.
STAFF_FIELD: list[type[BasePermission]] = [RolePolicy]
