"""The board's average ticket time on the real window: none before a ticket is bumped,
then the last hour's average, paid to ready, read again as tickets are bumped."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.ui.conftest import WAIT_MS
from tests.ui.test_board_grid import in_kitchen, rush
from ui.main_window import MainWindow


def test_the_board_shows_the_average_ticket_time_of_the_last_hour(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    label = window.board.view.ticket_times
    qtbot.waitUntil(lambda: label.text() == "No ticket ready in the last hour", timeout=WAIT_MS)
    ids = rush(backend, 2)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    assert window.board.view.select(ids[0])
    QTest.keyClick(grid, Qt.Key.Key_R)
    # Bumped seconds after it was paid: 0:0x, one ticket.
    qtbot.waitUntil(lambda: "1 ticket in the last hour" in label.text(), timeout=WAIT_MS)
    assert label.text().startswith("Avg ticket 0:0")
    assert window.board.view.select(ids[1])
    QTest.keyClick(grid, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: "2 tickets in the last hour" in label.text(), timeout=WAIT_MS)
