"""Render the orders board and the order dialogs to PNG: ``python -m tools.screenshots [DIR]``.

Starts an embedded backend on a temporary database, seeds a demo restaurant's
afternoon through the API (orders in every stage, a paused handler, a receipt-printer
webhook that answers 400 so its deliveries go dead), opens the real window offscreen
and grabs each view with ``QWidget.grab()``: the board (light, dark, with Done, the
grill station's screen), the New order dialog, an order's detail.
``tools.panel_screenshots`` renders the other panels from the same seed; ``make screenshots``
runs both into ``docs/screenshots/``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from backend.settings import Settings
from handlers.adapters import SandboxGateway
from main import restaurant_backend
from ui.app import application
from ui.client import GraphQLClient
from ui.main_window import MainWindow
from ui.models.stages import Action, Status
from ui.models.stations import Station
from ui.sound import Chime
from ui.tasks import spawn

OUT = Path("docs/screenshots")
SMALL_WINDOW_SIZE = (1280, 800)
WINDOW_SIZE = (1600, 1000)
TOKEN = "screenshots-staff-token"
AGE_STEP_SECONDS = 2.5
RUSH_MINUTES = 9
PLACE = """
mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } } }
"""
STATUS = "query Status($id: ID!) { order(id: $id) { status } }"


class _PrinterOffline(BaseHTTPRequestHandler):
    """A receipt printer's webhook that refuses everything: its deliveries go dead."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = b"printer offline: paper tray empty"
        self.send_response(400)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


class Api:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
        self.url = url

    def __call__(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = self.http.post(self.url, json={"query": query, "variables": variables or {}})
        answer: dict[str, Any] = body.json()
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data

    def place(
        self, channel: str, fulfillment: str, *lines: tuple[Any, ...], **extra: object
    ) -> str:
        """An order of ``lines``: (item, quantity, note[, modifier ids[, allergens]])."""
        items = [line_input(*line) for line in lines]
        extra_input: dict[str, object] = dict(extra)
        if fulfillment == "DINE_IN":  # a dine-in order needs its table
            extra_input.setdefault("table", 1 + next(TABLES) % 30)
        data = self(
            PLACE,
            {
                "input": {
                    "items": items,
                    "channel": channel,
                    "fulfillment": fulfillment,
                    **extra_input,
                }
            },
        )
        order_id: str = data["placeOrder"]["order"]["id"]
        return order_id

    def wait_status(self, order_id: str, *wanted: str) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self(STATUS, {"id": order_id})["order"]["status"] in wanted:
                return
            time.sleep(0.02)
        raise TimeoutError(f"order {order_id} never reached {wanted}")


TABLES = itertools.count(3)


def line_input(
    item: str,
    quantity: int,
    notes: str | None,
    modifiers: tuple[str, ...] = (),
    allergens: tuple[str, ...] = (),
) -> dict[str, object]:
    return {
        "menuItemId": item,
        "quantity": quantity,
        "notes": notes,
        "modifierIds": list(modifiers),
        "allergens": list(allergens),
    }


def seed(api: Api, gateway: SandboxGateway | None = None) -> None:
    """An afternoon and a dinner rush: 40 open orders in every stage, some done, a paused
    handler, dead receipts."""
    kitchen = [
        api.place(
            "PHONE",
            "DELIVERY",
            ("margherita", 2, "well done"),
            ("wings", 1, None),
            customerName="Grace Hopper",
            phone="+1 202 555 0142",
            address="12 Harbour Street, flat 3",
        ),
        api.place(
            "COUNTER",
            "TAKEAWAY",
            (
                "burger",
                1,
                None,
                ("burger-well-done", "burger-bacon", "burger-no-pickles"),
                ("MILK",),
            ),
            ("fries", 2, None),
            customerName="Alan T.",
        ),
        api.place(
            "KIOSK", "DINE_IN", ("carbonara", 1, None), ("caesar", 1, None), ("tiramisu", 2, None)
        ),
    ]
    time.sleep(AGE_STEP_SECONDS)  # the kitchen's orders are the oldest: their timers run red
    ready = [
        api.place(
            "WEB",
            "TAKEAWAY",
            ("diavola", 1, "extra chilli"),
            ("cola", 2, None),
            customerName="Margaret H.",
            phone="+1 202 555 0199",
        ),
        api.place(
            "PHONE",
            "DELIVERY",
            ("quattro-formaggi", 1, None),
            ("side-salad", 1, None),
            customerName="Edsger D.",
            phone="+1 202 555 0123",
            address="4 Mill Lane",
        ),
        api.place(
            "COUNTER",
            "DINE_IN",
            ("steak-frites", 2, None, ("steak-medium-rare", "steak-pepper-sauce")),
            customerName="Table 7",
        ),
        api.place("KIOSK", "TAKEAWAY", ("veggie-burger", 1, None), ("onion-rings", 1, None)),
    ]
    done = [
        api.place("COUNTER", "TAKEAWAY", ("risotto", 1, None), customerName="Barbara L."),
        api.place("WEB", "TAKEAWAY", ("marinara", 1, None), customerName="Ken T."),
    ]
    for order_id in kitchen + ready + done:
        api.wait_status(order_id, "IN_KITCHEN")
    for order_id in ready + done[:1]:
        api("mutation($id: ID!) { markReady(orderId: $id) { id } }", {"id": order_id})
    api("mutation($id: ID!) { completeOrder(orderId: $id) { id } }", {"id": done[0]})
    api(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "Customer cancelled") { id } }',
        {"id": done[1]},
    )
    api.wait_status(ready[1], "OUT_FOR_DELIVERY")  # assign_driver took the delivery one
    time.sleep(AGE_STEP_SECONDS)
    rush(api)
    if gateway is not None:
        decline_two(api, gateway)
    # Validation paused: the next orders wait in New.
    api('mutation { pauseHandler(name: "validate_order") { name } }')
    api.place(
        "PHONE",
        "TAKEAWAY",
        ("funghi", 1, None),
        ("brownie", 1, "no ice cream"),
        customerName="Ada Lovelace",
        phone="+1 202 555 0101",
    )
    api.place(
        "WEB",
        "DELIVERY",
        ("capricciosa", 2, None),
        ("sweet-fries", 1, None),
        customerName="Linus",
        phone="+1 202 555 0177",
        address="9 Station Road",
    )


