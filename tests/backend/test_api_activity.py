"""The handlers' figures over time, over the real API: per minute for a day, lifetime."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from backend.database import Tx
from backend.embedded import Backend
from backend.outbox import emit
from backend.registry import Registry
from backend.sql_blocks import SQL
from handlers.sdk import Context, Event, HandlerDefinition, PermanentError
from tests.backend._api import refusal
from tests.conftest import running
from tests.graphql_client import GraphQLHTTP

FAILING: set[str] = set()


async def printer(event: Event, ctx: Context) -> None:
    if event.order_id in FAILING:
        raise PermanentError("the printer is out of paper")


REGISTRY = Registry([HandlerDefinition("printer", ("order_placed",), printer, max_attempts=1)])
ACTIVITY = "query($minutes: Int!) { handlerActivity(minutes: $minutes) { minute events failures } }"
LIFETIME = "{ handlers { name lifetime { attempts succeeded failed } } }"
PAST_TIME = "UPDATE events SET created_at = :at WHERE seq = :seq"  # seeding only


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    FAILING.clear()
    with running(db_path, REGISTRY) as server:
        yield server


def seed(backend: Backend, events: list[datetime], attempts: list[tuple[datetime, str]]) -> None:
    """Events written at ``events`` and attempts of the first one's "seeded" delivery,
    as (started at, outcome), straight into the database (no handler runs them)."""

    def unit(tx: Tx) -> None:
        inner = Tx(tx.conn, {"seeded": ("seeded",)})  # its facts reach no one
        seqs = [emit(inner, "seeded", {"n": n}).seq for n in range(len(events))]
        for seq, at in zip(seqs, events, strict=True):
            tx.execute(PAST_TIME, {"seq": seq, "at": at.isoformat()})
        for attempt, (at, outcome) in enumerate(attempts, start=1):
            tx.execute(
                SQL.insert_invocation,
                {
                    "event_seq": seqs[0],
                    "handler": "seeded",
                    "attempt": attempt,
                    "started_at": at.isoformat(),
                    "duration_ms": 1.0,
                    "outcome": outcome,
                    "error": None if outcome == "SUCCEEDED" else "seeded",
                    "traceback": None,
                },
            )

    backend.call(backend.db.write(unit), timeout=10)


async def activity(staff: GraphQLHTTP, minutes: int) -> dict[datetime, dict[str, Any]]:
    data = await staff.data(ACTIVITY, {"minutes": minutes})
    return {datetime.fromisoformat(m["minute"]): m for m in data["handlerActivity"]}


async def test_events_and_failures_are_counted_by_the_minute(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    minute = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    before = minute - timedelta(seconds=0.5)  # the end of the minute before
    hours_ago = minute - timedelta(hours=5)
    seed(
        backend,
        [
            minute,
            minute + timedelta(seconds=30),
            minute + timedelta(seconds=59.9),
            before,
            hours_ago,
        ],
        [
            (minute + timedelta(seconds=1), "FAILED"),
            (minute + timedelta(seconds=2), "TIMED_OUT"),
            (minute + timedelta(seconds=3), "SUCCEEDED"),
            (minute + timedelta(seconds=4), "INTERRUPTED"),
            (before, "LOST"),
        ],
    )
    hour = await activity(staff, 60)
    starts = list(hour)
    assert len(starts) == 60
    assert all(b - a == timedelta(minutes=1) for a, b in pairwise(starts))
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    assert starts[-1] in (now, now - timedelta(minutes=1))  # the minute may have turned
    assert hour[minute] == {"minute": hour[minute]["minute"], "events": 3, "failures": 2}
    earlier = minute - timedelta(minutes=1)
    assert (hour[earlier]["events"], hour[earlier]["failures"]) == (1, 1)
    assert sum(m["events"] for m in hour.values()) == 4  # not the one five hours ago
    day = await activity(staff, 1440)
    assert len(day) == 1440
    assert day[hours_ago.replace(second=0, microsecond=0)]["events"] == 1
    assert sum(m["events"] for m in day.values()) == 5


@pytest.mark.parametrize("minutes", [0, -5, 1441, 100_000])
async def test_more_than_a_day_is_refused(staff: GraphQLHTTP, minutes: int) -> None:
    extensions = await refusal(staff, staff, ACTIVITY, {"minutes": minutes})
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["field"] == "minutes"


async def test_a_handler_counts_its_attempts_for_life(staff: GraphQLHTTP) -> None:
    async def lifetime() -> dict[str, int]:
        data = await staff.data(LIFETIME)
        found: dict[str, int] = data["handlers"][0]["lifetime"]
        return found

    async def until(wanted: dict[str, int]) -> None:
        deadline = time.monotonic() + 10
        while (counted := await lifetime()) != wanted:
            assert time.monotonic() < deadline, counted
            await asyncio.sleep(0.01)

    replay = 'mutation { replayEvent(eventSeq: 1, handlers: ["printer"]) { status } }'
    assert await lifetime() == {"attempts": 0, "succeeded": 0, "failed": 0}
    order_id = (await staff.place())["order"]["id"]
    await until({"attempts": 1, "succeeded": 1, "failed": 0})
    FAILING.add(order_id)
    await staff.data(replay)
    await until({"attempts": 2, "succeeded": 1, "failed": 1})
    FAILING.clear()
    await staff.data(replay)
    await until({"attempts": 3, "succeeded": 2, "failed": 1})
