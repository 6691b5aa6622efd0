"""The board's average ticket time on the real window: none before a ticket is bumped,
then the last hour's average, paid to ready, read again as tickets are bumped."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QTextLayout, QTextOption
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.ui.conftest import WAIT_MS
from tests.ui.test_board_grid import in_kitchen, rush
from ui.main_window import MainWindow


def test_the_board_shows_the_average_ticket_time_of_the_last_hour(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    header = window.board.view.counts

    def shown() -> str:  # the header as read: its unbreakable spaces are spaces
        return header.text().replace("\N{NO-BREAK SPACE}", " ")

    qtbot.waitUntil(lambda: "No ticket ready in the last hour" in shown(), timeout=WAIT_MS)
    assert shown().startswith("New  0")  # after the stage counts, on the same line
    ids = rush(backend, 2)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    assert window.board.view.select(ids[0])
    QTest.keyClick(grid, Qt.Key.Key_R)
    # Bumped seconds after it was paid: 0:0x, one ticket.
    qtbot.waitUntil(lambda: "1 ticket in the last hour" in shown(), timeout=WAIT_MS)
    assert "    Avg ticket 0:0" in shown()
    assert window.board.view.select(ids[1])
    QTest.keyClick(grid, Qt.Key.Key_R)
    qtbot.waitUntil(lambda: "2 tickets in the last hour" in shown(), timeout=WAIT_MS)


@pytest.mark.parametrize("station", [False, True], ids=["expo", "station"])
def test_the_wrapped_header_starts_no_line_with_a_separator(
    window: MainWindow, station: bool
) -> None:
    view = window.board.view
    if station:
        view.set_station(next(iter(window.station_actions.keys() - {None})))
    view.set_ticket_times(512.0, 11)  # "Avg ticket 8:32 · 11 tickets in the last hour"
    text = view.counts.text()
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    wrapped = 0
    for width in range(120, 1400, 3):
        layout = QTextLayout(text, view.counts.font())
        layout.setTextOption(option)
        layout.beginLayout()
        lines = []
        while (line := layout.createLine()).isValid():
            line.setLineWidth(width)
            lines.append(text[line.textStart() : line.textStart() + line.textLength()])
        layout.endLayout()
        wrapped += len(lines) > 1
        starts = [line.lstrip()[:1] for line in lines[1:]]
        assert "·" not in starts, (width, lines)
    assert wrapped  # the widths tried made it wrap
