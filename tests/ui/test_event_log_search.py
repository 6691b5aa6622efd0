"""The event log's search box asks the server, over the whole log: an event older than
the pages loaded is found by its customer, its order number or a handler's error."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from backend.database import Tx
from backend.embedded import Backend
from backend.outbox import emit
from backend.registry import Registry
from handlers.sdk import Context, Event, HandlerDefinition, PermanentError
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import PLACE_ORDER, order_input
from tests.ui.panels import event_log, execute, wait_for
from ui.controllers._event_pages import PAGE_ROWS
from ui.controllers.event_log import EventLogController
from ui.main_window import MainWindow

LATER_EVENTS = PAGE_ROWS * 2  # written after the orders searched for: none on the first page


async def printer(event: Event, ctx: Context) -> None:
    if event.payload["order"]["customerName"] == "Jammy Dodger":
        raise PermanentError("paper jam in tray 3")


REGISTRY = Registry([HandlerDefinition("printer", ("order_placed",), printer, max_attempts=1)])


def place(http: httpx.Client, url: str, name: str) -> dict[str, Any]:
    response = http.post(
        url,
        json={"query": PLACE_ORDER, "variables": {"input": order_input(customerName=name)}},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    )
    order: dict[str, Any] = response.json()["data"]["placeOrder"]["order"]
    return order


def settled(http: httpx.Client, url: str) -> bool:
    query = "{ handlers { pending running retrying } }"
    figures = http.post(
        url, json={"query": query}, headers={"Authorization": f"Bearer {STAFF_TOKEN}"}
    ).json()["data"]["handlers"][0]
    return bool(figures == {"pending": 0, "running": 0, "retrying": 0})


@pytest.fixture
def orders() -> dict[str, dict[str, Any]]:
    return {}


@pytest.fixture
def backend(db_path: Path, orders: dict[str, dict[str, Any]]) -> Iterator[Backend]:
    """Two orders, then many later events (of no order, delivered to no one)."""
    with running(db_path, REGISTRY) as server, httpx.Client(timeout=10) as http:
        for name in ("Zelda Fitzgerald", "Jammy Dodger"):
            orders[name] = place(http, server.url, name)
        deadline = time.monotonic() + 10
        while not settled(http, server.url):
            assert time.monotonic() < deadline, "the printer never finished"
            time.sleep(0.01)

        def later(tx: Tx) -> None:
            inner = Tx(tx.conn, {})  # its facts reach no one: nothing to run
            for n in range(LATER_EVENTS):
                emit(inner, "order_ready", {"note": f"later event {n}"})

        server.call(server.db.write(later))
        yield server


def loaded(log: EventLogController) -> list[tuple[str | None, str]]:
    return [(row.order_id, row.type) for row in log.model]


def search(qtbot: QtBot, log: EventLogController, text: str) -> None:
    """Type ``text`` into the search box as a person does, and wait for the answer."""
    box = log.view.text_filter
    box.clear()
    QTest.keyClicks(box, text)
    wait_for(qtbot, lambda: log.filter.text == text.strip())
    wait_for(qtbot, lambda: log.backlog is None and not log.model.loading)


def test_an_old_event_is_found_by_its_customer_and_its_order_number(
    qtbot: QtBot, window: MainWindow, orders: dict[str, dict[str, Any]]
) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    zelda = orders["Zelda Fitzgerald"]
    assert {order_id for order_id, _ in loaded(log)} == {None}  # only the later events

    search(qtbot, log, "zelda fitz")
    assert loaded(log) == [(zelda["id"], "order_placed")]
    assert log.proxy.rowCount() == 1
    search(qtbot, log, f"#{zelda['number']}")
    assert loaded(log) == [(zelda["id"], "order_placed")]

    search(qtbot, log, "zanzibar")
    assert log.model.rowCount() == 0
    assert log.view.counts.text() == "No event in the whole log matches “zanzibar”"

    log.view.text_filter.clear()  # back to the whole log, newest first
    wait_for(qtbot, lambda: log.filter.text == "" and log.model.rowCount() == PAGE_ROWS)
    assert {order_id for order_id, _ in loaded(log)} == {None}


def test_a_handlers_error_finds_its_events(
    qtbot: QtBot, window: MainWindow, orders: dict[str, dict[str, Any]]
) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    search(qtbot, log, "tray 3")
    assert loaded(log) == [(orders["Jammy Dodger"]["id"], "order_placed")]
    (row,) = log.model
    assert row.deliveries[0].last_error == "PermanentError: paper jam in tray 3"


def test_a_search_follows_the_live_events_it_matches(qtbot: QtBot, window: MainWindow) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    search(qtbot, log, "zelda")
    assert log.model.rowCount() == 1
    for name in ("Zelda Second", "Someone Else"):
        execute(qtbot, window, PLACE_ORDER, {"input": order_input(customerName=name)})
    head = 2 + LATER_EVENTS + 2
    wait_for(qtbot, lambda: log.head >= head)  # both arrived on the live log
    wait_for(qtbot, lambda: log.model.rowCount() == 2)
    assert log.model.row(0).payload["order"]["customerName"] == "Zelda Second"
