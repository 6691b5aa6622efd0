"""The two private parts of aiosqlite the database stands on, and nothing else.

aiosqlite's public methods cost one hop to the connection's thread per statement; a
read (one snapshot over several statements) or a migration must run whole on that
thread. ``Connection._execute`` queues any function on it, and ``Connection._conn`` is
the ``sqlite3.Connection`` the thread owns. Both are private, so aiosqlite is pinned
(pyproject.toml) and tests/backend/test_upstream_pins.py checks, by name, the behaviour
used here: an upgrade that changes it fails there, not in the product.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")


async def on_thread(connection: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` run on ``connection``'s thread in one hop; its result (or error)."""
    result: T = await connection._execute(fn, *args)  # type: ignore[no-untyped-call]
    return result


def sqlite_connection(connection: aiosqlite.Connection) -> sqlite3.Connection:
    """The ``sqlite3.Connection`` behind ``connection``: use it on its thread only
    (through :func:`on_thread`), as sqlite3 objects belong to the thread that made them."""
    return connection._conn
