"""The handlers panel on the real window: pause a handler and watch its backlog grow,
resume it and watch it drain; a dead payment retried with "Retry all dead"."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QPushButton
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.ui.panels import (
    PAUSE,
    RESUME,
    click,
    event_log,
    execute,
    find_event,
    gateway,
    handlers,
    place,
    quick_backend,  # noqa: F401  (the fixture: this module's backend)
    record_figures,
    wait_for,
)
from ui.main_window import MainWindow
from ui.models.handlers import HANDLER_COLUMNS
from ui.theme import THEMES, apply_theme

ORDERS = 3


def test_a_paused_handler_holds_its_deliveries_and_drains_them_when_resumed(
    qtbot: QtBot, window: MainWindow
) -> None:
    panel = handlers(window)
    wait_for(qtbot, lambda: panel.model.get("validate_order"))
    figures = record_figures(panel.model, "validate_order")
    view = panel.view
    view.select("validate_order")
    assert view.pause_button.text() == "Pause"

    click(view.pause_button)  # asks first: a stray click holds up no order
    assert view.confirm is not None and view.confirm.isVisible()
    assert not figures[-1].paused
    (confirm,) = [b for b in view.confirm.buttons() if b.text() == "Pause"]
    click(confirm)
    wait_for(qtbot, lambda: figures[-1].paused)
    state = panel.model.index(panel.model.find("validate_order") or 0, 2).data()
    assert (state, view.pause_button.text()) == ("Paused", "Resume")
    for _ in range(ORDERS):
        place(qtbot, window)
    wait_for(qtbot, lambda: figures[-1].pending == ORDERS)
    assert figures[-1].succeeded == 0
    assert figures[-1].oldest_pending_seconds is not None
    pending = [f.pending for f in figures]
    assert pending == sorted(pending), "the backlog only grows while paused"
    # The board says what waits, and resumes from there.
    banner = window.paused_banner
    wait_for(
        qtbot,
        lambda: (
            "validate_order" in banner.lines
            and "3 orders wait at Placed" in banner.lines["validate_order"].text()
        ),
    )
    assert banner.isVisible()
    assert banner.lines["validate_order"].text().startswith("Order checks paused")

    (resume,) = banner.findChildren(QPushButton)
    assert resume.text() == "Resume order checks"
    click(resume)
    wait_for(qtbot, lambda: figures[-1].pending == 0 and figures[-1].succeeded == ORDERS)
    assert not figures[-1].paused
    assert view.pause_button.text() == "Pause"
    wait_for(qtbot, lambda: not banner.isVisible())
    events, _ = panel.throughput.series(panel.clock())
    assert sum(events) >= ORDERS * 2  # placed and validated, at least, in the last minutes


def test_retry_all_dead_after_the_cause_is_fixed(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    panel, log = handlers(window), event_log(window)
    wait_for(qtbot, lambda: panel.model.get("charge_payment") and log.backlog is None)
    figures = record_figures(panel.model, "charge_payment")
    execute(qtbot, window, PAUSE % "charge_payment")
    order = place(qtbot, window)
    gateway(backend).fail_orders.add(order["id"])
    execute(qtbot, window, RESUME % "charge_payment")
    wait_for(qtbot, lambda: figures[-1].dead == 1)
    assert any(f.retrying for f in figures), "never shown retrying before dead"
    row = panel.model.find("charge_payment")
    assert row is not None
    last_error = panel.model.index(row, len(HANDLER_COLUMNS) - 1).data()
    assert "told to fail this order" in last_error

    panel.view.select("charge_payment")
    button = panel.view.retry_dead_button
    assert (button.isEnabled(), button.text()) == (True, "Retry all dead (1)")
    gateway(backend).fail_orders.discard(order["id"])
    click(button)
    wait_for(qtbot, lambda: figures[-1].dead == 0 and figures[-1].succeeded >= 1)
    assert "1 dead delivery of charge_payment due again" in panel.view.status.text()
    assert not button.isEnabled()
    wait_for(qtbot, lambda: find_event(log.model, order["id"], "order_paid"))


@pytest.mark.parametrize("theme", THEMES)
def test_the_chart_span_shown_is_the_checked_button_in_either_theme(
    qtbot: QtBot, window: MainWindow, theme: str
) -> None:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_theme(app, theme)
    try:
        view = handlers(window).view
        window.tabs.setCurrentWidget(view)
        wait_for(qtbot, view.hour_button.isVisible)
        assert view.day_button.text() == "Last 24 h"  # a sliding day, not the calendar's

        def fill(button: QPushButton) -> QColor:
            image = button.grab().toImage()
            return image.pixelColor(image.width() // 2, 3)  # above the text

        hour_on, day_off = fill(view.hour_button), fill(view.day_button)
        click(view.day_button)
        hour_off, day_on = fill(view.hour_button), fill(view.day_button)
        assert hour_on == day_on and hour_off == day_off
        # Checked and unchecked differ by far more than a hover tint.
        lightness = abs(hour_on.lightness() - hour_off.lightness())
        assert lightness > 80, (hour_on.name(), hour_off.name())
    finally:
        apply_theme(app, THEMES[0])
