"""The handlers' figures at scale: a handler's last error is found without walking its
history, and every handlerStats subscriber shares one read per commit."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from backend import handler_stats
from backend.database import Tx
from backend.embedded import Backend
from backend.sql_blocks import SQL
from tests.backend.pipeline_store import open_db
from tests.graphql_client import GraphQLHTTP, GraphQLWS


async def test_the_last_error_is_found_by_its_own_index(db_path: Path) -> None:
    async with open_db(db_path) as db:

        def history(tx: Tx) -> None:
            tx.execute(
                "INSERT INTO events (seq, id, type, payload, created_at) "
                "VALUES (1, 'e1', 'order_placed', '{}', '2026-12-06T00:00:00Z')"
            )
            tx.execute(
                "INSERT INTO deliveries (event_seq, handler, status, attempts, next_attempt_at) "
                "VALUES (1, 'printer', 'SUCCEEDED', 5000, 0)"
            )
            attempts: list[tuple[str, int, str | None]] = [
                ("printer", n, None) for n in range(1, 5_001)
            ]
            attempts[10] = ("printer", 11, "PaperJam: tray 3")
            tx.conn.executemany(
                "INSERT INTO invocations (event_seq, handler, attempt, started_at, "
                "duration_ms, outcome, error) VALUES (1, ?, ?, '2026-12-06T00:00:00Z', 1.0, "
                "'SUCCEEDED', ?)",
                attempts,
            )

        await db.write(history)
        plan = db.read_now(
            lambda conn: " ".join(
                str(row[3])
                for row in conn.execute(
                    f"EXPLAIN QUERY PLAN {SQL.last_error}", {"handler": "printer"}
                )
            )
        )
        assert "invocations_errors" in plan  # not a walk back through 5,000 attempts
        error = db.read_now(lambda conn: conn.execute(SQL.last_error, {"handler": "printer"}))
        assert error.fetchone()[0] == "PaperJam: tray 3"


async def test_handler_stats_subscribers_share_one_read_per_commit(
    backend: Backend, staff: GraphQLHTTP, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert backend.notifier is not None
    notifier = backend.notifier
    versions: list[int] = []
    read = handler_stats.handler_stats

    def counted(conn: sqlite3.Connection, registry: object) -> object:
        versions.append(notifier.version)
        return read(conn, registry)  # type: ignore[arg-type]

    monkeypatch.setattr(handler_stats, "handler_stats", counted)
    screens = [await GraphQLWS.connect(staff.url, staff.token) for _ in range(8)]
    try:
        for ws in screens:
            await ws.subscribe("s", "subscription { handlerStats { name succeeded } }")
        firsts = await asyncio.gather(*(ws.next_data("s") for ws in screens))
        assert len({str(first) for first in firsts}) == 1  # all saw the same figures
    finally:
        for ws in screens:
            await ws.close()
    # Eight subscribers, one read for each version they saw (not one each).
    assert versions and len(versions) == len(set(versions)) < len(screens)
