"""One attempt of one delivery: the handler run with its timeout, and its one outcome.

The runner claims and leases a delivery, then hands it here. :class:`Attempts` builds
the handler's in-process context, runs it under its timeout, and asks the retry
policy what a failure means; the outcome is recorded exactly once, shielded from
cancellation (a shutdown that stops the attempt records ``INTERRUPTED``). On the
writer, :func:`finish` moves the delivery as ``DELIVERY_TRANSITIONS`` says and keeps
the attempt in ``invocations``; :func:`record_lost` does so for the attempts a dead
process left behind.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from backend.database import Tx
from backend.events import EventRecord, get_event
from backend.outbox import log_change
from backend.registry import Registry
from backend.retry import Backoff, RetryDecision, Verdict
from backend.sql_blocks import SQL
from backend.states import DELIVERY_TRANSITIONS, DeliveryAction
from handlers.sdk import Context, Event, GraphQL, HandlerDefinition
from handlers.sdk.adapters import Adapters

ERROR_CHARS = 500
TRACEBACK_CHARS = 8_000


class Outcome(StrEnum):
    """How an attempt ended (``invocations.outcome``)."""

    SUCCEEDED = "SUCCEEDED"  # the handler returned
    FAILED = "FAILED"  # it raised
    TIMED_OUT = "TIMED_OUT"  # it ran past its timeout and was cancelled
    INTERRUPTED = "INTERRUPTED"  # the runner stopped it on shutdown; due again at once
    LOST = "LOST"  # the process died during it (found on the next start)


@dataclass(frozen=True, slots=True)
class Claim:
    event: EventRecord
    handler: str
    attempt: int  # attempts ever made, this one included
    budget_attempt: int  # attempts since the last manual retry or replay
    lease_until: float = 0.0

    @property
    def key(self) -> tuple[int, str]:
        return self.event.seq, self.handler


@dataclass(frozen=True, slots=True)
class Result:
    outcome: Outcome
    started_at: datetime
    duration_ms: float
    error: str | None = None
    traceback: str | None = None
    decision: RetryDecision | None = None

    @property
    def action(self) -> DeliveryAction:
        """How this outcome moves the delivery (a row of ``DELIVERY_TRANSITIONS``)."""
        if self.outcome is Outcome.SUCCEEDED:
            return DeliveryAction.SUCCEED
        if self.outcome is Outcome.INTERRUPTED:  # our own shutdown: due again at once
            return DeliveryAction.BACK_OFF
        if self.decision is not None and self.decision.verdict is Verdict.RETRY:
            return DeliveryAction.BACK_OFF
        return DeliveryAction.GIVE_UP

    @property
    def delay_seconds(self) -> float:
        """How long after now the delivery is due again (when it is)."""
        if self.outcome is Outcome.INTERRUPTED or self.decision is None:
            return 0.0
        return self.decision.delay_seconds


class Attempts:
    """Runs handler attempts for the runner, in-process, with what handlers are given."""

    def __init__(self, registry: Registry, graphql: GraphQL, adapters: Adapters | None) -> None:
        self.graphql = graphql
        self.adapters = adapters
        self._policies = {
            d.name: Backoff(
                max_attempts=d.max_attempts,
                base_seconds=d.backoff_base_seconds,
                cap_seconds=d.backoff_cap_seconds,
            )
            for d in registry
        }

    async def run(
        self,
        definition: HandlerDefinition,
        claim: Claim,
        record: Callable[[Result], Awaitable[None]],
    ) -> None:
        """Run the attempt and ``record`` its one outcome, also when cancelled."""
        started_at = datetime.now(UTC)
        start = time.monotonic()
        try:
            result = await self._call(definition, claim, started_at, start)
        except asyncio.CancelledError:
            interrupted = Result(
                Outcome.INTERRUPTED,
                started_at,
                (time.monotonic() - start) * 1000,
                "the runner stopped during this attempt; it is due again",
            )
            await asyncio.shield(record(interrupted))
            raise
        await asyncio.shield(record(result))

    def context(self, definition: HandlerDefinition, claim: Claim) -> tuple[Event, Context]:
        """What the handler is called with: the event as it sees it, and its context."""
        record = claim.event
        event = Event(
            seq=record.seq,
            id=record.id,
            type=record.type,
            order_id=record.order_id,
            payload=record.payload,
            created_at=record.created_at.isoformat(),
            attempt=claim.attempt,
        )
        logger = logging.LoggerAdapter(
            logging.getLogger(f"passline.handlers.{definition.name}"),
            {"event_seq": record.seq, "attempt": claim.attempt},
        )
        context = Context(
            event=event,
            graphql=self.graphql,
            log=logger,
            idempotency_key=f"{record.id}:{definition.name}",
            adapters=self.adapters,
        )
        return event, context

    async def _call(
        self, definition: HandlerDefinition, claim: Claim, started_at: datetime, start: float
    ) -> Result:
        event, context = self.context(definition, claim)
        deadline = asyncio.timeout(definition.timeout_seconds)
        try:
            async with deadline:
                await definition.function(event, context)
        except TimeoutError as exc:
            elapsed = (time.monotonic() - start) * 1000
            # Its own deadline, not a TimeoutError from inside the handler. Not from the
            # elapsed time: uvloop's clock is the time its turn began, so the deadline
            # can pass with time.monotonic() a millisecond short of it.
            timed_out = deadline.expired()
            return self._failure(
                claim,
                Outcome.TIMED_OUT if timed_out else Outcome.FAILED,
                started_at,
                elapsed,
                exc,
                f"timed out after {definition.timeout_seconds:g} s" if timed_out else None,
            )
        except Exception as exc:
            elapsed = (time.monotonic() - start) * 1000
            return self._failure(claim, Outcome.FAILED, started_at, elapsed, exc, None)
        return Result(Outcome.SUCCEEDED, started_at, (time.monotonic() - start) * 1000)

    def _failure(
        self,
        claim: Claim,
        outcome: Outcome,
        started_at: datetime,
        elapsed_ms: float,
        exc: BaseException,
        message: str | None,
    ) -> Result:
        text = message or f"{type(exc).__name__}: {exc}"
        trace = "".join(traceback.format_exception(exc))
        decision = self._policies[claim.handler].decide(exc, claim.budget_attempt)
        return Result(
            outcome,
            started_at,
            elapsed_ms,
            text[:ERROR_CHARS],
            trace[-TRACEBACK_CHARS:],
            decision,
        )


def finish(tx: Tx, claim: Claim, result: Result) -> None:
    """On the writer: the attempt's one outcome, its invocation row and its log entry."""
    tx.execute(
        SQL.finish_delivery,
        {
            "event_seq": claim.event.seq,
            "handler": claim.handler,
            "attempt": claim.attempt,
            "status": DELIVERY_TRANSITIONS[result.action].target.value,
            "next_attempt_at": time.time() + result.delay_seconds,
            "last_error": result.error,
        },
    )
    tx.execute(
        SQL.insert_invocation,
        {
            "event_seq": claim.event.seq,
            "handler": claim.handler,
            "attempt": claim.attempt,
            "started_at": result.started_at.isoformat(),
            "duration_ms": result.duration_ms,
            "outcome": result.outcome.value,
            "error": result.error,
            "traceback": result.traceback,
        },
    )
    log_change(tx, claim.event)


def record_lost(tx: Tx, registry: Registry) -> list[str]:
    """On the writer: attempts left RUNNING by a process that died, recorded ``LOST``
    and due again now, or DEAD when that was the last attempt (a handler that kills
    the process every time must not take it down forever); the handler of each."""
    rows = tx.execute(SQL.running_deliveries).fetchall()
    now = datetime.now(UTC)
    for row in rows:
        event = get_event(tx.conn, row["event_seq"])
        assert event is not None
        attempt, budget = row["attempts"], row["attempts"] - row["retry_base"]
        definition = registry.get(row["handler"])
        if definition is not None and budget >= definition.max_attempts:
            decision = RetryDecision(Verdict.DEAD, reason="out of attempts")
            error = f"the process stopped during attempt {attempt}, the last one"
        else:
            decision = RetryDecision(Verdict.RETRY, 0.0, "the process stopped")
            error = f"the process stopped during attempt {attempt}; it is due again"
        claim = Claim(event, row["handler"], attempt, budget)
        finish(tx, claim, Result(Outcome.LOST, now, 0.0, error, decision=decision))
    return [row["handler"] for row in rows]
