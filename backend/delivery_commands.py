"""What staff can do about deliveries: retry, replay, resolve, pause and resume handlers.

Retry and replay make deliveries due now (``PENDING``) with a fresh attempt budget,
each only from the statuses its row of ``DELIVERY_TRANSITIONS`` allows; the history
of attempts is kept. Resolve settles a DEAD delivery that must not run again
(``RESOLVED``), writing a ``delivery_resolved`` event with the reason in the same
transaction. The bulk commands act on every DEAD delivery matching a filter, capped
at :data:`MAX_BULK` a call. The functions are units of work on the writer;
:class:`DeliveryCommands` runs them for the API and tells the runner what may now be
due, and which handlers are paused.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from backend.database import Database, Tx
from backend.errors import BadUserInput, InvalidTransition, LimitExceeded, NotFound
from backend.events import DeliveryRow, get_delivery, get_event
from backend.notifier import Notifier
from backend.outbox import emit, log_change
from backend.registry import Registry
from backend.search import narrowed
from backend.settings import MAX_STRING_CHARS
from backend.sql_blocks import SQL
from backend.states import (
    DELIVERY_TRANSITIONS,
    DeliveryAction,
    DeliveryStatus,
    delivery_sources,
)
from handlers.sdk import DeliveryResolvedPayload, EventType, HandlerDefinition

T = TypeVar("T")

# The most deliveries one bulk command moves: one transaction holds the writer for
# all of them (resolving 10,000 took 1-2 s on a busy 2-core machine, retrying them
# 0.7-1.2 s), and a larger batch is more likely a filter that was not the one meant.
MAX_BULK = 10_000


@dataclass(frozen=True, slots=True)
class DeliveryFilter:
    """Which DEAD deliveries a bulk command acts on; None matches every value.
    ``search``: an FTS5 query over ``event_search`` (``search.fts_query``), as the event
    log's search finds events."""

    handler: str | None = None
    event_type: str | None = None
    order_id: str | None = None
    search: str | None = None

    def params(self, limit: int) -> dict[str, object]:
        return {
            "handler": self.handler,
            "type": self.event_type,
            "order_id": self.order_id,
            "search": None
            if self.search is None
            else narrowed(self.search, type=self.event_type, handler=self.handler),
            "limit": limit,
        }


@dataclass(frozen=True, slots=True)
class Resolution:
    """Who settled a RESOLVED delivery, why and when (from its delivery_resolved event)."""

    reason: str
    resolved_by: str
    resolved_at: datetime


