"""Shared fixtures: a real backend on a temporary database and an ephemeral port."""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.embedded import Backend
from backend.registry import Registry
from backend.settings import Settings
from handlers.sdk.adapters import Adapters
from main import restaurant_backend
from tests.graphql_client import GraphQLHTTP

STAFF_TOKEN = "staff-token-for-tests"
# One TLS context for every client: httpx builds a new one per client otherwise (~30 ms
# each), and the backend under test speaks plain HTTP anyway.
_TLS = ssl.create_default_context()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "passline.db"


@contextmanager
def running(
    db_path: Path,
    registry: Registry | None = None,
    *,
    port: int = 0,
    adapters: Adapters | None = None,
    **settings: Any,
) -> Iterator[Backend]:
    """A started backend (its own thread and loop) on ``db_path``, composed as main.py
    composes it (``main.restaurant_backend``): the restaurant's handlers unless
    ``registry``, its sandbox adapters beside the database unless ``adapters``.

    ``settings`` are further fields of :class:`Settings` (``handlers_config=...``).
    """
    # Tests place many public orders from one address: the limit is tested on its own
    # (tests/backend/test_rate_limit.py, tests/web/).
    settings.setdefault("public_orders_per_window", 0)
    server = restaurant_backend(
        Settings(db_path=db_path, port=port, staff_token=STAFF_TOKEN, **settings),
        registry,
        adapters,
    )
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    """A started backend with the restaurant's handlers, on a temporary database."""
    with running(db_path) as server:
        yield server


@pytest.fixture
async def http(backend: Backend) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0, verify=_TLS) as client:
        yield client


@pytest.fixture
def staff(backend: Backend, http: httpx.AsyncClient) -> GraphQLHTTP:
    return GraphQLHTTP(http, backend.url, STAFF_TOKEN)


@pytest.fixture
def public(backend: Backend, http: httpx.AsyncClient) -> GraphQLHTTP:
    return GraphQLHTTP(http, backend.url, None)
