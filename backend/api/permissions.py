"""The one permission class every root field carries; it asks ``auth.POLICY``."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from backend.api.types import Info
from backend.auth import authorize


class RolePolicy(BasePermission):
    message = "not allowed"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        # Raises the contract's UNAUTHENTICATED / FORBIDDEN with a helpful message.
        authorize(info.context.principal, f"{info.path.typename}.{info.field_name}")
        return True


GUARDED: list[type[BasePermission]] = [RolePolicy]
