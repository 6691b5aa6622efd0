"""GraphQL for handlers: the same schema, run in-process as the ``handler`` role."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import strawberry

from backend.api.context import Context, Services
from backend.auth import HANDLER
from handlers.sdk import GraphQLFailure


class InProcessGraphQL:
    """Runs operations on the schema without HTTP; satisfies ``handlers.sdk.GraphQL``."""

    def __init__(self, schema: strawberry.Schema, services: Services) -> None:
        self.schema = schema
        self.services = services

    async def __call__(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        result = await self.schema.execute(
            query,
            variable_values=dict(variables or {}),
            context_value=Context(self.services, HANDLER),
        )
        if result.errors:
            raise GraphQLFailure([error.formatted for error in result.errors])  # type: ignore[misc]
        return result.data or {}
