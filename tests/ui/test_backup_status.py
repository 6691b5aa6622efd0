"""The status bar's "Backup 14:00": from ``backupStatus`` of a real backend; amber when old."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import running
from tests.ui.conftest import WAIT_MS, close_window, open_window, run
from ui.controllers.backup import BackupFacts, describe
from ui.main_window import MainWindow

NOW = datetime(2026, 12, 6, 15, 0, tzinfo=UTC)


def facts(ago: timedelta | None, error: str | None = None, has_orders: bool = True) -> BackupFacts:
    return BackupFacts(None if ago is None else NOW - ago, "/data/backups", error, has_orders)


@pytest.mark.parametrize(
    ("given", "stale"),
    [
        (facts(timedelta(minutes=35)), False),
        (facts(timedelta(hours=2)), False),
        (facts(timedelta(hours=2, seconds=1)), True),
        (facts(None, has_orders=False), False),  # a new database with nothing to lose yet
        (facts(None), True),
        (facts(timedelta(minutes=5), error="the disk is full"), True),
    ],
)
def test_amber_when_older_than_two_hours_never_made_or_failed(
    given: BackupFacts, stale: bool
) -> None:
    view = describe(given, NOW)
    assert view.stale is stale
    assert "/data/backups" in view.tooltip
    if given.last_error is not None:
        assert given.last_error in view.tooltip


def test_the_time_is_local_and_the_day_is_said_when_not_today() -> None:
    made = NOW - timedelta(minutes=35)
    assert describe(facts(timedelta(minutes=35)), NOW).text == (f"Backup {made.astimezone():%H:%M}")
    old = NOW - timedelta(days=3)
    assert describe(facts(timedelta(days=3)), NOW).text == f"Backup {old.astimezone():%d %b %H:%M}"


def stale(window: MainWindow) -> bool:
    return bool(window.status.backup.property("stale"))


def test_the_status_bar_shows_the_last_backup_and_turns_amber_when_it_is_old(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    qtbot.waitUntil(lambda: backend.backups.status.last_good_at is not None, timeout=WAIT_MS)
    made = backend.backups.status.last_good_at
    assert made is not None
    run(qtbot, window.backup.refresh())
    assert window.status.backup.text() == f"Backup {made.astimezone():%H:%M}"
    assert not stale(window)
    _screenshot(window, "backup-fresh")

    # Three hours later, with no backup since: amber. (After 21:00 that is another
    # day, and the time of the backup says its day too.)
    later = made + timedelta(hours=3)
    window.backup.clock = lambda: later
    run(qtbot, window.backup.refresh())
    day = "" if later.astimezone().date() == made.astimezone().date() else "%d %b "
    assert window.status.backup.text() == f"Backup {made.astimezone().strftime(day + '%H:%M')}"
    assert stale(window)
    assert "3 h 0 min ago" in window.status.backup.toolTip()
    _screenshot(window, "backup-stale")


def test_a_failed_backup_turns_the_status_bar_amber_and_says_why(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, tmp_path: Path, settings: QSettings
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the backup folder should be")
    with running(tmp_path / "passline.db", backup_dir=blocked) as backend:
        qtbot.waitUntil(lambda: backend.backups.status.last_error is not None, timeout=WAIT_MS)
        shown = open_window(qtbot, backend.url, backend.staff_token, settings)
        try:
            qtbot.waitUntil(lambda: stale(shown), timeout=WAIT_MS)
            assert shown.status.backup.text() == "Backup: none yet"
            assert "The last backup failed" in shown.status.backup.toolTip()
            assert str(blocked) in shown.status.backup.toolTip()
        finally:
            close_window(qtbot, shown)


def _screenshot(window: MainWindow, name: str) -> None:
    """With PASSLINE_SCREENSHOTS=folder: the status bar as a person sees it."""
    folder = os.environ.get("PASSLINE_SCREENSHOTS")
    if folder:
        window.status.grab().save(str(Path(folder) / f"{name}.png"))
