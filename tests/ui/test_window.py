"""The window around the board: cancelling with a reason, an order's detail, the alert
for a new order, the status bar, and what it remembers between runs."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import PLACE_ORDER, order_input
from tests.ui.conftest import WAIT_MS, close_window, open_window
from ui.main_window import MainWindow
from ui.models.stages import Action, Stage, Status
from ui.views.order_card import Style, card_lines


def place(backend: Backend, *lines: tuple[str, int], **extra: str) -> str:
    answer = httpx.post(
        backend.url,
        json={"query": PLACE_ORDER, "variables": {"input": order_input(*lines, **extra)}},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()
    assert "errors" not in answer, answer
    return str(answer["data"]["placeOrder"]["order"]["id"])


def test_delete_on_a_card_asks_why_then_cancels(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    order_id = place(backend, ("burger", 1))
    model = window.board.model
    qtbot.waitUntil(lambda: model.get(order_id) is not None, timeout=WAIT_MS)
    assert window.board.view.select(order_id)
    QTest.keyClick(window.board.view.grid, Qt.Key.Key_Delete)
    dialog = window.board.cancel_dialog
    assert dialog is not None and dialog.isVisible() and not dialog.confirm.isEnabled()
    reason = dialog.reason.lineEdit()
    assert reason is not None
    QTest.keyClicks(reason, "Customer called to cancel")
    assert dialog.confirm.isEnabled()
    QTest.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: model.get(order_id).status is Status.CANCELLED,  # type: ignore[union-attr]
        timeout=WAIT_MS,
    )
    assert window.board.view.proxies[Stage.DONE].rowCount() == 1
    cancelled = model.get(order_id)
    assert cancelled is not None and cancelled.reason == "Customer called to cancel"
    # The Done card says why.
    assert ("Cancelled: Customer called to cancel", Style.ALERT) in [
        (line.text, line.style) for line in card_lines(cancelled)
    ]


def test_double_click_opens_the_order_with_its_history(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    order_id = place(backend, ("margherita", 2), customerName="Ada")
    model = window.board.model
    qtbot.waitUntil(
        lambda: getattr(model.get(order_id), "status", None) is Status.IN_KITCHEN,
        timeout=WAIT_MS,
    )
    found = window.board.view.card_center(order_id)
    assert found is not None
    grid, center = found
    QTest.mouseDClick(grid, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, center)
    detail = window.details[order_id]
    qtbot.waitUntil(lambda: detail.history.rowCount() >= 8, timeout=WAIT_MS)
    assert detail.view.isVisible()
    assert detail.view.fields["customer"].text() == "Ada"
    assert detail.lines.rowCount() == 1
    events = [detail.history.index(r, 2).data() for r in range(detail.history.rowCount())]
    assert events[:2] == ["order placed", "    → validate_order"]
    assert "order in kitchen" in events
    # Every column is as wide as what it holds (the last error's takes the rest).
    table = detail.view.history_table
    assert all(table.columnWidth(c) >= table.sizeHintForColumn(c) for c in range(5))
    # From the detail: its actions (as on the card), and the ticket again.
    shown = [
        a for a, button in detail.view.action_buttons.items() if button.isVisibleTo(detail.view)
    ]
    assert shown == [Action.MARK_READY, Action.CANCEL]
    assert detail.view.reprint.isVisibleTo(detail.view)
    tickets = backend.settings.db_path.parent / "tickets"
    qtbot.waitUntil(lambda: len(list(tickets.glob("*.txt"))) == 1, timeout=WAIT_MS)
    detail.view.reprint.click()
    qtbot.waitUntil(lambda: len(list(tickets.glob("*.txt"))) == 2, timeout=WAIT_MS)
    assert any("(REPRINT)" in ticket.read_text() for ticket in tickets.glob("*.txt"))
    detail.view.action_buttons[Action.MARK_READY].click()
    qtbot.waitUntil(
        lambda: getattr(model.get(order_id), "status", None) is Status.READY, timeout=WAIT_MS
    )
    qtbot.waitUntil(
        lambda: detail.view.action_buttons[Action.COMPLETE].isVisibleTo(detail.view),
        timeout=WAIT_MS,
    )
    detail.view.reject()
    qtbot.waitUntil(lambda: order_id not in window.details, timeout=WAIT_MS)


def test_closing_an_order_detail_drops_its_read_in_flight(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    order_id = place(backend, ("burger", 1))
    detail = window.open_detail(order_id)
    qtbot.waitUntil(lambda: detail.history.rowCount() >= 1, timeout=WAIT_MS)
    # A change arrives and the detail reads the order again; staff close it meanwhile.
    reading = detail.tasks.spawn(detail.read())
    detail.view.reject()
    # The answer has no dialog to go to (its widgets are being deleted): the read is
    # cancelled rather than let loose on them, which pytest-qt would report as an error.
    qtbot.waitUntil(reading.done, timeout=WAIT_MS)
    assert reading.cancelled()
    assert order_id not in window.details


def test_a_new_order_chimes_and_blinks_the_backlog_shows(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    plays = window.chime.plays
    order_id = place(backend, ("fries", 1))
    qtbot.waitUntil(lambda: window.chime.plays == plays + 1, timeout=WAIT_MS)
    assert order_id in window.board.view.delegate.flash_until
    qtbot.waitUntil(lambda: window.status.backlog.text() == "Backlog: 0 waiting", timeout=WAIT_MS)
    assert window.status.connection.text() == "Connected"
    assert window.status.backend.text().startswith("Test backend · http://127.0.0.1:")


def test_the_window_remembers_its_layout(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, backend: Backend, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "remembered.ini"), QSettings.Format.IniFormat)
    first = open_window(qtbot, backend.url, STAFF_TOKEN, settings)
    first.resize(640, 480)  # smaller than the offscreen screen (800x600), or Qt trims it
    size = (first.width(), first.height())
    first.toggle_theme()
    first.show_done_action.trigger()
    first.set_grace(9)
    close_window(qtbot, first)
    second = open_window(qtbot, backend.url, STAFF_TOKEN, settings)
    try:
        # As left, unless the window needs more room than that.
        assert second.height() == size[1]
        assert second.width() == max(size[0], second.minimumSizeHint().width())
        assert second.theme == "dark"
        assert second.board.view.done_visible
        assert second.grace_minutes == 9
        assert second.board.view.delegate.targets.grace_seconds == 540.0
    finally:
        second.set_theme("light")
        close_window(qtbot, second)


def test_help_lists_the_shortcuts(qtbot: QtBot, window: MainWindow) -> None:
    QTest.keyClick(window, Qt.Key.Key_F1)
    dialogs = [w for w in QApplication.topLevelWidgets() if w.windowTitle() == "Keyboard shortcuts"]
    assert dialogs and dialogs[0].isVisible()
    text = dialogs[0].findChildren(type(window.status.backend))[0].text()
    for keys in ("F2", "Ctrl+D", "Ctrl+Enter", "Del"):
        assert f"<b>{keys}</b>" in text
    dialogs[0].close()


def test_an_empty_board_says_what_to_do_until_an_order_comes(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    hint = window.board.view.hint
    qtbot.waitUntil(hint.isVisible)
    assert "F2" in hint.text() and "--demo" in hint.text() and "Customer page" in hint.text()
    board = window.board.view.rect()
    assert board.contains(hint.geometry())  # whole, over the board

    place(backend, ("fries", 1))
    qtbot.waitUntil(lambda: bool(window.board.model.orders), timeout=WAIT_MS)
    assert not hint.isVisible()


def test_the_detail_completes_an_order_and_cancels_another_with_its_reason(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    done_id = place(backend, ("margherita", 1))
    cancel_id = place(backend, ("margherita", 1))
    model = window.board.model

    def status(order_id: str) -> Status | None:
        return getattr(model.get(order_id), "status", None)

    qtbot.waitUntil(lambda: status(done_id) is Status.IN_KITCHEN, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: status(cancel_id) is Status.IN_KITCHEN, timeout=WAIT_MS)

    # Ready, then Complete, from the detail's buttons.
    detail = window.open_detail(done_id)
    buttons = detail.view.action_buttons
    qtbot.waitUntil(lambda: buttons[Action.MARK_READY].isVisibleTo(detail.view), timeout=WAIT_MS)
    buttons[Action.MARK_READY].click()
    qtbot.waitUntil(lambda: status(done_id) is Status.READY, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: buttons[Action.COMPLETE].isVisibleTo(detail.view), timeout=WAIT_MS)
    buttons[Action.COMPLETE].click()
    qtbot.waitUntil(lambda: status(done_id) is Status.COMPLETED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: detail.view.fields["status"].text() == "Completed", timeout=WAIT_MS)
    assert not any(b.isVisibleTo(detail.view) for b in buttons.values())  # nothing left to do
    detail.view.reject()

    # Cancel asks why (the card's dialog); the detail then shows the reason.
    other = window.open_detail(cancel_id)
    cancel = other.view.action_buttons[Action.CANCEL]
    qtbot.waitUntil(lambda: cancel.isVisibleTo(other.view), timeout=WAIT_MS)
    assert not other.view.facts.isRowVisible(other.view.fields["reason"])
    cancel.click()
    dialog = window.board.cancel_dialog
    assert dialog is not None and dialog.isVisible()
    reason = dialog.reason.lineEdit()
    assert reason is not None
    QTest.keyClicks(reason, "Out of buns")
    QTest.mouseClick(dialog.confirm, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: status(cancel_id) is Status.CANCELLED, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: other.view.fields["reason"].text() == "Out of buns", timeout=WAIT_MS)
    assert other.view.facts.isRowVisible(other.view.fields["reason"])
    other.view.reject()
