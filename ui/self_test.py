"""``--self-test``'s look at the window: the real main window on the backend under test
shows the order's card on the board (offscreen unless ``QT_QPA_PLATFORM`` says otherwise).

The rest of the self-test is a plain API client (``clients/self_test.py``); this is the
part that needs Qt.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QMessageLogContext, QTimer, QtMsgType, qInstallMessageHandler

from clients.self_test import SELF_TEST_TIMEOUT_SECONDS, Mark, SelfTestError
from ui.app import DashboardConfig, application, run
from ui.main_window import MainWindow

POLL_MS = 20


def check_window(url: str, token: str, order_id: str, mark: Mark) -> None:
    """Open the real main window on the backend; check the order's card is on the board."""
    # Qt's own chatter (the offscreen plugin's "does not support propagateSizeHints()")
    # is no verdict: it is kept, and shown only with a failure it may explain.
    qt_messages: list[str] = []

    def keep(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
        if kind != QtMsgType.QtDebugMsg:
            qt_messages.append(message)

    previous = qInstallMessageHandler(keep)
    try:
        _check_board(url, token, order_id, mark)
    except SelfTestError as exc:
        said = f" (Qt said: {'; '.join(dict.fromkeys(qt_messages))})" if qt_messages else ""
        raise SelfTestError(f"{exc}{said}") from exc
    finally:
        qInstallMessageHandler(previous)


def _check_board(url: str, token: str, order_id: str, mark: Mark) -> None:
    app = application()
    problems: list[str] = []
    seen: list[str] = []
    deadline = time.monotonic() + SELF_TEST_TIMEOUT_SECONDS

    def check() -> None:
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        try:
            if windows and not seen:
                seen.append("shown")
                mark("window shown")
            if windows and card_on_board(windows[0], order_id):
                mark("card on the board")
                windows[0].close()
                return
        except Exception as exc:
            problems.append(f"checking the window failed: {type(exc).__name__}: {exc}")
        if problems or time.monotonic() > deadline:
            if not problems:
                state = windows[0].client.state if windows else "no window shown"
                problems.append(
                    f"the order's card was not on the board within "
                    f"{SELF_TEST_TIMEOUT_SECONDS:g} s (connection: {state})"
                )
            for window in windows:
                window.close()
            if not windows:
                app.quit()
            return
        QTimer.singleShot(POLL_MS, check)

    QTimer.singleShot(0, check)
    try:
        status = run(DashboardConfig(url, token, "Self-test"))
    except Exception as exc:
        raise SelfTestError(f"the window failed: {type(exc).__name__}: {exc}") from exc
    if problems:
        raise SelfTestError("; ".join(problems))
    if status != 0:
        raise SelfTestError(f"the window ended with status {status}")


def card_on_board(window: MainWindow, order_id: str) -> bool:
    order = window.board.model.get(order_id)
    if order is None or order.status.value != "IN_KITCHEN":
        return False
    return window.board.view.card_center(order_id) is not None
