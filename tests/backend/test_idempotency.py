"""Idempotency keys: the first result of a key, nothing written again, no key for two requests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend.database import Database, Tx
from backend.errors import BadUserInput
from backend.idempotency import Codec, once
from tests.backend.pipeline_store import open_db, rows

NUMBER = Codec[int](dump=lambda n: {"n": n}, load=lambda stored: int(stored["n"]))


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    async with open_db(db_path) as database:
        yield database


class Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.calls


async def run(
    db: Database, work: Counter, key: str | None, request: dict[str, str] | None = None
) -> int:
    def unit(tx: Tx) -> int:
        return once(tx, "count", key, work, NUMBER, request=request)

    return await db.write(unit)


async def test_without_a_key_the_work_runs_every_time(db: Database) -> None:
    work = Counter()
    assert [await run(db, work, None) for _ in range(3)] == [1, 2, 3]
    assert rows(db, "SELECT count(*) FROM idempotency_keys") == [(0,)]


async def test_a_used_key_returns_the_first_result_without_running_the_work(db: Database) -> None:
    work = Counter()
    assert await run(db, work, "k", {"orderId": "o1"}) == 1
    assert await run(db, work, "k", {"orderId": "o1"}) == 1
    assert await run(db, work, "other", {"orderId": "o1"}) == 2
    assert work.calls == 2
    assert rows(db, "SELECT operation, key FROM idempotency_keys ORDER BY key") == [
        ("count", "k"),
        ("count", "other"),
    ]


async def test_a_key_used_for_another_request_is_refused(db: Database) -> None:
    work = Counter()
    await run(db, work, "k", {"orderId": "o1"})
    with pytest.raises(BadUserInput, match="already used for count") as caught:
        await run(db, work, "k", {"orderId": "o2"})
    assert caught.value.field == "idempotencyKey"
    assert work.calls == 1


async def test_work_that_fails_leaves_the_key_unused(db: Database) -> None:
    def fail() -> int:
        raise BadUserInput("no")

    with pytest.raises(BadUserInput):
        await db.write(lambda tx: once(tx, "count", "k", fail, NUMBER))
    assert await run(db, Counter(), "k") == 1
