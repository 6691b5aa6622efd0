"""Settling dead deliveries from the event log, on the real window and a real backend:
one resolved with a reason (muted, no longer red in the status bar), every dead one of
a filtered log retried, then the rest resolved, at once."""

from __future__ import annotations

import socket
from typing import Any

from PySide6.QtWidgets import QMessageBox
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
    place,
    quick_backend,  # noqa: F401  (the fixture: this module's backend)
    status_of,
    wait_for,
)
from ui.controllers.event_log import EventLogController
from ui.main_window import MainWindow
from ui.models.events import DeliveryStatus
from ui.views.reason_dialog import ReasonDialog

DEAD, RESOLVED = DeliveryStatus.DEAD, DeliveryStatus.RESOLVED
SUCCEEDED = DeliveryStatus.SUCCEEDED


def dead_charges(
    qtbot: QtBot, window: MainWindow, backend: Backend, count: int
) -> list[dict[str, Any]]:
    """``count`` orders whose charge the sandbox gateway refuses until they are dead."""
    log = event_log(window)
    execute(qtbot, window, PAUSE % "charge_payment")
    orders = [place(qtbot, window) for _ in range(count)]
    gateway(backend).fail_orders.update(order["id"] for order in orders)
    execute(qtbot, window, RESUME % "charge_payment")
    for order in orders:

        def dead(order: dict[str, Any] = order) -> bool:
            return charge_status(log, order) is DEAD

        wait_for(qtbot, dead)
    return orders


def charge_status(log: EventLogController, order: dict[str, Any]) -> DeliveryStatus | None:
    return status_of(log.model, order["id"], "order_validated", "charge_payment")


