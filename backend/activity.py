"""The handlers' figures over time: events and failed attempts per minute for up to a
day, and each handler's attempts since its first."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.errors import BadUserInput
from backend.sql_blocks import SQL

MAX_MINUTES = 24 * 60  # a day: what the Handlers tab's chart can show
FAILED_OUTCOMES = ("FAILED", "TIMED_OUT", "LOST")  # as failures_per_minute counts them


@dataclass(frozen=True, slots=True)
class Minute:
    start: datetime  # UTC, on the minute
    events: int  # events written in it
    failures: int  # attempts that failed, timed out or were lost in it


@dataclass(frozen=True, slots=True)
class Lifetime:
    attempts: int
    succeeded: int
    failed: int


def check_minutes(minutes: int) -> int:
    if not 1 <= minutes <= MAX_MINUTES:
        raise BadUserInput(
            f"minutes must be between 1 and {MAX_MINUTES} (a day); {minutes} was given",
            field="minutes",
        )
    return minutes


def per_minute(conn: sqlite3.Connection, minutes: int, now: datetime) -> list[Minute]:
    """The last ``minutes`` minutes up to the current one, oldest first, empty ones too."""
    last = now.replace(second=0, microsecond=0)
    starts = [last - timedelta(minutes=n) for n in range(minutes - 1, -1, -1)]
    since = {"since": _key(starts[0])}
    events = _counts(conn.execute(SQL.events_per_minute, since))
    failures = _counts(conn.execute(SQL.failures_per_minute, since))
    return [Minute(start, events[_key(start)], failures[_key(start)]) for start in starts]


def lifetimes(conn: sqlite3.Connection) -> dict[str, Lifetime]:
    """Per handler, from the counters the invocations' trigger keeps (migration 0004)."""
    outcomes: dict[str, Counter[str]] = {}
    for row in conn.execute(SQL.invocation_counts):
        outcomes.setdefault(row["handler"], Counter())[row["outcome"]] = row["n"]
    return {
        handler: Lifetime(
            attempts=sum(counts.values()),
            succeeded=counts["SUCCEEDED"],
            failed=sum(counts[outcome] for outcome in FAILED_OUTCOMES),
        )
        for handler, counts in outcomes.items()
    }


def _counts(rows: sqlite3.Cursor) -> Counter[str]:
    return Counter({row["minute"]: row["n"] for row in rows})


def _key(minute: datetime) -> str:
    """The minute as the first 16 characters of a stored ISO time."""
    return minute.isoformat()[:16]
