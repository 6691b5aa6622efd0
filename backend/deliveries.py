"""What staff can do about deliveries, as units of work: retry, replay, pause.

Each makes deliveries due now (``PENDING``) with a fresh attempt budget; the history
of attempts is kept. The runner wraps them and wakes itself afterwards.
"""

from __future__ import annotations

import time

from backend.database import Tx
from backend.errors import BadUserInput, InvalidTransition, NotFound
from backend.events import DeliveryRow, get_delivery, get_event
from backend.outbox import log_change
from backend.queries import SQL
from backend.registry import Registry
from backend.status import DeliveryStatus
from handlers.sdk import HandlerDefinition


def check_handler(registry: Registry, name: str) -> HandlerDefinition:
    definition = registry.get(name)
    if definition is None:
        known = ", ".join(d.name for d in registry)
        raise NotFound(f"there is no handler {name!r}; handlers are: {known}", field="handler")
    return definition


def make_due(tx: Tx, event_seq: int, handler: str) -> DeliveryRow:
    """Any state but RUNNING -> PENDING, due now, with a fresh attempt budget."""
    tx.execute(SQL.make_due, {"event_seq": event_seq, "handler": handler, "now": time.time()})
    event = get_event(tx.conn, event_seq)
    row = get_delivery(tx.conn, event_seq, handler)
    assert event is not None and row is not None
    log_change(tx, event)
    return row


def retry(tx: Tx, event_seq: int, handler: str) -> DeliveryRow:
    """A failed or waiting delivery, due now."""
    row = get_delivery(tx.conn, event_seq, handler)
    if row is None:
        raise NotFound(f"event {event_seq} has no delivery to {handler}", field="eventSeq")
    if row.status in (DeliveryStatus.SUCCEEDED, DeliveryStatus.RUNNING):
        raise InvalidTransition(
            f"the delivery of event {event_seq} to {handler} is {row.status.value}; "
            "only a failed or waiting delivery can be retried (use replayEvent to "
            "run a succeeded one again)"
        )
    return make_due(tx, event_seq, handler)


def retry_dead(tx: Tx, handler: str) -> int:
    """Every DEAD delivery of ``handler``, due now; how many."""
    seqs = [row[0] for row in tx.execute(SQL.dead_of_handler, {"handler": handler})]
    for seq in seqs:
        make_due(tx, seq, handler)
    return len(seqs)


def replay(
    tx: Tx, registry: Registry, event_seq: int, handlers: list[str] | None
) -> list[DeliveryRow]:
    """An event delivered again to ``handlers`` (None: all that take its type)."""
    event = get_event(tx.conn, event_seq)
    if event is None:
        raise NotFound(f"there is no event {event_seq}", field="eventSeq")
    subscribed = tx.subscribers.get(event.type, ())
    names = list(subscribed) if handlers is None else handlers
    for name in names:
        check_handler(registry, name)
        if name not in subscribed:
            raise BadUserInput(
                f"{name} does not handle {event.type} events; its handlers are: "
                f"{', '.join(subscribed) or 'none'}",
                field="handlers",
            )
    replayed = []
    for name in names:
        row = get_delivery(tx.conn, event_seq, name)
        if row is not None and row.status is DeliveryStatus.RUNNING:
            raise InvalidTransition(
                f"event {event_seq} is being delivered to {name} right now; "
                "replay it once that attempt has finished"
            )
        if row is None:  # a handler added after the event was written
            tx.execute(
                SQL.insert_delivery,
                {"event_seq": event_seq, "handler": name, "next_attempt_at": time.time()},
            )
            tx.execute(SQL.index_delivery, {"event_seq": event_seq, "handler": name})
        replayed.append(make_due(tx, event_seq, name))
    return replayed


def set_paused(tx: Tx, name: str, paused: bool) -> None:
    tx.execute(SQL.set_paused, {"name": name, "paused": int(paused)})
