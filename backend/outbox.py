"""Writing events: the event row, its deliveries and its log entry, in the caller's unit."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from backend.database import Tx
from backend.events import EventRecord, LogEntry
from backend.ids import uuid7
from backend.sql_blocks import SQL


def emit(
    tx: Tx,
    event_type: str,
    payload: Mapping[str, Any],
    *,
    order_id: str | None = None,
    causation_id: str | None = None,
) -> EventRecord:
    """Append an event and fan it out to every subscribed handler, in ``tx``.

    ``event_type`` is a ``handlers.sdk.EventType`` with its payload ``TypedDict``
    (the outbox itself takes any type: the runner's tests write their own).
    Nothing leaves the process here: subscribers and the runner are woken only
    after the transaction commits, by the facts this adds to ``tx``.
    """
    event_id = uuid7()
    created_at = tx.now.isoformat()
    text = json.dumps(payload, separators=(",", ":"))
    seq: int = tx.scalar(
        SQL.insert_event,
        {
            "id": event_id,
            "type": event_type,
            "order_id": order_id,
            "payload": text,
            "created_at": created_at,
            "causation_id": causation_id,
        },
    )
    due = time.time()
    handlers = tx.subscribers.get(event_type, ())
    for handler in handlers:
        tx.execute(
            SQL.insert_delivery, {"event_seq": seq, "handler": handler, "next_attempt_at": due}
        )
    # Its search row, with its handlers' names, in one insert: an FTS5 row rewritten
    # for each delivery would cost a delete and a re-insert of all its words.
    tx.execute(
        SQL.index_event,
        {
            "seq": seq,
            "type": event_type,
            "order_id": order_id,
            "payload": text,
            "handlers": " ".join(handlers),
        },
    )
    event = EventRecord(
        seq, event_id, event_type, order_id, dict(payload), tx.now, causation_id, len(text)
    )
    tx.facts.append(event)
    log_change(tx, event)
    return event


def log_change(tx: Tx, event: EventRecord) -> None:
    """Note in the event log that ``event`` is new or one of its deliveries changed."""
    cursor: int = tx.scalar(SQL.append_event_log, {"event_seq": event.seq})
    tx.facts.append(LogEntry(cursor, event))
