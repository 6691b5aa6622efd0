"""A backend that stops answering (SIGSTOP) without dropping the connection: the window
says so within seconds, an action waits visibly then fails with a real reason, and all
comes back by itself when the backend runs again (SIGCONT)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.headless import TOKEN, listening_url, start
from tests.ui.conftest import close_window, open_window, run
from ui import client as client_module
from ui.client import GraphQLError
from ui.main_window import MainWindow

NOTICED_MS = 15_000  # ping interval + pong timeout, with room for a loaded machine


@pytest.fixture
def headless(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = start(tmp_path / "passline.db")
    yield process
    process.send_signal(signal.SIGCONT)
    process.send_signal(signal.SIGTERM)
    try:
        process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


@pytest.fixture
def window(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    headless: subprocess.Popen[str],
    settings: QSettings,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[MainWindow]:
    # An action's wait is cut short so that the test need not sit out the full 10 s.
    monkeypatch.setattr(client_module, "REQUEST_TIMEOUT_SECONDS", 2.0)
    shown = open_window(qtbot, listening_url(headless), TOKEN, settings)
    yield shown
    close_window(qtbot, shown)


def test_a_frozen_backend_shows_not_responding_and_recovers_by_itself(
    qtbot: QtBot, window: MainWindow, headless: subprocess.Popen[str]
) -> None:
    qtbot.waitUntil(lambda: window.client.state == "connected")
    qtbot.waitUntil(lambda: window.client.idle)  # the window's first reads are answered
    busy: list[bool] = []
    window.client.busyChanged.connect(busy.append)
    # What the status bar says each time (the window's own slot ran first).
    label = window.status.waiting
    shown: list[str] = []
    window.client.busyChanged.connect(
        lambda _: shown.append(label.text() if label.isVisibleTo(window) else "")
    )

    headless.send_signal(signal.SIGSTOP)
    qtbot.waitUntil(lambda: window.client.state == "unresponsive", timeout=NOTICED_MS)
    assert window.status.connection.text() == "Not responding"
    assert "has not answered" in window.status.connection.toolTip()

    with pytest.raises(GraphQLError) as failed:
        run(qtbot, window.client.execute("{ menu { id } }"))
    # The reason names what happened; never "cannot reach the backend:" and nothing more.
    assert failed.value.message.startswith("cannot reach the backend: ReadTimeout")
    assert busy == [True, False]
    assert shown == ["Waiting for the backend…", ""]
    assert QApplication.overrideCursor() is None  # the busy cursor went with the wait

    headless.send_signal(signal.SIGCONT)
    qtbot.waitUntil(lambda: window.client.state == "connected", timeout=NOTICED_MS)
    assert window.status.connection.text() == "Connected"
    assert run(qtbot, window.client.execute("{ menu { id } }"))["menu"]


def test_a_window_closed_while_an_action_waits_gives_the_busy_cursor_back(
    qtbot: QtBot, window: MainWindow, headless: subprocess.Popen[str]
) -> None:
    qtbot.waitUntil(lambda: window.client.idle)
    headless.send_signal(signal.SIGSTOP)
    waiting = asyncio.ensure_future(window.client.execute("{ menu { id } }"))
    qtbot.waitUntil(lambda: QApplication.overrideCursor() is not None)

    window.close()
    assert QApplication.overrideCursor() is None
    with pytest.raises(GraphQLError):  # the wait ends as it would have; no cursor comes back
        run(qtbot, waiting)
    assert QApplication.overrideCursor() is None
    headless.send_signal(signal.SIGCONT)  # the WebSocket's goodbye is answered, not timed out


def test_an_error_is_never_described_by_nothing() -> None:
    assert client_module.describe(TimeoutError()) == "TimeoutError"
    assert client_module.describe(OSError("refused")) == "OSError: refused"
