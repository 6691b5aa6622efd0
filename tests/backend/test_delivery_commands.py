"""What staff can do about deliveries, as units of work on a real database."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend import delivery_commands
from backend.database import Database, Tx
from backend.errors import BadUserInput, InvalidTransition, NotFound
from backend.outbox import emit
from backend.registry import Registry
from backend.states import DeliveryStatus
from handlers.sdk import Context, Event, HandlerDefinition


async def nothing(event: Event, ctx: Context) -> None:
    return None


REGISTRY = Registry(
    [
        HandlerDefinition("a", ("thing",), nothing),
        HandlerDefinition("b", ("thing",), nothing),
        HandlerDefinition("c", ("other",), nothing),
    ]
)


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = Database(db_path, subscribers=REGISTRY.subscribers)
    await database.open()
    yield database
    await database.close()


def set_status(db: Database, status: str, attempts: int = 3) -> None:
    with sqlite3.connect(db.path) as conn:
        conn.execute("UPDATE deliveries SET status = ?, attempts = ?", (status, attempts))


def budget(db: Database) -> list[tuple[str, str, int, int]]:
    with sqlite3.connect(db.path) as conn:
        return conn.execute(
            "SELECT handler, status, attempts, retry_base FROM deliveries ORDER BY handler"
        ).fetchall()


async def thing(db: Database) -> int:
    return await db.write(lambda tx: emit(tx, "thing", {}).seq)


async def test_retry_makes_a_dead_delivery_due_with_a_fresh_budget(db: Database) -> None:
    seq = await thing(db)
    set_status(db, "DEAD")
    row = await db.write(lambda tx: delivery_commands.retry(tx, seq, "a"))
    assert row.status is DeliveryStatus.PENDING
    assert budget(db) == [("a", "PENDING", 3, 3), ("b", "DEAD", 3, 0)]


@pytest.mark.parametrize("status", ["SUCCEEDED", "RUNNING"])
async def test_retry_refuses_a_delivery_that_has_not_failed(db: Database, status: str) -> None:
    seq = await thing(db)
    set_status(db, status)
    with pytest.raises(InvalidTransition):
        await db.write(lambda tx: delivery_commands.retry(tx, seq, "a"))
    assert budget(db)[0][1] == status


async def test_retry_dead_counts_only_dead_ones_of_that_handler(db: Database) -> None:
    await thing(db)
    await thing(db)
    set_status(db, "DEAD")
    assert await db.write(lambda tx: delivery_commands.retry_dead(tx, "a")) == 2
    assert await db.write(lambda tx: delivery_commands.retry_dead(tx, "a")) == 0
    assert {row[1] for row in budget(db) if row[0] == "b"} == {"DEAD"}


async def test_replay_checks_names_and_writes_a_missing_delivery(db: Database) -> None:
    seq = await thing(db)
    set_status(db, "SUCCEEDED")
    with pytest.raises(BadUserInput, match="does not handle thing"):
        await db.write(lambda tx: delivery_commands.replay(tx, REGISTRY, seq, ["c"]))
    with pytest.raises(NotFound):
        await db.write(lambda tx: delivery_commands.replay(tx, REGISTRY, seq, ["zed"]))
    with pytest.raises(NotFound):
        await db.write(lambda tx: delivery_commands.replay(tx, REGISTRY, seq + 1, None))
    with sqlite3.connect(db.path) as conn:
        conn.execute("DELETE FROM deliveries WHERE handler = 'b'")
    rows = await db.write(lambda tx: delivery_commands.replay(tx, REGISTRY, seq, None))
    assert [(r.handler, r.status) for r in rows] == [
        ("a", DeliveryStatus.PENDING),
        ("b", DeliveryStatus.PENDING),
    ]


async def test_a_failed_unit_changes_nothing(db: Database) -> None:
    seq = await thing(db)
    set_status(db, "RUNNING")
    before = budget(db)

    def replay_all(tx: Tx) -> None:
        delivery_commands.replay(tx, REGISTRY, seq, ["a", "b"])

    with pytest.raises(InvalidTransition, match="right now"):
        await db.write(replay_all)
    assert budget(db) == before
