"""The backend goes away mid-session and comes back: the dashboard reconnects by itself
and shows every change made meanwhile, once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from clients.reconnect import ReconnectBackoff
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import PLACE_ORDER, order_input
from tests.ui.conftest import WAIT_MS, close_window, open_window
from ui.main_window import MainWindow
from ui.models.stages import Status

# The order a status takes on the way through the pipeline; the board may skip some
# (it shows the latest), but must never go back.
PIPELINE = [
    Status.PLACED,
    Status.VALIDATED,
    Status.PAID,
    Status.IN_KITCHEN,
    Status.READY,
    Status.OUT_FOR_DELIVERY,
    Status.COMPLETED,
    Status.CANCELLED,
]


def api(backend: Backend, query: str, variables: dict[str, object]) -> dict[str, object]:
    answer = httpx.post(
        backend.url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
        timeout=10,
    ).json()
    assert "errors" not in answer, answer
    data: dict[str, object] = answer["data"]
    return data


def place(backend: Backend, item: str) -> str:
    data = api(backend, PLACE_ORDER, {"input": order_input((item, 1), channel="COUNTER")})
    placed = data["placeOrder"]
    assert isinstance(placed, dict)
    return str(placed["order"]["id"])


def server_statuses(backend: Backend) -> dict[str, str]:
    data = api(backend, "{ orders(first: 500) { id status } }", {})
    orders = data["orders"]
    assert isinstance(orders, list)
    return {order["id"]: order["status"] for order in orders}


def wait_until_settled(backend: Backend, qtbot: QtBot, statuses: set[str]) -> dict[str, str]:
    """Until every order has reached one of ``statuses`` (the handlers are done with them)."""
    found: dict[str, str] = {}

    def settled() -> bool:
        found.update(server_statuses(backend))
        return all(status in statuses for status in found.values())

    qtbot.waitUntil(settled, timeout=WAIT_MS)
    return found


def test_the_board_reconnects_and_shows_every_change_made_meanwhile_once(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, db_path: Path, settings: QSettings
) -> None:
    with running(db_path) as first:
        port = urlsplit(first.url).port
        window = open_window(qtbot, first.url, STAFF_TOKEN, settings)
        window.client.backoff = ReconnectBackoff(first=0.05, cap=0.5)
        inserted: list[str] = []
        shown: dict[str, list[Status]] = {}
        watch(window, inserted, shown)
        before = [place(first, "burger"), place(first, "fries")]
        qtbot.waitUntil(
            lambda: all(shown.get(o, [None])[-1] is Status.IN_KITCHEN for o in before),
            timeout=WAIT_MS,
        )
        api(first, "mutation($id: ID!) { markReady(orderId: $id) { id } }", {"id": before[0]})
        qtbot.waitUntil(lambda: shown[before[0]][-1] is Status.READY, timeout=WAIT_MS)
    # The backend is gone: the dashboard knows, and keeps trying.
    qtbot.waitUntil(lambda: window.client.state == "reconnecting", timeout=WAIT_MS)
    assert window.statusBar().findChild(type(window.status.connection), "connectionState")

    # Meanwhile, on another address, the restaurant goes on: new orders, staff actions.
    with running(db_path) as elsewhere:
        meanwhile = [place(elsewhere, "margherita"), place(elsewhere, "cola")]
        wait_until_settled(elsewhere, qtbot, {"IN_KITCHEN", "READY"})
        api(
            elsewhere,
            "mutation($id: ID!) { completeOrder(orderId: $id) { id } }",
            {"id": before[0]},
        )
        api(
            elsewhere,
            'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "no show") { id } }',
            {"id": before[1]},
        )
        api(
            elsewhere, "mutation($id: ID!) { markReady(orderId: $id) { id } }", {"id": meanwhile[0]}
        )
        truth = wait_until_settled(
            elsewhere, qtbot, {"IN_KITCHEN", "READY", "COMPLETED", "CANCELLED"}
        )
    assert window.client.state == "reconnecting"
    assert window.status.connection.text() == "Reconnecting…"
    assert not set(meanwhile) & set(inserted)

    # The backend is back where the dashboard expects it: it reconnects and catches up.
    with on_port(db_path, port) as back:
        qtbot.waitUntil(lambda: window.client.state == "connected", timeout=WAIT_MS)
        qtbot.waitUntil(
            lambda: {o.id: o.status.value for o in window.board.model.orders} == truth,
            timeout=WAIT_MS,
        )
        assert sorted(inserted) == sorted(before + meanwhile)  # each order inserted once
        for order_id, statuses in shown.items():
            positions = [PIPELINE.index(status) for status in statuses]
            assert positions == sorted(set(positions)), (order_id, statuses)  # never back
        # And it is live again.
        later = place(back, "tiramisu")
        qtbot.waitUntil(lambda: later in inserted, timeout=WAIT_MS)
        close_window(qtbot, window)


@contextmanager
def on_port(db_path: Path, port: int | None) -> Iterator[Backend]:
    """A backend on ``db_path`` at a given port (``running`` takes any free one)."""
    assert port is not None
    with running(db_path, port=port) as server:
        yield server


def watch(window: MainWindow, inserted: list[str], shown: dict[str, list[Status]]) -> None:
    """Record each order inserted into the board's model, and each status it showed."""
    model = window.board.model

    def record(first: int, last: int, insert: bool) -> None:
        for row in range(first, last + 1):
            order = model.order_at(row)
            if insert:
                inserted.append(order.id)
            statuses = shown.setdefault(order.id, [])
            if not statuses or statuses[-1] is not order.status:
                statuses.append(order.status)

    model.rowsInserted.connect(lambda _p, first, last: record(first, last, True))
    model.dataChanged.connect(lambda top, bottom, _r: record(top.row(), bottom.row(), False))
