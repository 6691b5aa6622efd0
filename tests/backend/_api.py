"""Helpers of the API tests: a request refused must change nothing (docs/api.md, "Errors")."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from backend.embedded import Backend
from backend.registry import Registry
from tests.conftest import running
from tests.graphql_client import GraphQLHTTP

# Everything a bad request could change; reading it also shows the server still serves.
STATE = """
{
  orders(first: 500) {
    id number status updatedAt items { menuItemId quantity notes done station }
  }
  events(first: 500) { seq type orderId }
  menu { id available stock prepSeconds station }
}
"""


def without_handlers(db_path: Path) -> Iterator[Backend]:
    """A backend for API tests: no handler moves an order or writes an event, so the
    state only changes by a test's own requests."""
    with running(db_path, Registry([])) as server:
        yield server


@asynccontextmanager
async def unchanged(staff: GraphQLHTTP) -> AsyncIterator[None]:
    """Assert that the block changes no order, event or menu item."""
    before = await staff.data(STATE)
    yield
    assert await staff.data(STATE) == before


async def refusal(
    staff: GraphQLHTTP, client: GraphQLHTTP, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The ``extensions`` of the error of a request that must fail and change nothing."""
    async with unchanged(staff):
        error = await client.error(query, variables)
    assert error["message"], error
    extensions: dict[str, Any] = error["extensions"]
    return extensions
