"""The event runner: every delivery reaches its handler at least once.

Woken by commits (no poll on the hot path), by staff commands and by a slow sweep for
due retries and expired leases. It claims due deliveries up to each handler's
concurrency and leases them (``RUNNING`` until ``lease_until``); the attempt itself,
and its one recorded outcome, are backend/attempts.py's. The retry policy decides;
the runner only applies decisions.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from functools import partial

from backend.attempts import Attempts, Claim, Outcome, Result, finish, record_lost
from backend.database import Database, Tx
from backend.delivery_commands import DeliveryCommands
from backend.events import EventRecord, event_from_row
from backend.metrics import Metrics
from backend.notifier import Notifier
from backend.outbox import log_change
from backend.registry import Registry
from backend.retry import Verdict
from backend.sql_blocks import SQL
from handlers.sdk import GraphQL
from handlers.sdk.adapters import Adapters

log = logging.getLogger(__name__)

SWEEP_SECONDS = 1.0  # due retries and expired leases are picked up at least this often
LEASE_MARGIN_SECONDS = 5.0  # a lease outlives the handler's timeout by this much


class Runner:
    """Runs deliveries for the handlers of ``registry``; start, then stop."""

    def __init__(
        self,
        db: Database,
        notifier: Notifier,
        registry: Registry,
        commands: DeliveryCommands,
        graphql: GraphQL,
        adapters: Adapters | None,
        *,
        sweep_seconds: float = SWEEP_SECONDS,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.notifier = notifier
        self.registry = registry
        self.commands = commands
        self.attempts = Attempts(registry, graphql, adapters)
        self.metrics = Metrics() if metrics is None else metrics
        self.sweep_seconds = sweep_seconds
        self.paused = commands.paused  # the same set: staff pause and resume handlers
        self._running = {d.name: 0 for d in registry}
        self._inflight: set[tuple[int, str]] = set()  # (event seq, handler) being attempted
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        # Handlers whose due deliveries may not all be in flight: a pass must read those.
        # A pass takes them out as it begins; whatever may make one due puts it back.
        self._maybe_due: set[str] = {d.name for d in registry}
        self._loop_task: asyncio.Task[None] | None = None
        self._stopping = False
        self._passes = 0  # claim passes completed
        self._pass_done: asyncio.Future[None] | None = None

    # -- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        """Recover attempts a dead process left running, then start delivering."""
        await self.commands.load_paused()
        lost = await self.db.write(partial(record_lost, registry=self.registry))
        if lost:
            log.warning(
                "%d delivery attempt(s) were cut off by the last stop; due again", len(lost)
            )
        for handler in lost:
            self.metrics.attempt(handler, Outcome.LOST, 0.0)
        self.notifier.add_listener(self._on_commit)
        self.commands.add_listener(self.wake)
        self._loop_task = asyncio.create_task(self._loop(), name="passline-runner")

    async def stop(self, grace_seconds: float) -> None:
        """Stop claiming; let attempts finish for ``grace_seconds``, then interrupt them."""
        self._stopping = True
        self._wake.set()
        if self._loop_task is not None:
            await self._loop_task
        if self._tasks:
            _, pending = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)

    def wake(self) -> None:
        """Read what is due now (a retry's backoff has run out, a lease has expired...)."""
        self._maybe_due.update(d.name for d in self.registry)
        self._wake.set()

    async def sweep_done(self) -> None:
        """Return once a whole claim pass that began after this call has run."""
        target = self._passes + 2  # the pass under way may have begun before
        self.wake()
        while self._passes < target:
            if self._pass_done is None:
                self._pass_done = asyncio.get_running_loop().create_future()
            await asyncio.shield(self._pass_done)

    # -- the loop ------------------------------------------------------------------

    async def _loop(self) -> None:
        while not self._stopping:
            self._wake.clear()
            # Most wakes are an attempt ending, with everything due already in flight:
            # under load, reading then would cost a read per delivery and find nothing.
            capacity = {
                d.name: d.concurrency - self._running[d.name]
                for d in self.registry
                if d.name in self._maybe_due
                and d.name not in self.paused
                and self._running[d.name] < d.concurrency
            }
            if capacity:
                self._maybe_due.difference_update(capacity)
                try:
                    claims, more = await self.db.read(partial(self._due, capacity=capacity))
                except Exception:
                    # The database refused this once (locked past busy_timeout, disk
                    # full...): the runner lives on and reads again a sweep later.
                    log.exception("could not read the due deliveries; trying again in a moment")
                    self._maybe_due.update(capacity)
                    await asyncio.sleep(self.sweep_seconds)
                    continue
                self._maybe_due.update(more)
                await self._launch_checked(claims)
            self._passes += 1
            if self._pass_done is not None:
                self._pass_done.set_result(None)
                self._pass_done = None
            if self._stopping:
                return
            try:
                await asyncio.wait_for(self._wake.wait(), self.sweep_seconds)
            except TimeoutError:  # the sweep: due retries, expired leases
                self._maybe_due.update(d.name for d in self.registry)

    def _take(self, claims: list[Claim]) -> list[Claim]:
        """Mark claims as in flight, dropping those already in flight, of a paused
        handler, or past a handler's concurrency (things may have changed since
        the claims were read)."""
        taken = []
        for claim in claims:
            definition = self.registry.get(claim.handler)
            if definition is None or claim.key in self._inflight:
                continue
            if (
                claim.handler in self.paused
                or self._running[claim.handler] >= definition.concurrency
            ):
                self._maybe_due.add(claim.handler)  # still due, once there is room
                continue
            self._inflight.add(claim.key)
            self._running[claim.handler] += 1
            taken.append(claim)
        return taken

    def _release(self, claim: Claim) -> None:
        self._inflight.discard(claim.key)
        self._running[claim.handler] -= 1
        self._wake.set()

    def _start(self, claim: Claim, lease: asyncio.Future[set[tuple[int, str]]]) -> None:
        definition = self.registry.get(claim.handler)
        assert definition is not None
        record = partial(self._record, claim, lease=lease)
        task = asyncio.create_task(self.attempts.run(definition, claim, record))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _launch_checked(self, claims: list[Claim]) -> None:
        """Claims read from the database: lease them, then start those still due."""
        claims = self._take(claims)
        if not claims:
            return
        lease: asyncio.Future[set[tuple[int, str]]] = asyncio.ensure_future(
            self.db.write(partial(_lease, claims=claims))
        )
        try:
            leased = await asyncio.shield(lease)
        except Exception:
            log.exception("could not lease %d deliveries", len(claims))
            leased = set()
        for claim in claims:
            if claim.key in leased:
                self._start(claim, lease)
            else:  # another attempt began after the snapshot was read
                self._release(claim)

    def _on_commit(self, events: list[EventRecord]) -> None:
        """The hot path: start new deliveries straight from the commit, no query.

        Only where it is safe without the database: the handler has room, is not
        paused and is not ordered (that needs the order's earlier deliveries). The
        rest waits for the loop, which is woken too.
        """
        self._wake.set()
        if self._stopping:
            return
        now = time.time()
        claims: list[Claim] = []
        for event in events:
            for name in self.db.subscribers.get(event.type, ()):
                definition = self.registry.get(name)
                if definition is not None and not definition.ordered:
                    lease_until = now + definition.timeout_seconds + LEASE_MARGIN_SECONDS
                    claims.append(Claim(event, name, 1, 1, lease_until))
                else:
                    self._maybe_due.add(name)
        claims = self._take(claims)
        if claims:
            # The handlers start now; their leases commit meanwhile. Writes commit in
            # the order they are queued, so the lease lands before anything a handler
            # writes, and before its outcome (which awaits it). Should the process die
            # first, the delivery is simply still due. A fresh delivery cannot have
            # been claimed before: this runs before anything else sees the commit.
            lease = asyncio.ensure_future(self.db.write(partial(_lease, claims=claims)))
            for claim in claims:
                self._start(claim, lease)

    def _due(
        self, conn: sqlite3.Connection, capacity: dict[str, int]
    ) -> tuple[list[Claim], list[str]]:
        """On a reader: what may start now, up to each handler's free capacity; and the
        handlers that may have more due than that."""
        now = time.time()
        claims = []
        more = []
        for name, limit in capacity.items():
            definition = self.registry.get(name)
            assert definition is not None
            # Deliveries in flight here are still PENDING until their lease commits.
            wanted = limit + sum(1 for key in self._inflight if key[1] == name)
            rows = conn.execute(
                SQL.due_deliveries,
                {"handler": name, "now": now, "ordered": int(definition.ordered), "limit": wanted},
            ).fetchall()
            if len(rows) == wanted:
                more.append(name)
            for row in rows:
                attempt = row["attempts"] + 1
                lease_until = now + definition.timeout_seconds + LEASE_MARGIN_SECONDS
                claims.append(
                    Claim(
                        event_from_row(row), name, attempt, attempt - row["retry_base"], lease_until
                    )
                )
        return claims, more

    async def _record(
        self, claim: Claim, result: Result, lease: asyncio.Future[set[tuple[int, str]]]
    ) -> None:
        """The attempt's outcome, if it held its lease; then its room is free again."""
        # Every attempt that ended, also one whose outcome could not be saved (it runs again).
        self.metrics.attempt(claim.handler, result.outcome, result.duration_ms / 1000)
        recorded = False
        try:
            if claim.key in await lease:
                await self.db.write(lambda tx: finish(tx, claim, result))
                recorded = True
            else:
                log.warning("attempt %d of %s ran without its lease", claim.attempt, claim.key)
        except Exception:
            # Not recorded: the delivery stays due and runs again (at least once).
            log.exception("could not record attempt %d of %s", claim.attempt, claim.key)
        finally:
            definition = self.registry.get(claim.handler)
            if (
                not recorded
                or result.outcome is Outcome.INTERRUPTED
                or (definition is not None and definition.ordered)
            ):
                # Due again now, or the order's next event is (ordered handlers).
                self._maybe_due.add(claim.handler)
            self._release(claim)
        decision = result.decision
        if decision is not None and decision.verdict is Verdict.RETRY:
            asyncio.get_running_loop().call_later(decision.delay_seconds, self.wake)


def _lease(tx: Tx, claims: list[Claim]) -> set[tuple[int, str]]:
    """On the writer: lease the claims still as they were read; the keys leased."""
    now = time.time()
    leased = set()
    for claim in claims:
        cursor = tx.execute(
            SQL.lease_delivery,
            {
                "event_seq": claim.event.seq,
                "handler": claim.handler,
                "attempt": claim.attempt,
                "lease_until": claim.lease_until,
                "now": now,
            },
        )
        if cursor.rowcount:
            leased.add(claim.key)
            log_change(tx, claim.event)
    return leased
