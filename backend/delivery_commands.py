"""What staff can do about deliveries: retry, replay, pause and resume handlers.

Retry and replay make deliveries due now (``PENDING``) with a fresh attempt budget,
each only from the statuses its row of ``DELIVERY_TRANSITIONS`` allows; the history
of attempts is kept. The functions are units of work on the writer;
:class:`DeliveryCommands` runs them for the API and tells the runner what may now be
due, and which handlers are paused.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TypeVar

from backend.database import Database, Tx
from backend.errors import BadUserInput, InvalidTransition, NotFound
from backend.events import DeliveryRow, get_delivery, get_event
from backend.notifier import Notifier
from backend.outbox import log_change
from backend.registry import Registry
from backend.sql_blocks import SQL
from backend.states import (
    DELIVERY_TRANSITIONS,
    DeliveryAction,
    DeliveryStatus,
    delivery_sources,
)
from handlers.sdk import HandlerDefinition

T = TypeVar("T")


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


def set_paused(tx: Tx, name: str, paused: bool) -> None:
    tx.execute(SQL.set_paused, {"name": name, "paused": int(paused)})
