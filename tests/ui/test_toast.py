"""The Undo toast offers its action for a while, then gets out of the way."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.ui.conftest import WAIT_MS
from ui.views import toast
from ui.views.toast import UndoToast


def test_the_toast_hides_itself_after_its_time(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(toast, "UNDO_SECONDS", 0.05)
    board = QWidget()
    qtbot.addWidget(board)
    board.resize(800, 600)
    board.show()
    notice = UndoToast(board)
    notice.show_for("order-1", "#12 is ready")
    assert notice.isVisible() and notice.text.text() == "#12 is ready"
    qtbot.waitUntil(lambda: not notice.isVisible(), timeout=WAIT_MS)


def test_undo_hides_the_toast_and_names_its_order(qtbot: QtBot) -> None:
    board = QWidget()
    qtbot.addWidget(board)
    board.show()
    notice = UndoToast(board)
    notice.show_for("order-7", "#7 is ready")
    with qtbot.waitSignal(notice.undoRequested, timeout=WAIT_MS) as said:
        QTest.mouseClick(notice.undo, Qt.MouseButton.LeftButton)
    assert said.args == ["order-7"]
    assert not notice.isVisible()
