"""What every resolver gets: the backend's services and the caller's principal."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from backend import events
from backend.api.by_version import ByVersion
from backend.api.streams import Streams
from backend.auth import Principal, Tokens
from backend.backup_scheduler import BackupScheduler
from backend.database import Database
from backend.delivery_commands import DeliveryCommands, Resolution, resolutions_of
from backend.events import DeliveryRow, InvocationRow
from backend.metrics import NO_OPERATION, OK, Metrics
from backend.notifier import Notifier
from backend.rate_limit import RateLimiter
from backend.registry import Registry

T = TypeVar("T")
# Events whose deliveries, attempts or resolutions are read on the loop's thread: a
# live subscription's one event (a keyed read of a few rows). A hop to a reader cost
# more: two turns of a busy loop, and the reader's Python taking the GIL from it.
# A page of the log (up to 100 events) still goes to a reader.
READ_NOW_EVENTS = 8


@dataclass(frozen=True, slots=True)
class Services:
    """The long-lived parts the API works with, shared by every request."""

    db: Database
    notifier: Notifier
    tokens: Tokens
    registry: Registry
    delivery_commands: DeliveryCommands | None = None
    backups: BackupScheduler | None = None
    phone_region: str | None = None  # for numbers given without their country code
    metrics: Metrics = field(default_factory=Metrics)
    # placeOrder by callers without the staff token, per client address (None: no limit).
    public_orders: RateLimiter | None = None
    # Shared subscription executions (api/streams.py); None: each runs its own.
    streams: Streams | None = None
    # The handlers' figures read once per commit for every handlerStats subscriber.
    handler_figures: ByVersion[Any] = field(default_factory=ByVersion)


@dataclass(slots=True)
class Context:
    services: Services
    principal: Principal
    request: Any = None
    response: Any = None
    connection_params: dict[str, object] | None = None
    # What an HTTP request ran and how it ended, for its metrics (a WebSocket
    # connection's context is shared by its operations: these say nothing there).
    operation_type: str = NO_OPERATION
    outcome: str = OK
    # The cursor of the item a subscription resolver yielded last (an event's seq, a
    # log entry's cursor), set before it yields: streams.py matches executions by it.
    # Each WebSocket operation has a context of its own, so it is the operation's.
    position: int | None = None
    # Made on first use (most operations load no deliveries), then batched per event
    # loop tick only (cache=False): a WebSocket connection lives long and must never
    # see stale delivery states.
    _deliveries: DataLoader[int, list[DeliveryRow]] | None = field(
        default=None, init=False, repr=False
    )
    _invocations: DataLoader[tuple[int, str], list[InvocationRow]] | None = field(
        default=None, init=False, repr=False
    )
    _resolutions: DataLoader[tuple[int, str], Resolution | None] | None = field(
        default=None, init=False, repr=False
    )

    @property
    def deliveries(self) -> DataLoader[int, list[DeliveryRow]]:
        if self._deliveries is None:
            db = self.services.db

            async def load(seqs: list[int]) -> list[list[DeliveryRow]]:
                found = await _by_seq(db, seqs, lambda conn: events.deliveries_of(conn, list(seqs)))
                return [found[seq] for seq in seqs]

            self._deliveries = DataLoader(load, cache=False)
        return self._deliveries

    @property
    def invocations(self) -> DataLoader[tuple[int, str], list[InvocationRow]]:
        if self._invocations is None:
            db = self.services.db

            async def load(keys: list[tuple[int, str]]) -> list[list[InvocationRow]]:
                seqs = sorted({seq for seq, _ in keys})
                found = await _by_seq(db, seqs, lambda conn: events.invocations_of(conn, seqs))
                return [found.get(key, []) for key in keys]

            self._invocations = DataLoader(load, cache=False)
        return self._invocations

    @property
    def resolutions(self) -> DataLoader[tuple[int, str], Resolution | None]:
        """Who resolved a delivery and why, batched: a page of the log reads the
        resolutions once, not once per resolved delivery."""
        if self._resolutions is None:
            db = self.services.db

            async def load(keys: list[tuple[int, str]]) -> list[Resolution | None]:
                seqs = sorted({seq for seq, _ in keys})
                found = await _by_seq(db, seqs, lambda conn: resolutions_of(conn, seqs))
                return [found.get(key) for key in keys]

            self._resolutions = DataLoader(load, cache=False)
        return self._resolutions


async def _by_seq(db: Database, seqs: list[int], reader: Callable[[sqlite3.Connection], T]) -> T:
    """``reader``'s rows of the events ``seqs``: on the loop's thread for a few events."""
    if len(seqs) <= READ_NOW_EVENTS:
        return db.read_now(reader)
    return await db.read(reader)
