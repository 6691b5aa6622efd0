"""The event log's search and the handlers' day figures over a year of history.

Seeds ``COUNT`` events (500,000: a year at ~1,400 a day) through the outbox's own
``emit`` (``tests/ui/seed.py``: realistic order payloads, so the search index is
written as the backend writes it), spreads their times over a year, and adds one
attempt per delivery (the 0.4 % dead ones failed, with an error) through the same
INSERT the runner uses, so the invocations' triggers index errors and count outcomes.
Then, on a reader connection as the API's resolvers use it: ``events(search:)``
pages of several kinds, the lifetime totals from their counters against a COUNT over
the invocations, and ``handlerActivity`` for an hour and a day.

Run alone: ``python -m bench.search`` (``python -m bench.search 100000``).
"""

from __future__ import annotations

import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TypeVar

from backend import activity, events
from backend.search import fts_query
from backend.states import DeliveryStatus
from bench.common import Figure, percentile, run_section, temp_dir

T = TypeVar("T")
TITLE = "Event log search and handler figures over a year (500,000 events)"
COUNT = 500_000
RUNS = 20
YEAR_SECONDS = 365 * 24 * 3600
TARGET_MS = 100.0

# A year of history, as bench-only SQL on the seeded file (no such statement exists in
# the backend: events are append-only).
SPREAD_SQL = """
UPDATE events SET created_at =
    strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now', '-' || ((:count - seq) * :step) || ' seconds')
"""
ATTEMPTS_SQL = """
INSERT INTO invocations (event_seq, handler, attempt, started_at, duration_ms, outcome, error)
SELECT d.event_seq, d.handler, 1, e.created_at, 12.5,
       CASE d.status WHEN 'DEAD' THEN 'FAILED' ELSE 'SUCCEEDED' END,
       CASE d.status WHEN 'DEAD' THEN 'PrinterOffline: kitchen printer ' || d.event_seq
                     || ' did not answer' END
FROM deliveries d JOIN events e ON e.seq = d.event_seq
"""
COUNT_SQL = "SELECT handler, outcome, count(*) FROM invocations GROUP BY handler, outcome"


def _timed(action: Callable[[], T]) -> tuple[float, T]:
    times = []
    result = action()  # warm: the first read of a page of the file
    for _ in range(RUNS):
        started = time.perf_counter()
        result = action()
        times.append((time.perf_counter() - started) * 1000)
    return percentile(times, 50), result


def _seed(db_path: Path, count: int) -> float:
    from tests.ui.seed import seed_events

    started = time.perf_counter()
    seed_events(db_path, count)
    with sqlite3.connect(db_path) as conn:
        conn.execute(SPREAD_SQL, {"count": count, "step": YEAR_SECONDS // count})
        conn.execute(ATTEMPTS_SQL)
    return time.perf_counter() - started


@dataclass(frozen=True, slots=True)
class Search:
    name: str
    text: str
    before_seq: int = 2**31 - 1  # the newest page
    type: str | None = None
    status: DeliveryStatus | None = None


def _searches(conn: sqlite3.Connection, count: int) -> list[Figure]:
    middle = count // 2
    cases = [
        Search("a customer's name, newest page", f"guest {middle}"),
        # The seeded events belong to no order: a long number finds them by their payload.
        Search("a number of 6 digits", f"{middle}"),
        Search("a word in every event, newest page", "margherita"),
        Search("a prefix in every event, page at mid-history", "marg", before_seq=middle),
        Search("a handler's error (0.4 %), newest page", "printeroffline"),
        Search("an error word with a type filter (none)", "printer", type="order_cancelled"),
        Search("a word found nowhere", "zanzibar"),
        # The type is asked of the index too (search.narrowed).
        Search("a word in every event, a 1 % type", "margherita", type="order_cancelled"),
        Search("a word in every event, a type none has", "margherita", type="order_rejected"),
        # A status is not in the index: every match of the word is checked (worst case).
        Search(
            "a word in every event, a status none has",
            "margherita",
            status=DeliveryStatus.RETRYING,
        ),
    ]
    figures = []
    for case in cases:
        page = partial(
            events.list_events,
            conn,
            before_seq=case.before_seq,
            first=200,
            type=case.type,
            delivery_status=case.status,
            search=fts_query(case.text),
        )
        ms, found = _timed(page)
        figures.append(
            Figure(
                f"search: {case.name}",
                ms,
                "ms",
                f"< {TARGET_MS:.0f} ms",
                ms < TARGET_MS,
                note=f"{case.text!r}: {len(found)} on the page, p50 of {RUNS}",
            )
        )
    return figures


def _figures(conn: sqlite3.Connection) -> list[Figure]:
    count_ms, _ = _timed(lambda: conn.execute(COUNT_SQL).fetchall())
    kept_ms, _ = _timed(lambda: activity.lifetimes(conn))
    now = datetime.now(UTC)
    hour_ms, _ = _timed(lambda: activity.per_minute(conn, 60, now))
    day_ms, _ = _timed(lambda: activity.per_minute(conn, activity.MAX_MINUTES, now))
    attempts = conn.execute("SELECT count(*) FROM invocations").fetchone()[0]
    return [
        Figure(
            "lifetime totals: COUNT over invocations",
            count_ms,
            "ms",
            note=f"{attempts:,} attempts, GROUP BY handler, outcome",
        ),
        Figure(
            "lifetime totals: invocation_counts",
            kept_ms,
            "ms",
            "< 5 ms",
            kept_ms < 5,
            note="what Handler.lifetime reads",
        ),
        Figure("handlerActivity: last hour", hour_ms, "ms", "< 50 ms", hour_ms < 50),
        Figure("handlerActivity: a day (1,440 min)", day_ms, "ms", "< 100 ms", day_ms < 100),
    ]


def run(count: int = COUNT) -> list[Figure]:
    with temp_dir() as folder:
        db_path = Path(folder) / "passline.db"
        seeded = _seed(db_path, count)
        size_mb = db_path.stat().st_size / 2**20
        conn = sqlite3.connect(db_path)
        conn.row_factory = sqlite3.Row
        index_mb = (
            conn.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'event_search%'"
            ).fetchone()[0]
            or 0
        ) / 2**20
        try:
            figures = _searches(conn, count) + _figures(conn)
        finally:
            conn.close()
    return [
        Figure(f"seed {count:,} events and their attempts", seeded, "s"),
        Figure("database size", size_mb, "MiB", note=f"of which the search index {index_mb:.0f}"),
        *figures,
    ]


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else COUNT
    run_section(TITLE, lambda: run(count))


if __name__ == "__main__":
    main(sys.argv[1:])
