"""Ticket times: how long the kitchen took, paid to ready, over a recent window."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.sql_blocks import SQL

WINDOW = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class TicketTimes:
    count: int  # orders made ready in the window
    average_seconds: float | None  # None when there were none


def last_hour(conn: sqlite3.Connection, now: datetime) -> TicketTimes:
    """The orders made ready in the hour before ``now``: from each one's payment to ready."""
    row = conn.execute(SQL.ticket_times, {"since": (now - WINDOW).isoformat()}).fetchone()
    return TicketTimes(count=row["count"], average_seconds=row["average_seconds"])
