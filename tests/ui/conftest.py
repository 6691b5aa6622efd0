"""UI fixtures: a qasync loop on the test's QApplication, and the real window.

The loop is installed as "already running": Qt's own event processing (qtbot's waits)
drives it, so the client's coroutines run while a test waits on a signal or condition,
and no test ever blocks inside a coroutine.
"""

from __future__ import annotations

import os

# No display on CI or the developers' machines: the real window, drawn offscreen.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import asyncio
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest
import qasync
import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.ui._asyncio import mark_running
from ui.app import dispose
from ui.client import GraphQLClient
from ui.main_window import MainWindow
from ui.sound import Chime
from ui.tasks import spawn
from ui.views import toast

T = TypeVar("T")
WAIT_MS = 10_000

_open_windows: list[MainWindow] = []  # opened by open_window, closed by qloop at the latest


@pytest.fixture(autouse=True)
def _patient_toast(monkeypatch: pytest.MonkeyPatch) -> None:
    """The Undo toast outlives a loaded CI machine's waits (its own test shortens it)."""
    monkeypatch.setattr(toast, "UNDO_SECONDS", 120.0)


@pytest.fixture(scope="session", autouse=True)
def _private_settings(tmp_path_factory: pytest.TempPathFactory) -> None:
    """QSettings() of the code under test write to a temporary folder, not the user's."""
    folder = str(tmp_path_factory.mktemp("qsettings"))
    for kind in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(kind, QSettings.Scope.UserScope, folder)
        QSettings.setPath(kind, QSettings.Scope.SystemScope, folder)


@pytest.fixture(scope="session")
def _session_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    # One loop for the whole session: a qasync loop stopped on a QApplication calls
    # QApplication.exit(), after which a second loop on it never runs a callback.
    loop: asyncio.AbstractEventLoop = qasync.QEventLoop(qapp, already_running=True)
    mark_running(None)  # the constructor marks it running; qloop does
    yield loop
    loop.stop()
    loop.close()


@pytest.fixture
def qloop(
    qtbot: QtBot, _session_loop: asyncio.AbstractEventLoop
) -> Iterator[asyncio.AbstractEventLoop]:
    """The qasync loop, running while the test waits; the test's leftover tasks are
    cancelled (and allowed to finish cancelling) at its end."""
    loop = _session_loop
    mark_running(loop)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        # A window the test left open (it failed halfway) goes as the app lets it go.
        while _open_windows:
            window = _open_windows.pop()
            if shiboken6.isValid(window):
                close_window(qtbot, window)
        pending = [task for task in asyncio.all_tasks(loop) if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            qtbot.waitUntil(lambda: all(task.done() for task in pending), timeout=WAIT_MS)
        # Tests outside tests/ui run their own asyncio loops (pytest-asyncio).
        mark_running(None)
        asyncio.set_event_loop(None)


def run(qtbot: QtBot, awaitable: Awaitable[T], timeout_ms: int = WAIT_MS) -> T:
    """Run a coroutine on the qasync loop while Qt keeps processing events; its result."""
    task: asyncio.Future[T] = asyncio.ensure_future(awaitable)
    qtbot.waitUntil(task.done, timeout=timeout_ms)
    return task.result()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    """The window's remembered layout, in a file of the test's own."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def open_window(
    qtbot: QtBot, url: str, token: str | None, settings: QSettings, station: str | None = None
) -> MainWindow:
    """A window as ``main.py`` opens it (``station``: its ``--station``)."""
    client = GraphQLClient(url, token)
    window = MainWindow(client, f"Test backend · {url}", settings, chime=Chime(), station=station)
    # Not qtbot.addWidget: pytest-qt would close() it again after close_window deleted it.
    _open_windows.append(window)
    window.show()
    run(qtbot, client.start())
    spawn(window.start())
    qtbot.waitUntil(lambda: window.board.is_loaded, timeout=WAIT_MS)
    return window


def close_window(qtbot: QtBot, window: MainWindow) -> None:
    """As the app does: close, disconnect, end every task, and only then destroy the
    window."""
    window.close()
    run(qtbot, window.client.close())
    run(qtbot, dispose(window))


@pytest.fixture
def window(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, backend: Backend, settings: QSettings
) -> Iterator[MainWindow]:
    """The real window, connected to a real embedded backend on a temporary database."""
    shown = open_window(qtbot, backend.url, backend.staff_token, settings)
    yield shown
    close_window(qtbot, shown)


@pytest.fixture
def second_window(
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    backend: Backend,
    window: MainWindow,
    tmp_path: Path,
) -> MainWindow:
    """Another terminal on the same backend, with settings of its own (qloop closes it)."""
    settings = QSettings(str(tmp_path / "second.ini"), QSettings.Format.IniFormat)
    return open_window(qtbot, backend.url, backend.staff_token, settings)
