"""Every delivery transition the code makes is a row of ``DELIVERY_TRANSITIONS``.

Held three ways: the SQL's ``-- FROM -> TO`` annotations are read from the .sql files;
the runner and the staff commands are driven through every path on a real database
whose triggers log each status change they make; and docs/api.md's transition table
is read back. Each must be exactly the table, so a row nothing makes (or a move no
row allows) fails here.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from backend import delivery_commands
from backend.database import Database
from backend.errors import InvalidTransition
from backend.outbox import emit
from backend.registry import Registry
from backend.sql_blocks import parse_blocks
from backend.states import DELIVERY_TRANSITIONS, DeliveryAction, DeliveryStatus
from handlers.sdk import Context, Event, HandlerDefinition, PermanentError, RetryAfter
from tests.backend.test_runner import Harness, Probe, definition, failing, open_harness

Move = tuple[DeliveryStatus | None, DeliveryStatus]

ALLOWED: set[Move] = {
    (source, rule.target) for rule in DELIVERY_TRANSITIONS.values() for source in rule.sources
}


def moves(text: str) -> set[Move]:
    """The moves a ``FROM | FROM -> TO | TO`` annotation names (``none``: no row yet)."""
    sources, targets = text.split("->")
    return {
        (None if source.strip() == "none" else DeliveryStatus(source.strip()), DeliveryStatus(t))
        for source in sources.split("|")
        for t in (target.strip() for target in targets.split("|"))
    }


# -- the SQL ------------------------------------------------------------------------

ANNOTATION = re.compile(r"^--\s*((?:[A-Za-z]+\s*\|\s*)*[A-Za-z]+\s*->\s*[A-Z|\s]+?)\s*$", re.M)
WRITES_STATUS = re.compile(
    r"INSERT\s+INTO\s+deliveries\b|UPDATE\s+deliveries\s+SET\b[^;]*?\bstatus\s*=", re.I | re.S
)


def sql_blocks() -> dict[str, str]:
    folder = resources.files("backend") / "sql"
    blocks: dict[str, str] = {}
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            for name, body in parse_blocks(entry.read_text(encoding="utf-8")).items():
                blocks[f"{entry.name}:{name}"] = body
    return blocks


def test_each_statement_that_moves_a_delivery_says_how_and_the_table_allows_it() -> None:
    annotated: set[Move] = set()
    for name, body in sql_blocks().items():
        said = [moves(found) for found in ANNOTATION.findall(body)]
        if WRITES_STATUS.search(body):
            assert said, f"{name} writes deliveries.status without a `-- FROM -> TO` line"
        for found in said:
            assert found <= ALLOWED, f"{name}: {found - ALLOWED} is not in DELIVERY_TRANSITIONS"
            annotated |= found
    # And no row of the table is left without a statement that makes it.
    assert annotated == ALLOWED


def test_the_annotation_reader_reads_what_it_is_given() -> None:
    # The reader itself: a wrong annotation must show up as a move, not be skipped.
    body = "-- PENDING | DEAD -> SUCCEEDED\nUPDATE deliveries SET status = 'SUCCEEDED';"
    assert [moves(found) for found in ANNOTATION.findall(body)] == [
        {
            (DeliveryStatus.PENDING, DeliveryStatus.SUCCEEDED),
            (DeliveryStatus.DEAD, DeliveryStatus.SUCCEEDED),
        }
    ]
    assert WRITES_STATUS.search(body)
    assert not WRITES_STATUS.search("UPDATE deliveries SET lease_until = NULL;")


# -- the code, observed ---------------------------------------------------------------

# The test's own log of every status a delivery row gets: real triggers, no mock.
LOG_MOVES = """
CREATE TABLE IF NOT EXISTS moves_seen (old TEXT, new TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS move_written AFTER INSERT ON deliveries BEGIN
    INSERT INTO moves_seen (old, new) VALUES (NULL, new.status);
END;
CREATE TRIGGER IF NOT EXISTS move_made AFTER UPDATE OF status ON deliveries BEGIN
    INSERT INTO moves_seen (old, new) VALUES (old.status, new.status);
END;
"""


def seen(path: Path) -> set[Move]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT old, new FROM moves_seen").fetchall()
    return {
        (None if old is None else DeliveryStatus(old), DeliveryStatus(new)) for old, new in rows
    }


def as_if(path: Path, statement: str, *params: Any) -> None:
    """A state the test sets up (another process's lease, a crash): not a move the code
    made, so its log entries are taken out again."""
    with sqlite3.connect(path) as conn:
        (before,) = conn.execute("SELECT coalesce(max(rowid), 0) FROM moves_seen").fetchone()
        conn.execute(statement, params)
        conn.execute("DELETE FROM moves_seen WHERE rowid > ?", (before,))


HANDLERS = ("ok", "flaky", "doomed", "later", "held", "slow")


@pytest.fixture
async def harnesses(db_path: Path) -> AsyncIterator[Callable[..., Awaitable[Harness]]]:
    opened: list[Harness] = []

    async def open_one(*names: str) -> Harness:
        probes = {name: Probe() for name in names}
        definitions = [definition(name, probes[name]) for name in names]
        harness = await open_harness(db_path, definitions, probes)
        opened.append(harness)
        return harness

    yield open_one
    for harness in opened:
        await harness.runner.stop(1.0)
        await harness.db.close()


async def test_every_move_the_runner_and_staff_make_is_in_the_table(
    harnesses: Callable[..., Awaitable[Harness]], db_path: Path
) -> None:
    h = await harnesses(*HANDLERS)
    with sqlite3.connect(db_path) as conn:
        conn.executescript(LOG_MOVES)
    await h.commands.set_paused("held", True)
    h.probes["flaky"].behaviour = failing(1)
    h.probes["doomed"].behaviour = failing(1, lambda: PermanentError("card reported stolen"))
    h.probes["later"].behaviour = failing(1, lambda: RetryAfter(3600))
    slow_started = asyncio.Event()

    async def hang(event: Event, ctx: Context) -> None:
        slow_started.set()
        await asyncio.sleep(3600)

    h.probes["slow"].behaviour = hang
    seq = await h.emit()  # none -> PENDING, for each handler

    # Success; failure -> RETRYING -> RUNNING -> success; a permanent error -> DEAD.
    await h.until(seq, "ok", DeliveryStatus.SUCCEEDED)
    await h.until(seq, "flaky", DeliveryStatus.SUCCEEDED)
    await h.until(seq, "doomed", DeliveryStatus.DEAD)
    await h.until(seq, "later", DeliveryStatus.RETRYING)
    # Staff: DEAD, RETRYING and (paused) PENDING retried; SUCCEEDED replayed.
    await h.commands.retry_delivery(seq, "doomed")
    await h.commands.retry_delivery(seq, "later")
    await h.commands.retry_delivery(seq, "held")
    await h.until(seq, "doomed", DeliveryStatus.SUCCEEDED)
    await h.until(seq, "later", DeliveryStatus.SUCCEEDED)
    # Staff settle a dead one (DEAD -> RESOLVED), then change their mind (replay).
    h.probes["doomed"].behaviour = failing(1, lambda: PermanentError("card reported stolen"))
    await h.commands.replay_event(seq, ["doomed"])
    await h.until(seq, "doomed", DeliveryStatus.DEAD)
    await h.commands.resolve_delivery(seq, "doomed", "refunded by hand", "staff")
    await h.commands.replay_event(seq, ["doomed"])
    await h.until(seq, "doomed", DeliveryStatus.SUCCEEDED)
    await h.commands.replay_event(seq, ["ok"])
    ok = await h.until(seq, "ok", DeliveryStatus.SUCCEEDED)
    assert ok.attempts == 2
    # A lease another runner left to run out: taken over once the handler resumes.
    as_if(
        db_path,
        "UPDATE deliveries SET status = 'RUNNING', attempts = 1, lease_until = 0"
        " WHERE handler = 'held'",
    )
    await h.commands.set_paused("held", False)
    held = await h.until(seq, "held", DeliveryStatus.SUCCEEDED)
    assert held.attempts == 2
    # Shutdown interrupts an attempt under way: RUNNING -> RETRYING.
    await slow_started.wait()
    await h.runner.stop(0.1)
    assert h.delivery(seq, "slow").status is DeliveryStatus.RETRYING
    await h.db.close()

    # The process died during two attempts, one of them its last: LOST at the next start.
    as_if(db_path, "UPDATE deliveries SET status = 'RUNNING' WHERE handler = 'slow'")
    as_if(
        db_path,
        "UPDATE deliveries SET status = 'RUNNING', attempts = 8, retry_base = 0"
        " WHERE handler = 'flaky'",
    )
    again = await harnesses(*HANDLERS, "late")
    await again.until(seq, "slow", DeliveryStatus.SUCCEEDED)
    assert (await again.until(seq, "flaky", DeliveryStatus.DEAD)).last_error == (
        "the process stopped during attempt 8, the last one"
    )
    # Replayed to a handler that came after the event: its first delivery.
    await again.commands.replay_event(seq, ["late"])
    await again.until(seq, "late", DeliveryStatus.SUCCEEDED)

    observed = seen(db_path)
    assert observed <= ALLOWED, f"moves not in DELIVERY_TRANSITIONS: {observed - ALLOWED}"
    assert observed == ALLOWED, f"rows of the table this test never saw: {ALLOWED - observed}"


# -- the staff commands' refusals -----------------------------------------------------

REGISTRY = Registry([HandlerDefinition("a", ("thing",), Probe())])


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = Database(db_path, subscribers=REGISTRY.subscribers)
    await database.open()
    yield database
    await database.close()


@pytest.mark.parametrize(
    "action", [DeliveryAction.RETRY, DeliveryAction.REPLAY, DeliveryAction.RESOLVE]
)
@pytest.mark.parametrize("status", list(DeliveryStatus))
async def test_a_staff_command_moves_a_delivery_exactly_from_its_sources(
    db: Database, action: DeliveryAction, status: DeliveryStatus
) -> None:
    seq = await db.write(lambda tx: emit(tx, "thing", {}).seq)
    with sqlite3.connect(db.path) as conn:
        conn.execute("UPDATE deliveries SET status = ?, attempts = 2", (status.value,))
    command = {
        DeliveryAction.RETRY: lambda tx: delivery_commands.retry(tx, seq, "a"),
        DeliveryAction.REPLAY: lambda tx: delivery_commands.replay(tx, REGISTRY, seq, ["a"]),
        DeliveryAction.RESOLVE: lambda tx: delivery_commands.resolve(
            tx, seq, "a", "settled", "staff"
        ),
    }[action]
    rule = DELIVERY_TRANSITIONS[action]
    if status in rule.sources:
        await db.write(command)
        expected = rule.target
    else:
        with pytest.raises(InvalidTransition):
            await db.write(command)
        expected = status
    with sqlite3.connect(db.path) as conn:
        (found,) = conn.execute("SELECT status FROM deliveries").fetchone()
    assert found == expected.value


# -- docs/api.md ----------------------------------------------------------------------

API_MD = Path(__file__).parents[2] / "docs" / "api.md"


def test_api_md_lists_exactly_the_table_s_transitions() -> None:
    text = API_MD.read_text(encoding="utf-8")
    section = text.split("\n## Deliveries\n", 1)[1].split("\nTransitions:\n", 1)[1]
    rows = section.strip().split("\n\n", 1)[0].splitlines()[2:]  # past the header and rule
    documented: set[Move] = set()
    for row in rows:
        source_cell, target_cell, _ = row.strip("|").split("|", 2)
        sources = re.findall(r"`([A-Z]+)`", source_cell) or ["none"]
        (target,) = re.findall(r"`([A-Z]+)`", target_cell)
        documented |= moves(f"{' | '.join(sources)} -> {target}")
    assert documented == ALLOWED
