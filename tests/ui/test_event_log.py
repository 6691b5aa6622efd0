"""The event log on the real window against a real backend: a payment that fails until
it is dead, fixed and retried from the log; an event replayed to chosen handlers."""

from __future__ import annotations

import asyncio
import itertools
import socket
from pathlib import Path

from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import STAFF_TOKEN
from tests.ui.conftest import run
from tests.ui.panels import (
    ATTEMPTS,
    PAUSE,
    PLACE,
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
    record_statuses,
    status_of,
    wait_for,
)
from tests.ui.test_reconnect import on_port
from ui.client import GraphQLClient
from ui.controllers.event_log import EventLogController
from ui.controllers.menu import MenuController
from ui.main_window import MainWindow
from ui.models.events import DeliveryStatus
from ui.tasks import spawn

ORDER = {
    "items": [{"menuItemId": "fries", "quantity": 1}],
    "channel": "COUNTER",
    "fulfillment": "TAKEAWAY",
}
DEAD, RETRYING, SUCCEEDED = DeliveryStatus.DEAD, DeliveryStatus.RETRYING, DeliveryStatus.SUCCEEDED


def test_a_dead_payment_is_retried_from_the_log_and_the_order_moves_on(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    log, figures = event_log(window), handlers(window)
    wait_for(qtbot, lambda: log.backlog is None and figures.model.get("charge_payment"))
    charges = record_statuses(log.model, "charge_payment")
    charge_figures = record_figures(figures.model, "charge_payment")

    # The gateway refuses this one order: hold its charge until the gateway knows it.
    execute(qtbot, window, PAUSE % "charge_payment")
    order = place(qtbot, window)
    gateway(backend).fail_orders.add(order["id"])
    execute(qtbot, window, RESUME % "charge_payment")

    wait_for(
        qtbot,
        lambda: status_of(log.model, order["id"], "order_validated", "charge_payment") is DEAD,
    )
    validated = find_event(log.model, order["id"], "order_validated")
    assert validated is not None
    shown = charges[validated.seq]
    assert RETRYING in shown and shown.index(RETRYING) < shown.index(DEAD), shown
    wait_for(qtbot, lambda: charge_figures[-1].dead == 1)
    assert any(f.retrying for f in charge_figures), "the handlers view never showed it retrying"
    assert find_event(log.model, order["id"], "order_paid") is None

    # The log shows the dead delivery with each attempt's error.
    assert log.view.select_seq(validated.seq)
    detail = log.view.detail
    assert detail.selected_delivery is not None
    assert detail.selected_delivery.handler == "charge_payment"
    assert detail.retry_button.isEnabled()
    attempts = [detail.invocations.row(r) for r in range(detail.invocations.rowCount())]
    assert [a.outcome for a in attempts] == ["FAILED"] * ATTEMPTS
    assert "told to fail this order" in (attempts[-1].error or "")
    assert "told to fail this order" in detail.error.toPlainText()
    assert "Traceback (most recent call last)" in detail.error.toPlainText()
    assert f'"number": {order["number"]}' in detail.payload.toPlainText()

    gateway(backend).fail_orders.discard(order["id"])  # the cause is fixed
    click(detail.retry_button)
    wait_for(
        qtbot,
        lambda: status_of(log.model, order["id"], "order_validated", "charge_payment") is SUCCEEDED,
    )
    wait_for(qtbot, lambda: find_event(log.model, order["id"], "order_in_kitchen"))
    assert detail.selected_delivery.status is SUCCEEDED
    assert detail.invocations.rowCount() == ATTEMPTS + 1
    assert not detail.retry_button.isEnabled()
    assert "due again" in log.view.status.text()
    wait_for(qtbot, lambda: charge_figures[-1].dead == 0 and charge_figures[-1].succeeded >= 1)
    assert sum(figures.throughput.series(figures.clock())[1]) > 0


def test_an_event_is_replayed_to_the_handlers_chosen(qtbot: QtBot, window: MainWindow) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    order = place(qtbot, window, channel="COUNTER")
    wait_for(qtbot, lambda: find_event(log.model, order["id"], "order_in_kitchen"))
    paid = find_event(log.model, order["id"], "order_paid")
    assert paid is not None
    wait_for(qtbot, lambda: log.model.get(paid.seq).worst_status is SUCCEEDED)  # type: ignore[union-attr]

    assert log.view.select_seq(paid.seq)
    detail = log.view.detail
    click(detail.replay_button)
    dialog = detail.replay_dialog
    assert dialog is not None and dialog.isVisible()
    assert sorted(dialog.boxes) == ["send_to_kitchen", "update_inventory"]
    dialog.boxes["update_inventory"].setChecked(False)
    click(dialog.replay_button)

    def attempts(handler: str) -> int:
        row = log.model.get(paid.seq)
        delivery = None if row is None else row.delivery(handler)
        return 0 if delivery is None else delivery.attempts

    wait_for(qtbot, lambda: attempts("send_to_kitchen") == 2)
    wait_for(qtbot, lambda: log.model.get(paid.seq).worst_status is SUCCEEDED)  # type: ignore[union-attr]
    assert attempts("update_inventory") == 1
    assert "replayed to send_to_kitchen" in log.view.status.text()
    detail.select_delivery("send_to_kitchen")
    assert [detail.invocations.row(r).outcome for r in range(2)] == ["SUCCEEDED", "SUCCEEDED"]


def test_a_refused_retry_is_shown_in_the_status_line(qtbot: QtBot, window: MainWindow) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    order = place(qtbot, window, channel="COUNTER")
    wait_for(
        qtbot,
        lambda: status_of(log.model, order["id"], "order_placed", "validate_order") is SUCCEEDED,
    )
    placed = find_event(log.model, order["id"], "order_placed")
    assert placed is not None and log.view.select_seq(placed.seq)
    assert not log.view.detail.retry_button.isEnabled()  # nothing failed: nothing to retry
    # A Retry clicked just as the delivery succeeded elsewhere: the backend refuses it.
    log.view.retryRequested.emit(placed.seq, "validate_order")
    wait_for(qtbot, lambda: log.view.status.is_error)
    assert "only a failed or waiting delivery can be retried" in log.view.status.text()


def test_the_log_and_the_menu_load_once_the_backend_is_there(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, db_path: Path
) -> None:
    with socket.socket() as probe:  # a port nothing listens on, for now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = GraphQLClient(f"http://127.0.0.1:{port}/graphql", STAFF_TOKEN)
    run(qtbot, client.start())
    # Owned by widgets qtbot deletes: Qt objects are then never left for the garbage
    # collector to delete later from whatever thread it runs on (a crash).
    owner = QWidget()
    qtbot.addWidget(owner)
    log, menu = EventLogController(client, owner), MenuController(client, owner)
    qtbot.addWidget(log.view)
    qtbot.addWidget(menu.view)
    spawn(log.start())
    spawn(menu.start())
    wait_for(qtbot, lambda: log.view.status.is_error and menu.view.status.is_error)
    assert "trying again when connected" in log.view.status.text()
    assert "Cannot read the menu" in menu.view.status.text()

    with on_port(db_path, port):
        wait_for(qtbot, lambda: log.backlog is None and menu.model.get("fries"))
        assert not menu.view.status.is_error
        order = run(qtbot, client.execute(PLACE, {"input": ORDER}))["placeOrder"]["order"]
        wait_for(qtbot, lambda: find_event(log.model, order["id"], "order_placed"))
        log.stop()
        menu.stop()
        run(qtbot, client.close())


def test_the_status_legend_is_one_row_of_chips_apart(qtbot: QtBot, window: MainWindow) -> None:
    from PySide6.QtWidgets import QLabel

    from ui.views.event_log import LEGEND_GAP

    log = event_log(window)
    window.resize(1600, 1000)
    window.tabs.setCurrentWidget(log.view)
    wait_for(qtbot, log.view.legend.isVisible)
    chips = log.view.legend.findChildren(QLabel)
    assert [chip.text().split()[0] for chip in chips] == [s.value for s in DeliveryStatus]
    assert len({chip.geometry().top() for chip in chips}) == 1  # one row, not a stack
    for left, right in itertools.pairwise(chips):
        assert right.geometry().left() - left.geometry().right() > LEGEND_GAP - 2
