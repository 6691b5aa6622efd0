"""Shared fixtures: a real backend on a temporary database and an ephemeral port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from backend.embedded import Backend
from backend.settings import Settings
from tests.graphql_client import GraphQLHTTP

STAFF_TOKEN = "staff-token-for-tests"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "passline.db"


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    """A started backend (its own thread and loop) on a temporary database."""
    server = Backend(Settings(db_path=db_path, port=0, staff_token=STAFF_TOKEN))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
async def http(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture
def staff(backend: Backend, http: httpx.AsyncClient) -> GraphQLHTTP:
    return GraphQLHTTP(http, backend.url, STAFF_TOKEN)


@pytest.fixture
def public(backend: Backend, http: httpx.AsyncClient) -> GraphQLHTTP:
    return GraphQLHTTP(http, backend.url, None)
