"""``--connect`` without a valid staff token: the window asks for it (saying where it is),
says "Not signed in" until the backend accepts one, tells the server's reason for a
wrong one, and remembers it per backend when asked."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from ui.app import DashboardConfig, serve
from ui.controllers.sign_in import remembered_token
from ui.main_window import MainWindow
from ui.views.token_dialog import TokenDialog

WAIT_MS = 10_000


def shown(kind: type[QWidget]) -> list[QWidget]:
    return [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def dialog(qtbot: QtBot) -> TokenDialog:
    qtbot.waitUntil(lambda: bool(shown(TokenDialog)), timeout=WAIT_MS)
    (found,) = shown(TokenDialog)
    assert isinstance(found, TokenDialog)
    return found


def window() -> MainWindow:
    (found,) = shown(MainWindow)
    assert isinstance(found, MainWindow)
    return found


def test_a_token_is_asked_for_until_accepted_then_remembered(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, backend: Backend, settings: QSettings
) -> None:
    config = DashboardConfig(backend.url, None, f"Remote backend · {backend.url}")
    run = asyncio.ensure_future(serve(config, settings))

    asked = dialog(qtbot)
    assert window().status.connection.text() == "Not signed in"
    assert "staff-token" in asked.intro.text()  # where to find it
    asked.token.setText("not-the-token")
    asked.remember.setChecked(True)
    asked.sign_in.click()

    again = dialog(qtbot)  # asked again, with the backend's reason
    assert again.reason.isVisible()
    assert "the token is not valid" in again.reason.text()
    assert window().status.connection.text() == "Not signed in"
    assert remembered_token(settings, backend.url) is None  # a refused token is not kept
    again.token.setText(backend.staff_token)
    again.remember.setChecked(True)
    again.sign_in.click()

    qtbot.waitUntil(lambda: window().board.is_loaded, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window().client.state == "connected", timeout=WAIT_MS)
    assert window().status.connection.text() == "Connected"
    assert remembered_token(settings, backend.url) == backend.staff_token
    assert stat.S_IMODE(os.stat(settings.fileName()).st_mode) == 0o600
    window().close()
    qtbot.waitUntil(run.done, timeout=WAIT_MS)
    assert run.result() == 0

    # Next time: straight in with the remembered token, no dialog.
    run = asyncio.ensure_future(serve(config, settings))
    qtbot.waitUntil(lambda: bool(shown(MainWindow)), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window().board.is_loaded, timeout=WAIT_MS)
    assert not shown(TokenDialog)
    window().close()
    qtbot.waitUntil(run.done, timeout=WAIT_MS)


def test_giving_up_closes_the_window(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, backend: Backend, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat)
    run = asyncio.ensure_future(serve(DashboardConfig(backend.url, None, "Remote"), settings))
    dialog(qtbot).reject()
    qtbot.waitUntil(run.done, timeout=WAIT_MS)
    assert run.result() == 0
    assert not shown(MainWindow)
