"""Idempotency keys: the first result of a key, nothing written again, no key for two
requests, and a key only ever its own caller's."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend.auth import HANDLER, PUBLIC, STAFF, Principal, Role
from backend.database import Database, Tx
from backend.errors import BadUserInput
from backend.idempotency import Codec, IdempotencyKey, once
from backend.sql_blocks import migrations
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
    db: Database,
    work: Counter,
    key: str | None,
    request: dict[str, str] | None = None,
    caller: Principal = STAFF,
) -> int:
    scoped = IdempotencyKey.of(caller, key)

    def unit(tx: Tx) -> int:
        return once(tx, "count", scoped, work, NUMBER, request=request or {})

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
    assert rows(db, "SELECT scope, operation, key FROM idempotency_keys ORDER BY key") == [
        ("staff", "count", "k"),
        ("staff", "count", "other"),
    ]


async def test_a_key_used_for_another_request_is_refused(db: Database) -> None:
    work = Counter()
    await run(db, work, "k", {"orderId": "o1"})
    with pytest.raises(BadUserInput, match="already used for a different count request") as caught:
        await run(db, work, "k", {"orderId": "o2"})
    assert caught.value.field == "idempotencyKey"
    assert work.calls == 1


async def test_work_that_fails_leaves_the_key_unused(db: Database) -> None:
    def fail() -> int:
        raise BadUserInput("no")

    with pytest.raises(BadUserInput):
        await db.write(
            lambda tx: once(tx, "count", IdempotencyKey.of(STAFF, "k"), fail, NUMBER, request={})
        )
    assert await run(db, Counter(), "k") == 1


async def test_the_same_key_from_another_caller_is_another_key(db: Database) -> None:
    work = Counter()
    callers = [STAFF, PUBLIC, HANDLER, customer("o1"), customer("o2")]
    results = [await run(db, work, "k", {"orderId": "o1"}, caller) for caller in callers]
    assert results == [1, 2, 3, 4, 5]
    again = [await run(db, work, "k", {"orderId": "o1"}, caller) for caller in callers]
    assert again == results
    # Another caller's request is not this caller's: a different request is still a
    # new key for a caller that has not used it.
    assert await run(db, work, "k", {"orderId": "o2"}, Principal(Role.CUSTOMER, "o3")) == 6


def customer(order_id: str) -> Principal:
    return Principal(Role.CUSTOMER, order_id=order_id)


def test_the_scope_is_the_role_and_the_identity_it_has() -> None:
    assert IdempotencyKey.of(STAFF, "k") == IdempotencyKey("staff", "k")
    assert IdempotencyKey.of(HANDLER, "k") == IdempotencyKey("handler", "k")
    # Anonymous callers have no identity: every kiosk is the same caller.
    assert IdempotencyKey.of(PUBLIC, "k") == IdempotencyKey("public", "k")
    assert IdempotencyKey.of(customer("o1"), "k") == IdempotencyKey("customer:o1", "k")
    assert IdempotencyKey.of(STAFF, None) is None


async def test_a_request_is_told_apart_by_every_argument_and_not_by_their_order(
    db: Database,
) -> None:
    work = Counter()
    first = {"orderId": "o1", "reason": "sold out"}
    assert await run(db, work, "k", first) == 1
    assert await run(db, work, "k", dict(reversed(first.items()))) == 1
    for other in ({"orderId": "o1"}, {"orderId": "o1", "reason": "sold out!"}):
        with pytest.raises(BadUserInput, match="idempotencyKey 'k' was already used"):
            await run(db, work, "k", other)
    assert work.calls == 1


# -- the upgrade from schema 2 ---------------------------------------------------------------


def schema_2(path: Path) -> None:
    """A database as Passline left it at schema 2, with a key of each kind."""
    with sqlite3.connect(path, isolation_level=None) as conn:
        for _number, script in migrations()[:2]:
            conn.executescript("BEGIN;\n" + script + "\nCOMMIT;")
        assert conn.execute("PRAGMA user_version").fetchone() == (2,)
        conn.executemany(
            "INSERT INTO idempotency_keys (operation, key, result, created_at) VALUES (?, ?, ?, ?)",
            [
                ("placeOrder", "shared-key-1", '{"orderId":"o-staff"}', "2026-01-01T00:00:00"),
                ("count", "ev-1:h", '{"n":7,"request":{"orderId":"o1"}}', "2026-01-01T00:00:00"),
            ],
        )
    conn.close()


async def test_an_existing_database_keeps_the_handlers_keys_and_drops_the_unowned_ones(
    db_path: Path,
) -> None:
    schema_2(db_path)
    async with open_db(db_path) as db:
        assert rows(db, "PRAGMA user_version") == [(len(migrations()),)]
        assert rows(db, "SELECT scope, operation, key, request, result FROM idempotency_keys") == [
            ("handler", "count", "ev-1:h", None, '{"n":7}')
        ]
        # A delivery retried across the upgrade still gets its first result.
        work = Counter()
        assert await run(db, work, "ev-1:h", {"orderId": "o1"}, HANDLER) == 7
        assert work.calls == 0
        # placeOrder's key could be anyone's: it is a new key now, for its caller.
        assert await run(db, work, "shared-key-1", {"orderId": "o1"}, PUBLIC) == 1
        stored = rows(db, "SELECT result FROM idempotency_keys WHERE scope = 'public'")
        assert json.loads(str(stored[0][0])) == {"n": 1}
