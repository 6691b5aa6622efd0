"""The Handlers tab's day: the chart draws the server's figures by the minute (so a
window opened later shows what happened before it), for the last hour or the day,
and the table shows each handler's attempts since its first."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from backend.database import Tx
from backend.embedded import Backend
from backend.outbox import emit
from backend.sql_blocks import SQL
from tests.conftest import running
from tests.ui.panels import click, handlers, wait_for
from ui.main_window import MainWindow
from ui.models.handlers import DAY_MINUTES, HANDLER_COLUMNS, Span

HANDLERS = ("validate_order", "send_to_kitchen")
# Seeding only: events are append-only, so no statement of the backend moves one.
PAST_TIME = "UPDATE events SET created_at = :at WHERE seq = :seq"
DONE = "UPDATE deliveries SET status = 'SUCCEEDED', attempts = 1"


# The seed's minute, set when it is written: every figure is counted from it, never
# from the wall clock at the check, which may be a minute or two later.
ANCHOR: list[datetime] = []
# Minutes ago that get events: none near the ends of the hour and of the day, so a
# check a minute or two after the seed still sees each event on the same side of them.
SEEDED_MINUTES = [m for m in range(3, DAY_MINUTES - 3) if not 57 <= m <= 63]


def busy(minutes_ago: int) -> int:
    """Events in that minute: a lunch and a dinner peak, quiet at night."""
    hour = (ANCHOR[0] - timedelta(minutes=minutes_ago)).hour
    return round(3 + 3 * math.sin(minutes_ago / 90) + (4 if hour in (12, 13, 19, 20) else 0))


def failing(seq: int) -> bool:
    return seq % 23 == 0


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    """A day of events, each delivered to two handlers (one attempt each), in the past."""
    with running(db_path) as server:
        ANCHOR[:] = [datetime.now(UTC).replace(second=0, microsecond=0)]

        def day(tx: Tx) -> None:
            inner = Tx(tx.conn, {"seeded": HANDLERS})  # its facts reach no one
            for minutes_ago in reversed(SEEDED_MINUTES):
                for n in range(busy(minutes_ago)):  # n < 60: each in its own minute
                    at = ANCHOR[0] - timedelta(minutes=minutes_ago, seconds=-n)
                    seq = emit(inner, "seeded", {"n": n}).seq
                    tx.execute(PAST_TIME, {"seq": seq, "at": at.isoformat()})
                    for attempt, handler in enumerate(HANDLERS):
                        outcome = "FAILED" if failing(seq) and attempt else "SUCCEEDED"
                        tx.execute(
                            SQL.insert_invocation,
                            {
                                "event_seq": seq,
                                "handler": handler,
                                "attempt": 1,
                                "started_at": at.isoformat(),
                                "duration_ms": 5.0,
                                "outcome": outcome,
                                "error": None if outcome == "SUCCEEDED" else "ticket printer off",
                                "traceback": None,
                            },
                        )
            tx.execute(DONE)

        server.call(server.db.write(day), timeout=120)
        yield server


def test_the_chart_shows_the_day_before_the_window_opened(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    panel = handlers(window)
    window.tabs.setCurrentWidget(panel.view)
    seeded = sum(busy(m) for m in SEEDED_MINUTES)
    last_hour = sum(busy(m) for m in SEEDED_MINUTES if m < 60)
    wait_for(qtbot, lambda: sum(panel.throughput.series(panel.clock(), DAY_MINUTES)[0]) == seeded)
    events, failures = panel.throughput.series(panel.clock(), 60)
    assert sum(events) == last_hour and sum(failures) > 0
    assert panel.view.chart.span == Span.HOUR and len(panel.view.chart.rates()[0]) == 60

    click(panel.view.day_button)
    assert panel.view.chart.span == Span.DAY  # type: ignore[comparison-overlap]
    assert len(panel.view.chart.rates()[0]) == DAY_MINUTES // Span.DAY.bucket

    wait_for(qtbot, lambda: panel.model.get("send_to_kitchen"))
    kitchen = panel.model.get("send_to_kitchen")
    assert kitchen is not None and kitchen.lifetime_attempts == seeded
    assert kitchen.lifetime_failed == sum(1 for s in range(1, seeded + 1) if failing(s))
    panel.view.select("send_to_kitchen")
    failed = sum(1 for s in range(1, seeded + 1) if failing(s))
    assert panel.view.lifetime.text() == (
        f"send_to_kitchen ever: {seeded:,} attempts, {failed:,} failed"
    )
    # Every column is on screen: no horizontal scroll bar hides the last ones.
    window.resize(1600, 1000)
    table = panel.view.table
    wait_for(qtbot, table.isVisible)
    header = table.horizontalHeader()
    assert header.length() <= table.viewport().width()
    assert [c.title for c in HANDLER_COLUMNS][-1] == "Last error"

    window.resize(1400, 900)
    panel.view.chart.repaint()
    assert window.grab().save(str(tmp_path / "handlers-today.png"))
