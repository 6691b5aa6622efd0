"""Helpers for the panel tests: the window's panels, orders placed by another till,
and recorders of what a model showed over time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from backend.registry import Registry
from handlers.adapters import SandboxGateway
from main import restaurant_registry
from tests.conftest import running
from tests.ui.conftest import run
from ui.controllers.event_log import EventLogController
from ui.controllers.handlers import HandlersController
from ui.controllers.menu import MenuController
from ui.main_window import MainWindow
from ui.models.events import DeliveryStatus, EventLogModel, EventRow
from ui.models.handlers import HandlerModel, HandlerRow

WAIT_MS = 10_000
C = TypeVar("C")

PLACE = """
mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } } }
"""
PAUSE = 'mutation { pauseHandler(name: "%s") { paused } }'
RESUME = 'mutation { resumeHandler(name: "%s") { paused } }'


ATTEMPTS = 2  # of quick_pipeline()'s handlers
RETRY_SECONDS = 2.0


def quick_pipeline() -> Registry:
    """The restaurant's handlers, dead after two tries 1-2 s apart.

    Long enough a wait between them that the handler figures, sampled every 0.5 s,
    show the delivery retrying before it is dead; short enough for a test.
    """
    return Registry(
        replace(
            d,
            max_attempts=ATTEMPTS,
            backoff_base_seconds=RETRY_SECONDS,
            backoff_cap_seconds=RETRY_SECONDS,
        )
        for d in restaurant_registry()
    )


@pytest.fixture(name="backend")
def quick_backend(db_path: Path) -> Iterator[Backend]:
    """The restaurant's backend with :func:`quick_pipeline`: a test module that imports
    this fixture gets it as its ``backend`` (and its ``window`` runs on it)."""
    with running(db_path, quick_pipeline()) as server:
        yield server


def gateway(backend: Backend) -> SandboxGateway:
    """The backend's sandbox payment gateway, which a test can make refuse an order."""
    payment = backend.adapters.payment
    assert isinstance(payment, SandboxGateway)
    return payment


def click(widget: QWidget) -> None:
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton)


def panel(window: MainWindow, title: str, kind: type[C]) -> C:
    controller = window.panels[title]
    assert isinstance(controller, kind), f"the {title} tab is not a {kind.__name__}"
    return controller


def event_log(window: MainWindow) -> EventLogController:
    return panel(window, "Event log", EventLogController)


def handlers(window: MainWindow) -> HandlersController:
    return panel(window, "Handlers", HandlersController)


def menu(window: MainWindow) -> MenuController:
    return panel(window, "Menu", MenuController)


def execute(qtbot: QtBot, window: MainWindow, query: str, variables: Any = None) -> Any:
    """A request of another staff till, not of the panel under test."""
    return run(qtbot, window.client.execute(query, variables))


def place(qtbot: QtBot, window: MainWindow, channel: str = "WEB") -> dict[str, Any]:
    order_input = {
        "items": [{"menuItemId": "margherita", "quantity": 1}],
        "channel": channel,
        "fulfillment": "TAKEAWAY",
    }
    data = execute(qtbot, window, PLACE, {"input": order_input})
    order: dict[str, Any] = data["placeOrder"]["order"]
    return order


def find_event(model: EventLogModel, order_id: str, event_type: str) -> EventRow | None:
    return next((r for r in model if r.order_id == order_id and r.type == event_type), None)


def status_of(
    model: EventLogModel, order_id: str, event_type: str, handler: str
) -> DeliveryStatus | None:
    row = find_event(model, order_id, event_type)
    delivery = None if row is None else row.delivery(handler)
    return None if delivery is None else delivery.status


def record_statuses(model: EventLogModel, handler: str) -> dict[int, list[DeliveryStatus]]:
    """Each status the model showed for ``handler``'s delivery of each event, in order."""
    seen: dict[int, list[DeliveryStatus]] = {}

    def record(first: int, last: int) -> None:
        for position in range(first, last + 1):
            row = model.row(position)
            delivery = row.delivery(handler)
            statuses = seen.setdefault(row.seq, [])
            if delivery is not None and (not statuses or statuses[-1] is not delivery.status):
                statuses.append(delivery.status)

    model.rowsInserted.connect(lambda _parent, first, last: record(first, last))
    model.dataChanged.connect(lambda top, bottom, *_: record(top.row(), bottom.row()))
    return seen


def record_figures(model: HandlerModel, name: str) -> list[HandlerRow]:
    """Every distinct row the model showed for handler ``name``."""
    seen: list[HandlerRow] = []

    def record(*_: object) -> None:
        row = model.get(name)
        if row is not None and (not seen or seen[-1] != row):
            seen.append(row)

    model.rowsInserted.connect(record)
    model.dataChanged.connect(record)
    record()
    return seen


def wait_for(qtbot: QtBot, condition: Callable[[], object], timeout_ms: int = WAIT_MS) -> None:
    qtbot.waitUntil(lambda: bool(condition()), timeout=timeout_ms)
