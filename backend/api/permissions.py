"""The permission classes every root field carries: ``auth.POLICY``, then text arguments."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from backend.api.arguments import TextArguments
from backend.api.types import Info
from backend.auth import authorize


class RolePolicy(BasePermission):
    message = "not allowed"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # Raises the contract's UNAUTHENTICATED / FORBIDDEN with a helpful message.
        authorize(info.context.principal, f"{info.path.typename}.{info.field_name}")
        return True


# The role first: a caller who may not call a field learns nothing about its arguments.
GUARDED: list[type[BasePermission]] = [RolePolicy, TextArguments]