def test_a_dead_delivery_is_resolved_with_a_reason_and_the_status_bar_calms_down(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    (order,) = dead_charges(qtbot, window, backend, 1)
    backlog = window.status.backlog
    wait_for(qtbot, lambda: backlog.property("alert") is True and "1 dead" in backlog.text())

    validated = find_event(log.model, order["id"], "order_validated")
    assert validated is not None and log.view.select_seq(validated.seq)
    detail = log.view.detail
    assert detail.selected_delivery is not None
    assert detail.selected_delivery.handler == "charge_payment"
    assert detail.resolve_button.isEnabled()
    click(detail.resolve_button)
    dialog = detail.resolve_dialog
    assert isinstance(dialog, ReasonDialog) and dialog.isVisible()
    assert not dialog.confirm.isEnabled()  # no reason, no resolving
    dialog.reason.setCurrentText("Paid cash at the counter")
    click(dialog.confirm)

    wait_for(qtbot, lambda: charge_status(log, order) is RESOLVED)
    wait_for(qtbot, lambda: not detail.resolution.isHidden())
    assert detail.selected_delivery.status is RESOLVED
    assert "Paid cash at the counter" in detail.resolution.text()
    # Who: staff, at this computer (its host name: one staff token is shared).
    assert f"by staff at {socket.gethostname()}" in detail.resolution.text()
    assert not detail.resolve_button.isEnabled()
    assert not detail.retry_button.isEnabled()  # settled: retry does not start from it
    assert "is resolved: Paid cash at the counter" in log.view.status.text()
    # The status bar counts only what is unresolved: no longer red.
    wait_for(qtbot, lambda: backlog.property("alert") is False)
    assert "dead" not in backlog.text()
    # The resolution is an event of the log too.
    wait_for(qtbot, lambda: any(row.type == "delivery_resolved" for row in log.model))
    settled = next(row for row in log.model if row.type == "delivery_resolved")
    assert settled.payload["reason"] == "Paid cash at the counter"
    assert settled.payload["eventSeq"] == validated.seq


def test_retry_all_dead_then_resolve_all_dead_act_on_the_filtered_log_only(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    chosen, other = dead_charges(qtbot, window, backend, 2)
    gateway(backend).fail_orders.clear()  # the cause is fixed for both

    view = log.view
    view.order_filter.setText(chosen["id"])
    view.order_filter.editingFinished.emit()
    wait_for(qtbot, lambda: log.filter.order_id == chosen["id"] and log.backlog is None)
    click(view.retry_all_button)
    wait_for(qtbot, lambda: view.bulk_dialog is not None and view.bulk_dialog.isVisible())
    dialog = view.bulk_dialog
    assert isinstance(dialog, QMessageBox)
    assert "Make 1 dead delivery of order" in dialog.text()
    (retry,) = [b for b in dialog.buttons() if b.text() == "Retry 1"]
    click(retry)

    wait_for(qtbot, lambda: charge_status(log, chosen) is SUCCEEDED)
    wait_for(qtbot, lambda: "1 dead delivery of order" in view.status.text())
    assert "due again" in view.status.text()
    # The other order was outside the filter: still dead, untouched.
    view.order_filter.setText("")
    view.order_filter.editingFinished.emit()
    wait_for(qtbot, lambda: log.filter.order_id is None and log.backlog is None)
    wait_for(qtbot, lambda: charge_status(log, other) is DEAD)
    validated = find_event(log.model, other["id"], "order_validated")
    assert validated is not None
    delivery = validated.delivery("charge_payment")
    assert delivery is not None and delivery.attempts == 2

    # Resolve all dead, on the handler filter: the one left.
    view.handler_filter.setCurrentIndex(view.handler_filter.findData("charge_payment"))
    wait_for(qtbot, lambda: log.filter.handler == "charge_payment" and log.backlog is None)
    click(view.resolve_all_button)
    wait_for(qtbot, lambda: isinstance(view.bulk_dialog, ReasonDialog))
    resolving = view.bulk_dialog
    assert isinstance(resolving, ReasonDialog)
    assert "Settle 1 dead delivery to charge_payment?" in resolving.question.text()
    assert resolving.confirm.text() == "Resolve 1"
    resolving.reason.setCurrentText("Test order")
    click(resolving.confirm)
    wait_for(qtbot, lambda: charge_status(log, other) is RESOLVED)
    wait_for(qtbot, lambda: "Resolved 1 dead delivery to charge_payment" in view.status.text())
    assert charge_status(log, chosen) is SUCCEEDED


def test_bulk_refuses_an_order_number_that_names_no_order(qtbot: QtBot, window: MainWindow) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    view = log.view
    view.order_filter.setText("#999")
    view.order_filter.editingFinished.emit()
    wait_for(qtbot, lambda: log.filter.order_number == 999)
    # Left out, the order would widen the filter to every order's dead deliveries.
    click(view.resolve_all_button)
    wait_for(qtbot, lambda: "fix or clear the order box" in view.status.text())
    assert view.status.is_error and view.bulk_dialog is None


def test_resolve_all_dead_acts_only_on_the_events_the_search_finds(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    chosen, other = dead_charges(qtbot, window, backend, 2)

    view = log.view
    view.text_filter.setText(f"#{chosen['number']}")
    wait_for(qtbot, lambda: log.filter.search == f"#{chosen['number']}" and log.backlog is None)
    click(view.resolve_all_button)
    wait_for(qtbot, lambda: isinstance(view.bulk_dialog, ReasonDialog))
    resolving = view.bulk_dialog
    assert isinstance(resolving, ReasonDialog)
    assert f"Settle 1 dead delivery matching “#{chosen['number']}”?" in (resolving.question.text())
    resolving.reason.setCurrentText("Paid in cash")
    click(resolving.confirm)

    wait_for(qtbot, lambda: charge_status(log, chosen) is RESOLVED)
    wait_for(qtbot, lambda: "Resolved 1 dead delivery matching" in view.status.text())
    view.text_filter.setText("")
    wait_for(qtbot, lambda: log.filter.search is None and log.backlog is None)
    wait_for(qtbot, lambda: charge_status(log, other) is DEAD)


def test_bulk_refuses_a_status_filter_other_than_dead(qtbot: QtBot, window: MainWindow) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    view = log.view
    view.status_filter.setCurrentIndex(view.status_filter.findData(SUCCEEDED.value))
    wait_for(qtbot, lambda: log.filter.status is SUCCEEDED)
    click(view.retry_all_button)
    wait_for(qtbot, lambda: "set Status to DEAD or All" in view.status.text())
    assert view.status.is_error and view.bulk_dialog is None


def test_a_refusal_said_while_the_log_reloads_stays_said(qtbot: QtBot, window: MainWindow) -> None:
    """The reload a filter starts ends by clearing its own "Loading…" line only: a
    refusal said while its pages were read stayed for no one to see on a busy machine."""
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    view = log.view
    # Both in the same turn: the filter's reload is on its way when the refusal is said.
    view.status_filter.setCurrentIndex(view.status_filter.findData(SUCCEEDED.value))
    click(view.retry_all_button)
    wait_for(qtbot, lambda: log.filter.status is SUCCEEDED and log.backlog is None)
    assert "set Status to DEAD or All" in view.status.text()
    assert view.status.is_error
