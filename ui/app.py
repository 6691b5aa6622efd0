"""Runs the dashboard: a QApplication with a qasync loop, the window, the client.

The backend (embedded or remote) is started by ``main.py``; this module only needs
its URL and the staff token, and never imports the backend.
"""

from __future__ import annotations

import asyncio
import gc
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import qasync
import shiboken6
from PySide6.QtCore import QSettings
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMessageBox

from clients.graphql import describe
from ui.client import GraphQLClient
from ui.controllers.sign_in import sign_in
from ui.main_window import MainWindow
from ui.resources import app_icon
from ui.tasks import spawn

APP_NAME = "Passline"
STARTUP_FAILED = 2  # exit status when the embedded backend cannot start
BASE_FONT_POINTS = 11  # read from a step away


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """Where the backend is, and how the status bar names it.

    With ``start_backend``, the backend is not running yet: the window shows first, then
    ``start_backend()`` runs on a worker thread and returns the backend's URL and token
    (or raises why it cannot start). Staff see the window in well under the time the
    backend's imports and start take.
    """

    url: str
    token: str | None
    backend_label: str
    start_backend: Callable[[], tuple[str, str | None]] | None = None
    title: str = APP_NAME
    station: str | None = None  # --station: this terminal shows one station's lines


def application(argv: list[str] | None = None) -> QApplication:
    """The QApplication, created once, named for QSettings, with the icon and base font."""
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setWindowIcon(app_icon())
    font = QFont(app.font())
    font.setPointSize(BASE_FONT_POINTS)
    app.setFont(font)
    return app


async def serve(config: DashboardConfig, settings: QSettings | None = None) -> int:
    """Show the window, connect, and run until the window is closed; the exit status."""
    client = GraphQLClient(config.url, config.token)
    window = MainWindow(client, config.backend_label, settings, station=config.station)
    window.setWindowTitle(config.title)
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    previous = _close_on_signals(window)
    status = 0
    if config.start_backend is not None:
        window.status.set_connection("connecting", "Starting the embedded backend")
        try:
            client.retarget(*await asyncio.to_thread(config.start_backend))
        except Exception as exc:
            status = STARTUP_FAILED
            # The child's own line says why; an exception without words, its type.
            message = f"The backend cannot start: {str(exc).strip() or describe(exc)}"
            print(f"passline: {message}", file=sys.stderr)
            window.status.set_connection("offline", message)
            show_error(window, message)
    if status == 0:
        remote = config.start_backend is None
        if remote and not await sign_in(window, window.status, client, window.settings):
            window.close()
        else:
            await client.start()
            spawn(window.start())
    await closed.wait()
    for signum, handler in previous.items():
        signal.signal(signum, handler)
    await client.close()
    await dispose(window)
    return status


def _close_on_signals(window: MainWindow) -> dict[int, Any]:
    """Ctrl+C or SIGTERM closes the window like its close button (the backend then stops
    cleanly); the handlers they replace, to put back."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous: dict[int, Any] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, lambda *_: window.close())
    return previous


def show_error(window: MainWindow, message: str) -> QMessageBox:
    """A message over the window that does not block the loop (``open()``, not ``exec()``)."""
    box = QMessageBox(QMessageBox.Icon.Critical, "Passline", message, parent=window)
    box.setInformativeText("Close the window, fix the cause (see the message), start again.")
    box.open()
    return box


async def dispose(window: MainWindow) -> None:
    """End what is still running, then destroy the window (and every controller under
    it): nothing may touch a destroyed widget, nor run once the loop is gone."""
    await cancel_tasks()
    if not shiboken6.isValid(window):
        return
    gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def destroyed() -> None:
        if not gone.done():
            gone.set_result(None)

    window.destroyed.connect(destroyed)
    window.deleteLater()
    await gone


async def cancel_tasks() -> None:
    """Cancel every other task on the loop and wait until they have all ended."""
    current = asyncio.current_task()
    rest = [task for task in asyncio.all_tasks() if task is not current]
    for task in rest:
        task.cancel()
    await asyncio.gather(*rest, return_exceptions=True)


def run(config: DashboardConfig, argv: list[str] | None = None) -> int:
    """The dashboard's main loop (blocks until the window closes); the exit status."""
    app = application(argv)
    # The loop ends when the window says so (after cleanup), not when Qt sees no window.
    app.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            status: int = loop.run_until_complete(serve(config))
    finally:
        asyncio.set_event_loop(None)
        del loop
        # The closed loop's Qt timer object sits in reference cycles. Collect them here,
        # on the Qt thread: a collection on another thread (the backend's) would destroy
        # it there, leaving its timers registered on this thread, and a crash behind.
        gc.collect()
    return status
