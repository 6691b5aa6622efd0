"""ticketTimes over HTTP: the average time from payment to ready of the last hour's tickets."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from backend.embedded import Backend
from tests.backend._api import refusal, without_handlers
from tests.backend.test_api_recall import READY, RECALL, in_kitchen
from tests.graphql_client import GraphQLHTTP

TIMES = "{ ticketTimes { count averageSeconds } }"


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    yield from without_handlers(db_path)


def backdate(db_path: Path, order_id: str, event_type: str, at: datetime) -> None:
    """Move an order's events of one type to ``at``: the test's stand-in for waiting."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE events SET created_at = ? WHERE order_id = ? AND type = ?",
            (at.isoformat(), order_id, event_type),
        )
    conn.close()


async def ready_after(
    backend: Backend, staff: GraphQLHTTP, db_path: Path, seconds: float, ago: timedelta
) -> str:
    """An order paid ``seconds`` before it was made ready, ``ago`` before now."""
    order = await in_kitchen(backend, staff)
    await staff.data(READY, order)
    ready_at = datetime.now(UTC) - ago
    backdate(db_path, order["id"], "order_ready", ready_at)
    backdate(db_path, order["id"], "order_paid", ready_at - timedelta(seconds=seconds))
    return str(order["id"])


async def test_no_ticket_yet_has_no_average(staff: GraphQLHTTP) -> None:
    assert await staff.data(TIMES) == {"ticketTimes": {"count": 0, "averageSeconds": None}}


async def test_the_average_of_the_last_hour_paid_to_ready(
    backend: Backend, staff: GraphQLHTTP, db_path: Path
) -> None:
    await ready_after(backend, staff, db_path, 300, timedelta(minutes=5))
    await ready_after(backend, staff, db_path, 900, timedelta(minutes=50))
    await ready_after(backend, staff, db_path, 60, timedelta(hours=2))  # before the hour
    await in_kitchen(backend, staff)  # not ready yet
    times = (await staff.data(TIMES))["ticketTimes"]
    assert times["count"] == 2
    assert times["averageSeconds"] == pytest.approx(600, abs=0.01)


async def test_a_recalled_ticket_counts_once_to_its_last_bump(
    backend: Backend, staff: GraphQLHTTP, db_path: Path
) -> None:
    order_id = await ready_after(backend, staff, db_path, 120, timedelta(minutes=10))
    await staff.data(RECALL, {"id": order_id})
    await staff.data(READY, {"id": order_id})  # bumped again, now: paid 10 min + 2 min ago
    times = (await staff.data(TIMES))["ticketTimes"]
    assert times["count"] == 1
    assert times["averageSeconds"] == pytest.approx(720, abs=5)


async def test_a_customer_may_not_read_ticket_times(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    extensions = await refusal(staff, public, TIMES)
    assert extensions == {"code": "UNAUTHENTICATED"}