RUSH_ORDERS = 29  # with the afternoon's nine and two declined cards, 40 open: a dinner rush
RUSH_LINES = (
    ("margherita", 2, None),
    ("fries", 1, None),
    ("carbonara", 1, "no pepper"),
    ("cola", 3, None),
    ("burger", 1, None, ("burger-medium", "burger-extra-cheese")),
    ("caesar", 1, None),
    ("diavola", 1, None),
    ("onion-rings", 2, None),
    ("tiramisu", 1, None),
    ("wings", 1, None),
)
RUSH_ORDER = (
    ("KIOSK", "DINE_IN"),
    ("WEB", "DELIVERY"),
    ("PHONE", "TAKEAWAY"),
    ("COUNTER", "DINE_IN"),
    ("WEB", "TAKEAWAY"),
)


def decline_two(api: Api, gateway: SandboxGateway) -> None:
    """Two cards declined: they wait in the failed payments' lane."""
    gateway.failure_rate, gateway.decline_share = 1.0, 1.0
    declined = [
        api.place("WEB", "DELIVERY", ("diavola", 2, None), customerName="Ines", address="5 Quay"),
        api.place("KIOSK", "TAKEAWAY", ("burger", 1, None), ("cola", 1, None)),
    ]
    for order_id in declined:
        api.wait_status(order_id, "PAYMENT_FAILED")
    gateway.failure_rate = 0.0


def rush(api: Api) -> None:
    """More orders of one to three lines, most in the kitchen, some ready."""
    placed = []
    for n in range(RUSH_ORDERS):
        channel, fulfillment = RUSH_ORDER[n % len(RUSH_ORDER)]
        lines = [RUSH_LINES[(n + k * 3) % len(RUSH_LINES)] for k in range(1 + n % 3)]
        extra = {"address": f"{n + 1} Market Street"} if fulfillment == "DELIVERY" else {}
        placed.append(
            api.place(channel, fulfillment, *lines, customerName=f"Guest {n + 1}", **extra)
        )
    for order_id in placed:
        api.wait_status(order_id, "IN_KITCHEN")
    for order_id in placed[::5]:
        api("mutation($id: ID!) { markReady(orderId: $id) { id } }", {"id": order_id})


async def until(condition: Callable[[], bool], seconds: float = 20.0) -> None:
    """Wait (on the qasync loop) until ``condition()`` holds."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the window never showed what was expected")
        await asyncio.sleep(0.05)


async def save(widget: QWidget, out: Path, name: str) -> Path:
    await asyncio.sleep(0.2)  # let Qt lay out and paint what just changed
    path = out / f"{name}.png"
    if not widget.grab().save(str(path)):
        raise OSError(f"cannot write {path}")
    print(f"wrote {path}")
    return path


async def shoot_station(window: MainWindow, out: Path) -> None:
    """The grill's screen (--station grill): only its lines, its all-day counts beside."""
    window.set_station(Station.GRILL)
    # The expo's wider bar and panel left a larger minimum behind: the station's screen
    # needs less room.
    window.setMinimumSize(0, 0)
    window.resize(*WINDOW_SIZE)
    await until(lambda: window.board.view.open.rowCount() > 10)
    await save(window, out, "board-station")
    window.set_station(None)


async def shoot_rush(window: MainWindow, out: Path) -> None:
    """The rush at 1600x1000, its second page, the failed payments' lane, and the same
    rush on a 1280x800 screen with the all-day counts open."""
    await save(window, out, "board")
    await save(window.board.view.lane_box, out, "board-payment-lane")
    window.board.view.grid.turn(1)
    await save(window, out, "board-page-2")
    window.board.view.grid.turn(-1)
    window.resize(*SMALL_WINDOW_SIZE)
    window.all_day_action.trigger()
    await save(window, out, "board-1280")
    window.all_day_action.trigger()
    window.resize(*WINDOW_SIZE)


