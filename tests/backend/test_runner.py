"""The event runner on plain asyncio: retries, timeouts, dead letters, replay, pause, leases."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from backend import events
from backend.api.context import Services
from backend.api.schema import build_schema
from backend.auth import Tokens
from backend.database import Database, Tx
from backend.delivery_commands import DeliveryCommands
from backend.errors import InvalidTransition, NotFound
from backend.inprocess import InProcessGraphQL
from backend.notifier import Notifier
from backend.outbox import emit
from backend.registry import Registry
from backend.runner import Runner
from backend.states import DeliveryStatus
from handlers.sdk import Context, Event, HandlerDefinition, PermanentError, RetryAfter

Behaviour = Callable[[Event, Context], Awaitable[None]]


@dataclass
class Probe:
    """A test handler whose behaviour a test sets, and which records its calls."""

    behaviour: Behaviour | None = None
    calls: list[tuple[int, int]] = field(default_factory=list)  # (event seq, attempt)

    async def __call__(self, event: Event, ctx: Context) -> None:
        self.calls.append((event.seq, event.attempt))
        assert ctx.idempotency_key == f"{event.id}:{ctx.log.logger.name.rsplit('.', 1)[1]}"
        if self.behaviour is not None:
            await self.behaviour(event, ctx)


@dataclass
class Harness:
    db: Database
    runner: Runner
    commands: DeliveryCommands
    probes: dict[str, Probe]

    async def emit(self, event_type: str = "thing_happened", order_id: str | None = None) -> int:
        def unit(tx: Tx) -> int:
            if order_id is not None:
                tx.execute(
                    "INSERT OR IGNORE INTO orders (id, number, status, channel, fulfillment,"
                    " total_cents, created_at, updated_at) VALUES (?, (SELECT coalesce(max(number),"
                    " 0) + 1 FROM orders), 'PLACED', 'WEB', 'TAKEAWAY', 0, '', '')",
                    (order_id,),
                )
            return emit(tx, event_type, {"n": 1}, order_id=order_id).seq

        return await self.db.write(unit)

    def delivery(self, seq: int, handler: str) -> events.DeliveryRow:
        row = self.read(lambda conn: events.get_delivery(conn, seq, handler))
        assert isinstance(row, events.DeliveryRow)
        return row

    def read(self, reader: Callable[[sqlite3.Connection], Any]) -> Any:
        with sqlite3.connect(self.db.path) as conn:
            conn.row_factory = sqlite3.Row
            return reader(conn)

    def outcomes(self, seq: int, handler: str) -> list[str]:
        rows = self.read(lambda conn: events.invocations_of(conn, [seq]))
        return [row.outcome for row in rows.get((seq, handler), [])]

    async def until(self, seq: int, handler: str, *statuses: DeliveryStatus) -> events.DeliveryRow:
        """Wait until the delivery reaches one of ``statuses`` (a wait-for-condition)."""
        deadline = time.monotonic() + 10
        while True:
            row = self.delivery(seq, handler)
            if row is not None and row.status in statuses:
                return row
            assert time.monotonic() < deadline, f"still {row}"
            await asyncio.sleep(0.005)


def definition(name: str, probe: Probe, **policy: Any) -> HandlerDefinition:
    policy.setdefault("backoff_base_seconds", 0.01)
    policy.setdefault("events", ("thing_happened",))
    return HandlerDefinition(name=name, function=probe, **policy)


async def open_harness(
    path: Path,
    definitions: list[HandlerDefinition],
    probes: dict[str, Probe],
    sweep_seconds: float = 0.05,
) -> Harness:
    registry = Registry(definitions)
    db = Database(path, subscribers=registry.subscribers)
    await db.open()
    last = await db.read(lambda conn: (events.last_seq(conn), events.last_log_cursor(conn)))
    notifier = Notifier(last_seq=last[0], last_cursor=last[1])
    db.on_commit = notifier.on_commit
    commands = DeliveryCommands(db, notifier, registry)
    services = Services(db, notifier, Tokens("t", b"s"), registry, commands)
    graphql = InProcessGraphQL(build_schema(), services)
    runner = Runner(db, notifier, registry, commands, graphql, None, sweep_seconds=sweep_seconds)
    await runner.start()
    return Harness(db, runner, commands, probes)


@pytest.fixture
async def make(db_path: Path) -> AsyncIterator[Callable[..., Awaitable[Harness]]]:
    opened: list[Harness] = []

    async def factory(sweep_seconds: float = 0.05, **policies: dict[str, Any]) -> Harness:
        probes = {name: Probe() for name in policies}
        definitions = [
            definition(name, probes[name], **policy) for name, policy in policies.items()
        ]
        harness = await open_harness(db_path, definitions, probes, sweep_seconds)
        opened.append(harness)
        return harness

    yield factory
    for harness in opened:
        await harness.runner.stop(1.0)
        await harness.db.close()


def failing(
    times: int, error: Callable[[], BaseException] = lambda: RuntimeError("kaput")
) -> Behaviour:
    left = [times]

    async def behaviour(event: Event, ctx: Context) -> None:
        if left[0] > 0:
            left[0] -= 1
            raise error()

    return behaviour


def counted(h: Harness, handler: str, outcome: str) -> float:
    """Attempts of ``handler`` that ended with ``outcome``, as GET /metrics shows them."""
    found = h.runner.metrics.registry.get_sample_value(
        "passline_deliveries_total", {"handler": handler, "outcome": outcome}
    )
    return found or 0.0


async def test_success_is_recorded_once(make: Callable[..., Awaitable[Harness]]) -> None:
    h = await make(a={}, b={})
    seq = await h.emit()
    for name in ("a", "b"):
        row = await h.until(seq, name, DeliveryStatus.SUCCEEDED)
        assert row.attempts == 1
        assert h.outcomes(seq, name) == ["SUCCEEDED"]
        assert h.probes[name].calls == [(seq, 1)]


async def test_failures_are_retried_with_backoff_until_success(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(a={"max_attempts": 5})
    h.probes["a"].behaviour = failing(2)
    seq = await h.emit()
    row = await h.until(seq, "a", DeliveryStatus.SUCCEEDED)
    assert row.attempts == 3
    assert h.outcomes(seq, "a") == ["FAILED", "FAILED", "SUCCEEDED"]
    assert (counted(h, "a", "FAILED"), counted(h, "a", "SUCCEEDED")) == (2, 1)
    invocations = h.read(lambda conn: events.invocations_of(conn, [seq]))[(seq, "a")]
    assert invocations[0].error == "RuntimeError: kaput"


async def test_retry_after_is_honoured(make: Callable[..., Awaitable[Harness]]) -> None:
    h = await make(a={})
    h.probes["a"].behaviour = failing(1, lambda: RetryAfter(0.3))
    seq = await h.emit()
    await h.until(seq, "a", DeliveryStatus.SUCCEEDED)
    first, second = h.read(lambda conn: events.invocations_of(conn, [seq]))[(seq, "a")]
    assert (second.started_at - first.started_at).total_seconds() >= 0.3


async def test_a_timeout_is_a_failed_attempt(make: Callable[..., Awaitable[Harness]]) -> None:
    h = await make(a={"timeout_seconds": 0.05, "max_attempts": 2})

    async def hang(event: Event, ctx: Context) -> None:
        await asyncio.sleep(30)

    h.probes["a"].behaviour = hang
    seq = await h.emit()
    row = await h.until(seq, "a", DeliveryStatus.DEAD)
    assert h.outcomes(seq, "a") == ["TIMED_OUT", "TIMED_OUT"]
    assert row.last_error == "timed out after 0.05 s"


async def test_a_timeout_of_the_handler_s_own_is_a_failure_not_its_deadline(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    """Told apart by the deadline itself (uvloop's clock is the time its turn began: an
    elapsed time read from time.monotonic() can be a millisecond short of it)."""
    h = await make(a={"timeout_seconds": 30, "max_attempts": 1})

    async def gives_up(event: Event, ctx: Context) -> None:
        raise TimeoutError("the printer did not answer")

    h.probes["a"].behaviour = gives_up
    seq = await h.emit()
    row = await h.until(seq, "a", DeliveryStatus.DEAD)
    assert h.outcomes(seq, "a") == ["FAILED"]
    assert row.last_error == "TimeoutError: the printer did not answer"


async def test_a_permanent_error_goes_straight_to_dead(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(a={"max_attempts": 5})
    h.probes["a"].behaviour = failing(1, lambda: PermanentError("card reported stolen"))
    seq = await h.emit()
    row = await h.until(seq, "a", DeliveryStatus.DEAD)
    assert row.attempts == 1
    assert row.last_error == "PermanentError: card reported stolen"


async def test_dead_after_max_attempts_then_retry_succeeds(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(a={"max_attempts": 3})
    h.probes["a"].behaviour = failing(3)
    seq = await h.emit()
    await h.until(seq, "a", DeliveryStatus.DEAD)
    assert h.outcomes(seq, "a") == ["FAILED"] * 3
    assert h.delivery(seq, "a").attempts == 3
    # The cause is fixed (failing(3) is used up): a person retries it.
    retried = await h.commands.retry_delivery(seq, "a")
    assert retried.status is DeliveryStatus.PENDING
    row = await h.until(seq, "a", DeliveryStatus.SUCCEEDED)
    assert row.attempts == 4
    assert h.outcomes(seq, "a") == ["FAILED", "FAILED", "FAILED", "SUCCEEDED"]


async def test_retry_dead_makes_all_dead_of_a_handler_due(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(a={"max_attempts": 1}, b={})
    h.probes["a"].behaviour = failing(3)
    seqs = [await h.emit() for _ in range(3)]
    for seq in seqs:
        await h.until(seq, "a", DeliveryStatus.DEAD)
    assert await h.commands.retry_dead("a") == 3
    for seq in seqs:
        await h.until(seq, "a", DeliveryStatus.SUCCEEDED)
    assert await h.commands.retry_dead("a") == 0


async def test_retry_refuses_a_succeeded_delivery_and_unknown_names(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(a={})
    seq = await h.emit()
    await h.until(seq, "a", DeliveryStatus.SUCCEEDED)
    with pytest.raises(InvalidTransition, match="replayEvent"):
        await h.commands.retry_delivery(seq, "a")
    with pytest.raises(NotFound):
        await h.commands.retry_delivery(seq, "nobody")
    with pytest.raises(NotFound):
        await h.commands.retry_delivery(seq + 100, "a")


async def test_replay_runs_a_succeeded_delivery_again_and_keeps_history(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(a={}, b={})
    seq = await h.emit()
    await h.until(seq, "a", DeliveryStatus.SUCCEEDED)
    await h.until(seq, "b", DeliveryStatus.SUCCEEDED)
    replayed = await h.commands.replay_event(seq, ["a"])
    assert [(r.handler, r.status) for r in replayed] == [("a", DeliveryStatus.PENDING)]
    await h.until(seq, "a", DeliveryStatus.SUCCEEDED)
    assert h.probes["a"].calls == [(seq, 1), (seq, 2)]
    assert h.outcomes(seq, "a") == ["SUCCEEDED", "SUCCEEDED"]
    assert h.probes["b"].calls == [(seq, 1)]  # only the handler asked for


async def test_pause_holds_deliveries_and_resume_drains_them(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(a={})
    await h.commands.set_paused("a", True)
    seqs = [await h.emit() for _ in range(5)]
    await h.runner.sweep_done()
    assert all(h.delivery(seq, "a").status is DeliveryStatus.PENDING for seq in seqs)
    assert h.probes["a"].calls == []
    await h.commands.set_paused("a", False)
    for seq in seqs:
        await h.until(seq, "a", DeliveryStatus.SUCCEEDED)


async def test_an_ordered_handler_is_held_by_a_dead_delivery_of_the_same_order(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(a={"ordered": True, "max_attempts": 1})
    h.probes["a"].behaviour = failing(1, lambda: PermanentError("printer on fire"))
    first = await h.emit(order_id="o-1")
    second = await h.emit(order_id="o-1")
    other = await h.emit(order_id="o-2")
    await h.until(first, "a", DeliveryStatus.DEAD)
    await h.until(other, "a", DeliveryStatus.SUCCEEDED)  # another order is not held
    await h.runner.sweep_done()
    assert h.delivery(second, "a").status is DeliveryStatus.PENDING
    assert (second, 1) not in h.probes["a"].calls
    await h.commands.retry_delivery(first, "a")
    await h.until(second, "a", DeliveryStatus.SUCCEEDED)
    calls = [seq for seq, _ in h.probes["a"].calls if seq != other]
    assert calls == [first, first, second]


async def test_a_lease_left_by_a_dead_process_is_run_again_at_start(
    make: Callable[..., Awaitable[Harness]], db_path: Path
) -> None:
    h = await make(a={})
    await h.commands.set_paused("a", True)
    seq = await h.emit()
    await h.runner.stop(1.0)
    await h.db.close()
    # What a SIGKILL during the attempt leaves behind: RUNNING with a lease.
    with sqlite3.connect(db_path) as conn:
        conn.execute(
            "UPDATE deliveries SET status = 'RUNNING', attempts = 1, lease_until = ?",
            (time.time() + 3600,),
        )
        conn.execute("UPDATE handler_state SET paused = 0")
    again = await make(a={})
    row = await again.until(seq, "a", DeliveryStatus.SUCCEEDED)
    assert row.attempts == 2
    assert again.outcomes(seq, "a") == ["LOST", "SUCCEEDED"]
    assert (counted(again, "a", "LOST"), counted(again, "a", "SUCCEEDED")) == (1, 1)


async def test_a_lost_last_attempt_goes_to_dead_instead_of_running_forever(
    make: Callable[..., Awaitable[Harness]], db_path: Path
) -> None:
    h = await make(a={"max_attempts": 2})
    await h.commands.set_paused("a", True)
    seq = await h.emit()
    await h.runner.stop(1.0)
    await h.db.close()
    # As if the handler had killed the process during its second and last attempt.
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE deliveries SET status = 'RUNNING', attempts = 2, lease_until = 0")
        conn.execute("UPDATE handler_state SET paused = 0")
    again = await make(a={"max_attempts": 2})
    row = await again.until(seq, "a", DeliveryStatus.DEAD)
    assert row.attempts == 2
    assert row.last_error == "the process stopped during attempt 2, the last one"
    assert again.outcomes(seq, "a") == ["LOST"]
    assert again.probes["a"].calls == []


async def test_shutdown_lets_short_attempts_finish_and_interrupts_long_ones(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(quick={}, slow={})
    started = {name: asyncio.Event() for name in ("quick", "slow")}

    def sleeper(name: str, seconds: float) -> Behaviour:
        async def behaviour(event: Event, ctx: Context) -> None:
            started[name].set()
            await asyncio.sleep(seconds)

        return behaviour

    h.probes["quick"].behaviour = sleeper("quick", 0.1)
    h.probes["slow"].behaviour = sleeper("slow", 30)
    seq = await h.emit()
    await asyncio.gather(*(event.wait() for event in started.values()))
    await h.runner.stop(0.5)
    assert h.outcomes(seq, "quick") == ["SUCCEEDED"]
    assert h.outcomes(seq, "slow") == ["INTERRUPTED"]
    assert h.delivery(seq, "slow").status is DeliveryStatus.RETRYING


async def test_deliveries_waiting_for_room_start_as_room_frees_not_at_the_sweep(
    make: Callable[..., Awaitable[Harness]],
) -> None:
    h = await make(sweep_seconds=60.0, slow={"concurrency": 1}, keep={"ordered": True})
    gate = asyncio.Event()

    async def wait_for_gate(event: Event, ctx: Context) -> None:
        await gate.wait()

    h.probes["slow"].behaviour = wait_for_gate
    seqs = [await h.emit(order_id="00000000-0000-0000-0000-00000000000a") for _ in range(3)]
    await h.until(seqs[0], "slow", DeliveryStatus.RUNNING)
    gate.set()
    started = time.monotonic()
    for seq in seqs:
        for name in ("slow", "keep"):
            await h.until(seq, name, DeliveryStatus.SUCCEEDED)
    assert time.monotonic() - started < 5.0
    assert [seq for seq, _ in h.probes["keep"].calls] == seqs  # one at a time, in order


async def test_a_failed_read_of_due_deliveries_does_not_stop_the_runner(
    make: Callable[..., Awaitable[Harness]], monkeypatch: pytest.MonkeyPatch
) -> None:
    h = await make(a={})
    real_read = h.db.read
    refused: list[str] = []

    async def refuse_once(reader: Callable[[sqlite3.Connection], Any]) -> Any:
        if not refused:
            refused.append("due deliveries")
            raise sqlite3.OperationalError("database is locked")
        return await real_read(reader)

    monkeypatch.setattr(h.db, "read", refuse_once)
    # The pass whose read is refused, then whole passes again (a dead runner loop would
    # never finish one).
    await asyncio.wait_for(h.runner.sweep_done(), 10)
    assert refused
    monkeypatch.setattr(h.db, "read", real_read)
    seq = await h.emit()
    await h.until(seq, "a", DeliveryStatus.SUCCEEDED)
