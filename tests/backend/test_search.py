"""The search's words as an FTS5 query, and the index built for a database of before."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from backend import activity, events
from backend.errors import BadUserInput
from backend.search import MAX_SEARCH_CHARS, fts_query, narrowed
from backend.sql_blocks import migrations
from tests.backend.pipeline_store import open_db, rows


@pytest.mark.parametrize(
    ("text", "query"),
    [
        ("Zoë", '"Zoë"*'),
        ("  ada   lovelace ", '"ada"* AND "lovelace"*'),
        ("#42", 'number : "42"'),
        ("42", 'number : "42"'),
        ("tray 3", '"tray"* AND "3"*'),
        ("jam #3", '"jam"* AND number : "3"'),
        ("447700900", '(number : "447700900" OR "447700900"*)'),
        ('say "hi" - NEAR(', '"say"* AND """hi"""* AND "NEAR("*'),
    ],
)
def test_words_become_prefix_phrases_and_numbers_order_numbers(text: str, query: str) -> None:
    assert fts_query(text) == query


@pytest.mark.parametrize("text", ["", "  ", "# - *", "x" * (MAX_SEARCH_CHARS + 1), "a " * 11])
def test_a_search_with_nothing_to_find_or_too_much_is_refused(text: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        fts_query(text)
    assert refused.value.field == "search"


def test_the_type_and_handler_filters_narrow_the_index_walk() -> None:
    query = fts_query("fries")
    assert narrowed(query, type=None, handler=None) == '("fries"*)'
    assert narrowed(query, type="order_paid", handler='odd"name') == (
        '("fries"*) AND body : "order_paid" AND deliveries : "odd""name"'
    )
    assert narrowed(query, type="!!", handler=None) == '("fries"*)'  # no word to ask for


def schema_3(path: Path) -> None:
    """A database as Passline left it at schema 3: an order's event, delivered twice,
    with a failed attempt, and an event of no order."""
    with sqlite3.connect(path, isolation_level=None) as conn:
        for _number, script in migrations()[:3]:
            conn.executescript("BEGIN;\n" + script + "\nCOMMIT;")
        at = "2026-01-01T12:00:00+00:00"
        conn.execute(
            "INSERT INTO orders (id, number, status, channel, fulfillment, total_cents, "
            "created_at, updated_at) VALUES ('o1', 42, 'PLACED', 'WEB', 'TAKEAWAY', 0, ?, ?)",
            (at, at),
        )
        conn.executemany(
            "INSERT INTO events (seq, id, type, order_id, payload, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, "e1", "order_placed", "o1", '{"order":{"customerName":"Zoë Q"}}', at),
                (2, "e2", "menu_changed", None, '{"items":["fries"]}', at),
            ],
        )
        conn.executemany(
            "INSERT INTO deliveries (event_seq, handler, status, attempts, next_attempt_at) "
            "VALUES (1, ?, 'SUCCEEDED', 1, 0)",
            [("printer",), ("ledger",)],
        )
        conn.executemany(
            "INSERT INTO invocations (event_seq, handler, attempt, started_at, duration_ms, "
            "outcome, error) VALUES (1, ?, ?, ?, 1.0, ?, ?)",
            [
                ("printer", 1, at, "FAILED", "PaperJam: tray 3"),
                ("printer", 2, at, "SUCCEEDED", None),
                ("ledger", 1, at, "SUCCEEDED", None),
            ],
        )
    conn.close()


async def test_an_existing_history_is_indexed_and_counted_by_the_upgrade(db_path: Path) -> None:
    schema_3(db_path)
    async with open_db(db_path) as db:
        assert rows(db, "PRAGMA user_version") == [(len(migrations()),)]

        def found(text: str) -> list[int]:
            query = fts_query(text)
            return [e.seq for e in db.read_now(lambda c: events.list_events(c, search=query))]

        for text in ("zoe", "#42", "42", "printer", "ledger", "paperjam tray", "placed"):
            assert found(text) == [1], text
        assert found("fries") == [2]
        assert found("customername") == []  # a payload's keys are not searched
        lifetimes = db.read_now(activity.lifetimes)
        assert lifetimes == {
            "printer": activity.Lifetime(attempts=2, succeeded=1, failed=1),
            "ledger": activity.Lifetime(attempts=1, succeeded=1, failed=0),
        }
