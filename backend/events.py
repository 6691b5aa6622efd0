"""The append-only event log, its deliveries and their attempts, as plain rows."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from backend.search import narrowed
from backend.settings import MAX_PAGE
from backend.sql_blocks import SQL
from backend.states import DeliveryStatus


@dataclass(frozen=True, slots=True)
class EventRecord:
    seq: int
    id: str
    type: str
    order_id: str | None
    payload: dict[str, Any]
    created_at: datetime
    causation_id: str | None
    # Bytes of the payload as stored (its JSON, ASCII), known where the JSON is made or
    # read: a feed that keeps the record in memory estimates its cost from it
    # (notifier.event_size) without walking the payload.
    size: int


@dataclass(frozen=True, slots=True)
class LogEntry:
    """An event appended, or one whose deliveries changed; ``cursor`` orders them."""

    cursor: int
    event: EventRecord


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    event_seq: int
    handler: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: float | None
    last_error: str | None


@dataclass(frozen=True, slots=True)
class InvocationRow:
    event_seq: int
    handler: str
    attempt: int
    started_at: datetime
    duration_ms: float
    outcome: str
    error: str | None
    traceback: str | None


def event_from_row(row: sqlite3.Row) -> EventRecord:
    text = row["payload"]
    return EventRecord(
        seq=row["seq"],
        id=row["id"],
        type=row["type"],
        order_id=row["order_id"],
        payload=json.loads(text),
        created_at=datetime.fromisoformat(row["created_at"]),
        causation_id=row["causation_id"],
        size=len(text),
    )


def list_events(
    conn: sqlite3.Connection,
    *,
    after_seq: int = 0,
    before_seq: int | None = None,
    first: int = 100,
    type: str | None = None,
    order_id: str | None = None,
    delivery_status: DeliveryStatus | None = None,
    handler: str | None = None,
    search: str | None = None,
) -> list[EventRecord]:
    """Events in seq order (newest first with ``before_seq``) that pass every filter
    given; ``search`` is an FTS5 query over ``event_search`` (``search.fts_query``)."""
    if search is None:
        query = SQL.events_after if before_seq is None else SQL.events_before
    else:
        query = SQL.search_events_after if before_seq is None else SQL.search_events_before
        search = narrowed(search, type=type, handler=handler)
    rows = conn.execute(
        query,
        {
            "search": search,
            "after_seq": after_seq,
            "before_seq": before_seq,
            "limit": min(first, MAX_PAGE),
            "type": type,
            "order_id": order_id,
            "delivery_status": None if delivery_status is None else delivery_status.value,
            "handler": handler,
        },
    )
    return [event_from_row(row) for row in rows]


def page_after(conn: sqlite3.Connection, after_seq: int) -> list[EventRecord]:
    """The next page of events after ``after_seq``, of every kind.

    A feed's catch-up (notifier.tail) pages by the last item it got; a page that
    skipped some kinds could be empty while events of those kinds are stored, and the
    reader would ask for the same page again and again. The subscription filters.
    """
    rows = conn.execute(SQL.events_page_after, {"after_seq": after_seq, "limit": MAX_PAGE})
    return [event_from_row(row) for row in rows]


def events_of_order(conn: sqlite3.Connection, order_id: str) -> list[EventRecord]:
    return [
        event_from_row(row) for row in conn.execute(SQL.events_of_order, {"order_id": order_id})
    ]


def order_page_after(conn: sqlite3.Connection, order_id: str, after_seq: int) -> list[EventRecord]:
    """The next page of one order's events after ``after_seq``."""
    rows = conn.execute(
        SQL.order_events_after, {"order_id": order_id, "after_seq": after_seq, "limit": MAX_PAGE}
    )
    return [event_from_row(row) for row in rows]


def get_event(conn: sqlite3.Connection, seq: int) -> EventRecord | None:
    row = conn.execute(SQL.get_event, {"seq": seq}).fetchone()
    return None if row is None else event_from_row(row)


def log_after(conn: sqlite3.Connection, cursor: int) -> list[LogEntry]:
    rows = conn.execute(SQL.event_log_after, {"after_cursor": cursor, "limit": MAX_PAGE})
    return [LogEntry(row["cursor"], event_from_row(row)) for row in rows]


def deliveries_of(conn: sqlite3.Connection, seqs: list[int]) -> dict[int, list[DeliveryRow]]:
    found: dict[int, list[DeliveryRow]] = {seq: [] for seq in seqs}
    for row in conn.execute(SQL.deliveries_of_events, {"seqs": json.dumps(seqs)}):
        found[row["event_seq"]].append(delivery_from_row(row))
    return found


def delivery_from_row(row: sqlite3.Row) -> DeliveryRow:
    return DeliveryRow(
        event_seq=row["event_seq"],
        handler=row["handler"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
    )


def get_delivery(conn: sqlite3.Connection, event_seq: int, handler: str) -> DeliveryRow | None:
    row = conn.execute(SQL.get_delivery, {"event_seq": event_seq, "handler": handler}).fetchone()
    return None if row is None else delivery_from_row(row)


def invocations_of(
    conn: sqlite3.Connection, seqs: list[int]
) -> dict[tuple[int, str], list[InvocationRow]]:
    found: dict[tuple[int, str], list[InvocationRow]] = {}
    for row in conn.execute(SQL.invocations_of_deliveries, {"seqs": json.dumps(seqs)}):
        found.setdefault((row["event_seq"], row["handler"]), []).append(
            InvocationRow(
                event_seq=row["event_seq"],
                handler=row["handler"],
                attempt=row["attempt"],
                started_at=datetime.fromisoformat(row["started_at"]),
                duration_ms=row["duration_ms"],
                outcome=row["outcome"],
                error=row["error"],
                traceback=row["traceback"],
            )
        )
    return found


def last_seq(conn: sqlite3.Connection) -> int:
    value: int = conn.execute(SQL.last_event_seq).fetchone()[0]
    return value


def last_log_cursor(conn: sqlite3.Connection) -> int:
    value: int = conn.execute(SQL.last_log_cursor).fetchone()[0]
    return value


def last_seq_of_order(conn: sqlite3.Connection, order_id: str) -> int:
    value: int = conn.execute(SQL.last_seq_of_order, {"order_id": order_id}).fetchone()[0]
    return value


def holding_delivery(conn: sqlite3.Connection, event_seq: int, handler: str) -> int | None:
    """The earliest earlier event of the same order not yet delivered to ``handler``."""
    row = conn.execute(
        SQL.holding_delivery, {"event_seq": event_seq, "handler": handler}
    ).fetchone()
    return None if row is None else int(row[0])