class DeliveryCommands:
    """The staff commands on deliveries and handlers, as the API calls them.

    Built before the runner (the API's services hold it, and the runner's handlers
    call the API), the runner then listens to it: :attr:`paused` is the set it
    skips, and every command that may make deliveries due calls its listeners.
    """

    def __init__(self, db: Database, notifier: Notifier, registry: Registry) -> None:
        self.db = db
        self.notifier = notifier
        self.registry = registry
        self.paused: set[str] = set()  # changed in place: the runner holds this set
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` whenever deliveries may have become due (the runner's wake)."""
        self._listeners.append(listener)

    async def load_paused(self) -> None:
        """Read which handlers are paused (kept across restarts)."""
        paused = await self.db.read(
            lambda conn: {row[0] for row in conn.execute(SQL.paused_handlers)}
        )
        self.paused.clear()
        self.paused.update(paused)

    def _due(self) -> None:
        for listener in self._listeners:
            listener()

    async def _act(self, unit: Callable[[Tx], T]) -> T:
        result = await self.db.write(unit)
        self._due()
        return result

    async def retry_delivery(self, event_seq: int, handler: str) -> DeliveryRow:
        """Make one failed (or waiting) delivery due now, with a fresh attempt budget."""
        check_handler(self.registry, handler)
        return await self._act(lambda tx: retry(tx, event_seq, handler))

    async def retry_dead(self, handler: str) -> int:
        """Make every DEAD delivery of ``handler`` due now; how many there were."""
        check_handler(self.registry, handler)
        return await self._act(lambda tx: retry_dead(tx, handler))

    async def replay_event(self, event_seq: int, handlers: list[str] | None) -> list[DeliveryRow]:
        """Deliver an event again (also a succeeded delivery) to some or all of its handlers."""
        return await self._act(lambda tx: replay(tx, self.registry, event_seq, handlers))

    async def resolve_delivery(
        self, event_seq: int, handler: str, reason: str, by: str
    ) -> DeliveryRow:
        """Settle one DEAD delivery that must not run again; ``by`` is the role."""
        check_handler(self.registry, handler)
        text = check_reason(reason)
        # _act: an ordered handler's later deliveries of that order may now be due.
        return await self._act(lambda tx: resolve(tx, event_seq, handler, text, by))

    async def resolve_matching(self, matching: DeliveryFilter, reason: str, by: str) -> int:
        """Settle every DEAD delivery ``matching`` the filter; how many."""
        self._check_filter(matching)
        text = check_reason(reason)
        return await self._act(lambda tx: resolve_matching(tx, matching, text, by))

    async def retry_matching(self, matching: DeliveryFilter) -> int:
        """Make every DEAD delivery ``matching`` the filter due now; how many."""
        self._check_filter(matching)
        return await self._act(lambda tx: retry_matching(tx, matching))

    async def count_dead(self, matching: DeliveryFilter) -> int:
        """How many DEAD deliveries match (what a bulk command would act on)."""
        self._check_filter(matching)
        return await self.db.read(
            lambda conn: int(
                conn.execute(SQL.count_dead_matching, matching.params(0)).fetchone()[0]
            )
        )

    def _check_filter(self, matching: DeliveryFilter) -> None:
        if matching.handler is not None:
            check_handler(self.registry, matching.handler)

    async def set_paused(self, name: str, paused: bool) -> None:
        check_handler(self.registry, name)
        await self.db.write(lambda tx: set_paused(tx, name, paused))
        if paused:
            self.paused.add(name)
        else:
            self.paused.discard(name)
            self._due()
        self.notifier.handlers_changed()


def check_handler(registry: Registry, name: str) -> HandlerDefinition:
    definition = registry.get(name)
    if definition is None:
        known = ", ".join(d.name for d in registry)
        raise NotFound(f"there is no handler {name!r}; handlers are: {known}", field="handler")
    return definition


def make_due(tx: Tx, event_seq: int, handler: str, action: DeliveryAction) -> DeliveryRow:
    """The delivery moved by staff ``action`` (RETRY, REPLAY): PENDING, due now, with a
    fresh attempt budget."""
    tx.execute(
        SQL.make_due,
        {
            "event_seq": event_seq,
            "handler": handler,
            "now": time.time(),
            "sources": json.dumps(delivery_sources(action)),
        },
    )
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
    if row.status not in DELIVERY_TRANSITIONS[DeliveryAction.RETRY].sources:
        raise InvalidTransition(
            f"the delivery of event {event_seq} to {handler} is {row.status.value}; "
            "only a failed or waiting delivery can be retried (use replayEvent to "
            "run a succeeded one again)"
        )
    return make_due(tx, event_seq, handler, DeliveryAction.RETRY)


def retry_dead(tx: Tx, handler: str) -> int:
    """Every DEAD delivery of ``handler``, due now; how many."""
    seqs = [row[0] for row in tx.execute(SQL.dead_of_handler, {"handler": handler})]
    for seq in seqs:
        make_due(tx, seq, handler, DeliveryAction.RETRY)
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
    rule = DELIVERY_TRANSITIONS[DeliveryAction.REPLAY]
    replayed = []
    for name in names:
        row = get_delivery(tx.conn, event_seq, name)
        if row is not None and row.status not in rule.sources:
            raise InvalidTransition(_no_replay(event_seq, name, row.status))
        if row is None:  # a handler added after the event was written
            tx.execute(
                SQL.insert_delivery,
                {"event_seq": event_seq, "handler": name, "next_attempt_at": time.time()},
            )
            tx.execute(SQL.index_delivery, {"event_seq": event_seq, "handler": name})
        replayed.append(make_due(tx, event_seq, name, DeliveryAction.REPLAY))
    return replayed


def _no_replay(event_seq: int, name: str, status: DeliveryStatus) -> str:
    if status is DeliveryStatus.RUNNING:
        return (
            f"event {event_seq} is being delivered to {name} right now; "
            "replay it once that attempt has finished"
        )
    allowed = ", ".join(sorted(s for s in DELIVERY_TRANSITIONS[DeliveryAction.REPLAY].sources if s))
    return (
        f"the delivery of event {event_seq} to {name} is {status.value}; "
        f"only a delivery that is {allowed} can be replayed"
    )


MAX_TERMINAL_CHARS = 64  # a host or station name, not a note


def resolver(role: str, terminal: str | None) -> str:
    """Who resolves: the caller's role, and the terminal it names (its host name), so
    that a resolution says which screen it came from; one staff token is shared."""
    if terminal is None:
        return role
    name = terminal.strip()
    if not name or len(name) > MAX_TERMINAL_CHARS or not name.isprintable():
        raise BadUserInput(
            f"terminal must be a name of 1 to {MAX_TERMINAL_CHARS} printable characters "
            "(this computer's host name, say), or left out",
            field="terminal",
        )
    return f"{role} at {name}"


def check_reason(reason: str) -> str:
    if len(reason) > MAX_STRING_CHARS:
        raise BadUserInput(
            f"reason is {len(reason)} characters long; shorten it to {MAX_STRING_CHARS} or fewer",
            field="reason",
        )
    text = reason.strip()
    if not text:
        raise BadUserInput(
            "say why the delivery must not run again (reason is empty)", field="reason"
        )
    return text


def resolve(tx: Tx, event_seq: int, handler: str, reason: str, by: str) -> DeliveryRow:
    """A DEAD delivery, RESOLVED, with its delivery_resolved event."""
    row = get_delivery(tx.conn, event_seq, handler)
    if row is None:
        raise NotFound(f"event {event_seq} has no delivery to {handler}", field="eventSeq")
    if row.status not in DELIVERY_TRANSITIONS[DeliveryAction.RESOLVE].sources:
        raise InvalidTransition(
            f"the delivery of event {event_seq} to {handler} is {row.status.value}; "
            "only a DEAD delivery can be resolved"
        )
    return _resolve(tx, event_seq, handler, reason, by)


def _resolve(tx: Tx, event_seq: int, handler: str, reason: str, by: str) -> DeliveryRow:
    tx.execute(SQL.resolve_delivery, {"event_seq": event_seq, "handler": handler})
    payload: DeliveryResolvedPayload = {
        "eventSeq": event_seq,
        "handler": handler,
        "reason": reason,
        "resolvedBy": by,
    }
    emit(tx, EventType.DELIVERY_RESOLVED, payload)
    event = get_event(tx.conn, event_seq)
    row = get_delivery(tx.conn, event_seq, handler)
    assert event is not None and row is not None
    log_change(tx, event)  # the resolved event's row in the log shows the new status
    return row


def _dead_matching(tx: Tx, matching: DeliveryFilter) -> list[tuple[int, str]]:
    rows = tx.execute(SQL.dead_matching, matching.params(MAX_BULK + 1)).fetchall()
    if len(rows) > MAX_BULK:
        raise LimitExceeded(
            f"more than {MAX_BULK} dead deliveries match; narrow the filter (handler, "
            "event type, order or search) and act on each part",
            field="filter",
        )
    return [(row[0], row[1]) for row in rows]


def resolve_matching(tx: Tx, matching: DeliveryFilter, reason: str, by: str) -> int:
    """Every DEAD delivery matching the filter, RESOLVED, each with its own event (so
    each delivery's resolution is found, and read, like a single one's); how many."""
    found = _dead_matching(tx, matching)
    for seq, handler in found:
        _resolve(tx, seq, handler, reason, by)
    return len(found)


def retry_matching(tx: Tx, matching: DeliveryFilter) -> int:
    """Every DEAD delivery matching the filter, due now; how many."""
    found = _dead_matching(tx, matching)
    for seq, handler in found:
        make_due(tx, seq, handler, DeliveryAction.RETRY)
    return len(found)


def resolutions_of(conn: sqlite3.Connection, seqs: list[int]) -> dict[tuple[int, str], Resolution]:
    """The resolution of each resolved delivery of the events ``seqs``, by (seq, handler)."""
    found: dict[tuple[int, str], Resolution] = {}
    for row in conn.execute(SQL.resolutions_of, {"seqs": json.dumps(seqs)}):
        payload = json.loads(row["payload"])
        found[(row["event_seq"], row["handler"])] = Resolution(  # the latest wins
            reason=payload["reason"],
            resolved_by=payload["resolvedBy"],
            resolved_at=datetime.fromisoformat(row["created_at"]),
        )
    return found


def set_paused(tx: Tx, name: str, paused: bool) -> None:
    tx.execute(SQL.set_paused, {"name": name, "paused": int(paused)})