async def shoot(window: MainWindow, out: Path) -> None:
    await until(lambda: window.board.is_loaded and window.board.view.open.rowCount() >= 38)
    await until(lambda: window.board.view.lane.proxy.rowCount() == 2)
    # Fresh seed data is seconds old: the board's clock runs RUSH_MINUTES ahead, so the
    # tickets read as a rush in full swing, the quick ones past their prep targets.
    ahead = timedelta(minutes=RUSH_MINUTES)
    window.board.view.delegate.now = lambda: datetime.now(UTC) + ahead
    await until(lambda: window.backlog.figures is not None)
    await asyncio.sleep(0.3)  # let late deliveries settle their figures
    await shoot_rush(window, out)
    # Item bump and the all-day counts (F3): a few lines struck on the first tickets.
    cooking = [
        p.order_id
        for p in window.board.view.grid.placed
        if (order := window.board.model.get(p.order_id)) is not None
        and order.status is Status.IN_KITCHEN
    ]
    for order_id in cooking[:4]:
        await window.board.set_item_done(order_id, 0, True)
    await until(lambda: all(window.board.model.get(i).items[0].done for i in cooking[:4]))  # type: ignore[union-attr]
    window.all_day_action.trigger()
    await save(window, out, "board-all-day")
    await shoot_station(window, out)
    window.all_day_action.trigger()
    # A bump: the Undo toast, and the Recall list (Ctrl+Z).
    view = window.board.view
    bumped = next(
        p.order_id
        for p in view.grid.placed
        if (order := window.board.model.get(p.order_id)) is not None
        and order.status is Status.IN_KITCHEN
        and order.fulfillment != "DELIVERY"  # a driver would take it at once
    )
    view.select(bumped)
    window.board.act(bumped, Action.MARK_READY)
    await until(view.toast.isVisible)
    await save(window, out, "board-bump-undo")
    recall = window.board.ask_recall()
    await save(recall, out, "recall")
    recall.reject()
    view.toast.hide()
    window.board.view.set_done_visible(True)
    await save(window, out, "board-with-done")
    window.board.view.set_done_visible(False)

    await shoot_new_order(window, out)

    first = window.board.model.orders[0]
    detail = window.open_detail(first.id)
    await until(lambda: detail.history.rowCount() > 5)
    await save(detail.view, out, "order-detail")
    detail.view.reject()
    window.set_theme("dark")
    await save(window, out, "board-dark")
    window.set_theme("light")


async def shoot_new_order(window: MainWindow, out: Path) -> None:
    """The New order dialog with a ticket, and the chooser of a steak's choices."""
    controller = window.open_new_order()
    dialog = controller.view
    await until(lambda: dialog.cart.rowCount() > 20)
    for item, count in (("margherita", 2), ("garlic-bread", 1), ("cola", 2)):
        dialog.cart.add(item, count)
    dialog.cart.setData(dialog.cart.index(dialog.cart.find("margherita") or 0, 3), "no basil")
    dialog.customer.setText("Ada Lovelace")
    dialog.phone.setText("+1 202 555 0101")
    dialog.fulfillment.setCurrentIndex(1)
    dialog.address.setText("21 Baker Street, 2nd floor")
    dialog.cart.add_chosen("burger", ["burger-well-done", "burger-extra-cheese"], ["SESAME"])
    dialog.search.setText("")
    await save(dialog, out, "new-order")
    dialog.search.setText("steak")
    QTest.keyClick(dialog.search, Qt.Key.Key_Return)  # adding a steak asks its choices
    chooser = dialog.chooser
    assert chooser is not None
    chooser.choose("steak-medium-rare", "steak-pepper-sauce")
    await save(chooser, out, "new-order-choices")
    chooser.reject()
    dialog.reject()


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    printer = ThreadingHTTPServer(("127.0.0.1", 0), _PrinterOffline)
    threading.Thread(target=printer.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "handlers.toml"
        config.write_text(
            '[[webhook]]\nname = "print_receipts"\n'
            f'url = "http://127.0.0.1:{printer.server_port}/receipts"\n'
            'events = ["order_paid"]\nmax_attempts = 3\n',
            encoding="utf-8",
        )
        backend = restaurant_backend(
            Settings(Path(tmp) / "demo.db", port=0, staff_token=TOKEN, handlers_config=config)
        )
        backend.start()
        try:
            gateway = backend.adapters.payment
            assert isinstance(gateway, SandboxGateway)
            seed(Api(backend.url), gateway)
            app = application([])
            app.setQuitOnLastWindowClosed(False)
            settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
            import qasync

            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            with loop:
                loop.run_until_complete(_run(backend.url, settings, out))
        finally:
            backend.stop()
            printer.shutdown()
    return 0


async def _run(url: str, settings: QSettings, out: Path) -> None:
    client = GraphQLClient(url, TOKEN)
    window = MainWindow(client, f"Embedded backend · {url}", settings, chime=Chime())
    window.chime.enabled = False
    window.resize(*WINDOW_SIZE)
    window.show()
    await client.start()
    spawn(window.start())
    try:
        await shoot(window, out)
    finally:
        window.close()
        await client.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
