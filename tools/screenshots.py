"""Render the orders board and the order dialogs to PNG: ``python -m tools.screenshots [DIR]``.

Starts an embedded backend on a temporary database, seeds a demo restaurant's
afternoon and dinner rush through the API on a staged clock (so tickets are minutes
old and took minutes to make), opens the real window offscreen and grabs each view
with ``QWidget.grab()``: the board (light, dark, with Done, the grill station's
screen, order checks paused), the New order dialog, an order's detail.
``tools.panel_screenshots`` renders the other panels from the same seed; ``make screenshots``
runs both into ``docs/screenshots/``.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, ClassVar, Self

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QWidget

from backend import database
from backend.settings import Settings
from handlers.adapters import SandboxGateway
from main import restaurant_backend
from ui.app import application
from ui.client import GraphQLClient
from ui.main_window import MainWindow
from ui.models.stages import Action, Stage, Status
from ui.models.stations import Station
from ui.sound import Chime
from ui.tasks import spawn

OUT = Path("docs/screenshots")
SMALL_WINDOW_SIZE = (1280, 800)
WINDOW_SIZE = (1600, 1000)
TOKEN = "screenshots-staff-token"
PLACE = """
mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number } } }
"""
STATUS = "query Status($id: ID!) { order(id: $id) { status } }"


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


class StagedDatetime(datetime):
    """``datetime`` as the backend's record clock reads it while the seed stages its
    afternoon: ``offset`` behind the wall clock. Only the times written into the
    database move (events, orders, payments: ``backend.database.utc_now``); the runner
    and the client schedule on the real clock."""

    offset: ClassVar[timedelta] = timedelta(0)

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Self:
        return super().now(tz) + cls.offset


class StagedClock:
    """The seed's timeline: each step is recorded ``minutes`` before the shots are taken,
    so a ticket's age, its paid-to-ready time and the hour's average all read as a real
    service's (minutes, not the seconds the seed really took)."""

    def __enter__(self) -> StagedClock:
        # backend.database.utc_now reads its module's ``datetime`` at each call.
        vars(database)["datetime"] = StagedDatetime
        return self

    def __exit__(self, *_: object) -> None:
        StagedDatetime.offset = timedelta(0)
        vars(database)["datetime"] = datetime

    def at(self, minutes_ago: float) -> None:
        StagedDatetime.offset = -timedelta(minutes=minutes_ago)


READY = "mutation($id: ID!) { markReady(orderId: $id) { id } }"
COMPLETE = "mutation($id: ID!) { completeOrder(orderId: $id) { id } }"
CANCEL = 'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "Customer cancelled") { id } }'


def seed(api: Api, gateway: SandboxGateway | None = None, *, paused: bool = True) -> None:
    """An afternoon and a dinner rush on a staged clock: the last hour's tickets made in
    eight to thirteen minutes, 40 open orders in every stage (the two oldest in the
    kitchen late), some done; with ``paused``, the validation handler paused and two
    orders waiting at Placed."""
    with StagedClock() as clock:
        afternoon(api, clock)
        ready = opening_tickets(api, clock)
        during: list[tuple[float, Callable[[], None]]] = [(3.0, lambda: make_ready(api, ready))]
        if gateway is not None:
            during.append((2.5, lambda: decline_two(api, gateway)))
        rush(api, clock, during)
    if paused:
        pause(api)


def pause(api: Api) -> None:
    """Validation paused: the next orders wait in New, under the paused banner."""
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


# The hour before the rush: (minutes ago it was placed, minutes it took to make, lines).
AFTERNOON = (
    (58.0, 9.0, (("margherita", 1, None), ("cola", 1, None))),
    (54.5, 12.0, (("steak-frites", 1, None, ("steak-medium-rare",)),)),
    (51.0, 8.0, (("carbonara", 2, None),)),
    (47.5, 11.0, (("burger", 2, None), ("fries", 2, None))),
    (44.0, 10.0, (("quattro-formaggi", 1, None), ("side-salad", 1, None))),
    (40.5, 13.0, (("risotto", 1, None),)),
    (37.0, 9.0, (("diavola", 1, None), ("tiramisu", 1, None))),
    (33.5, 11.0, (("salmon", 1, None), ("caesar", 1, None))),
)


def afternoon(api: Api, clock: StagedClock) -> None:
    """The hour before the rush, made and handed over: the board's "Avg ticket" reads
    their paid-to-ready times. One more was cancelled at the counter."""
    steps: list[tuple[float, Callable[[], object]]] = []
    for n, (placed_at, _, lines) in enumerate(AFTERNOON):
        channel, fulfillment = RUSH_ORDER[(n + 2) % len(RUSH_ORDER)]
        steps.append((placed_at, _placing(api, channel, fulfillment, lines, f"Guest {n + 1}")))
    orders: list[str] = []
    cancelled: list[str] = []

    def place_cancelled() -> None:
        cancelled.append(api.place("WEB", "TAKEAWAY", ("marinara", 1, None), customerName="Ken T."))
        api.wait_status(cancelled[0], "IN_KITCHEN")

    steps.append((30.0, place_cancelled))
    steps.append((27.0, lambda: api(CANCEL, {"id": cancelled[0]})))
    for n, (placed_at, minutes, _) in enumerate(AFTERNOON):
        steps.append((placed_at - minutes, _moving(api, READY, orders, n)))
        steps.append((placed_at - minutes - 2, _moving(api, COMPLETE, orders, n)))
    for minutes_ago, step in sorted(steps, key=lambda step: -step[0]):
        clock.at(minutes_ago)
        placed = step()
        if isinstance(placed, str):
            orders.append(placed)


def _moving(api: Api, mutation: str, orders: list[str], n: int) -> Callable[[], None]:
    def move() -> None:
        api(mutation, {"id": orders[n]})

    return move


def _placing(
    api: Api, channel: str, fulfillment: str, lines: tuple[tuple[Any, ...], ...], name: str
) -> Callable[[], str]:
    def place() -> str:
        extra = {"address": "3 Canal Walk"} if fulfillment == "DELIVERY" else {}
        order_id = api.place(channel, fulfillment, *lines, customerName=name, **extra)
        api.wait_status(order_id, "IN_KITCHEN")
        return order_id

    return place


def opening_tickets(api: Api, clock: StagedClock) -> list[str]:
    """The rush's first tickets: three in the kitchen (the oldest past its target plus
    the grace, the next past its target) and four the kitchen makes during the rush
    (returned)."""
    clock.at(17.0)
    first = api.place(
        "PHONE",
        "DELIVERY",
        ("margherita", 2, "well done", (), ("GLUTEN",)),
        ("wings", 1, None),
        customerName="Grace Hopper",
        phone="+1 202 555 0142",
        address="12 Harbour Street, flat 3",
    )
    api.wait_status(first, "IN_KITCHEN")
    clock.at(11.5)
    second = api.place(
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
        allergens=["PEANUTS"],
    )
    api.wait_status(second, "IN_KITCHEN")
    clock.at(11.0)
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
            ("side-salad", 1, None, (), ("MUSTARD",)),
            customerName="Edsger D.",
            phone="+1 202 555 0123",
            address="4 Mill Lane",
        ),
        api.place(
            "COUNTER",
            "DINE_IN",
            ("steak-frites", 2, None, ("steak-medium-rare", "steak-pepper-sauce")),
        ),
        api.place("KIOSK", "TAKEAWAY", ("veggie-burger", 1, None), ("onion-rings", 1, None)),
    ]
    for order_id in ready:
        api.wait_status(order_id, "IN_KITCHEN")
    clock.at(8.6)
    third = api.place(
        "KIOSK", "DINE_IN", ("carbonara", 1, None), ("caesar", 1, None), ("tiramisu", 2, None)
    )
    api.wait_status(third, "IN_KITCHEN")
    return ready


def make_ready(api: Api, ready: list[str]) -> None:
    for order_id in ready:
        api(READY, {"id": order_id})
    api.wait_status(ready[1], "OUT_FOR_DELIVERY")  # assign_driver took the delivery one


RUSH_ORDERS = 31  # with the first seven tickets and two declined cards, 40 open: a rush
RUSH_LINES: tuple[tuple[Any, ...], ...] = (
    ("margherita", 2, None, (), ("GLUTEN",)),
    ("fries", 1, None),
    ("carbonara", 1, "no pepper", (), ("EGGS",)),
    ("cola", 3, None),
    ("burger", 1, None, ("burger-medium", "burger-extra-cheese")),
    ("caesar", 1, None, (), ("FISH", "EGGS")),
    ("diavola", 1, None),
    ("onion-rings", 2, None),
    ("tiramisu", 1, None, (), ("MILK",)),
    ("wings", 1, None),
)
RUSH_ORDER = (
    ("KIOSK", "DINE_IN"),
    ("WEB", "DELIVERY"),
    ("PHONE", "TAKEAWAY"),
    ("COUNTER", "DINE_IN"),
    ("WEB", "TAKEAWAY"),
)
# Whole-order allergies, every few orders: what the guest said at the till.
ORDER_ALLERGENS = (("PEANUTS",), ("SESAME",), ("TREE_NUTS", "SOY"), ("CELERY",))
RUSH_START_MINUTES = 8.5  # the rush's first order, minutes before the shots
RUSH_STEP_MINUTES = 0.26
READY_IN_RUSH = (0, 3, 6, 9, 12, 15)  # the rush's tickets the kitchen has made


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


def rush(api: Api, clock: StagedClock, during: list[tuple[float, Callable[[], None]]]) -> None:
    """The rush: orders of three to five lines every few seconds of the last eight
    minutes, some with allergies, the oldest few made ready. Each of ``during`` (minutes
    before the shots, what happens then) runs in its place among them."""
    placed = []
    waiting = sorted(during, key=lambda step: -step[0])
    for n in range(RUSH_ORDERS):
        minutes_ago = RUSH_START_MINUTES - n * RUSH_STEP_MINUTES
        while waiting and waiting[0][0] >= minutes_ago:
            at, step = waiting.pop(0)
            clock.at(at)
            step()
        clock.at(minutes_ago)
        channel, fulfillment = RUSH_ORDER[n % len(RUSH_ORDER)]
        lines = [RUSH_LINES[(n + k * 3) % len(RUSH_LINES)] for k in range(3 + n % 3)]
        extra: dict[str, object] = {"customerName": f"Guest {n + 9}"}
        if fulfillment == "DELIVERY":
            extra["address"] = f"{n + 1} Market Street"
        if n % 4 == 1:
            extra["allergens"] = list(ORDER_ALLERGENS[n // 4 % len(ORDER_ALLERGENS)])
        order_id = api.place(channel, fulfillment, *lines, **extra)
        api.wait_status(order_id, "IN_KITCHEN")
        placed.append(order_id)
    clock.at(0.5)
    for n in READY_IN_RUSH:
        api(READY, {"id": placed[n]})


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


async def shoot_paused(window: MainWindow, api: Api, out: Path) -> None:
    """Order checks paused: the banner, and the new orders waiting at Placed."""
    pause(api)
    view = window.board.view
    await until(lambda: view.proxies[Stage.NEW].rowCount() == 2)
    await until(window.paused_banner.isVisible)
    await save(window, out, "board-paused")


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
    with tempfile.TemporaryDirectory() as tmp:
        backend = restaurant_backend(Settings(Path(tmp) / "demo.db", port=0, staff_token=TOKEN))
        backend.start()
        try:
            gateway = backend.adapters.payment
            assert isinstance(gateway, SandboxGateway)
            api = Api(backend.url)
            seed(api, gateway, paused=False)  # the paused banner has a shot of its own
            on_qt_loop(tmp, lambda settings: _run(api, settings, out))
        finally:
            backend.stop()
    return 0


async def _run(api: Api, settings: QSettings, out: Path) -> None:
    async with opened_window(api.url, settings, WINDOW_SIZE) as window:
        await shoot(window, out)
        await shoot_paused(window, api, out)


@asynccontextmanager
async def opened_window(
    url: str, settings: QSettings, size: tuple[int, int]
) -> AsyncIterator[MainWindow]:
    """The dashboard's window on ``url``, shown at ``size`` and started; closed after."""
    client = GraphQLClient(url, TOKEN)
    window = MainWindow(client, f"Embedded backend · {url}", settings, chime=Chime())
    window.chime.enabled = False
    window.resize(*size)
    window.show()
    await client.start()
    spawn(window.start())
    try:
        yield window
    finally:
        window.close()
        await client.close()


def on_qt_loop(tmp: str, run: Callable[[QSettings], Coroutine[Any, Any, None]]) -> None:
    """``run`` to its end on a Qt event loop, given settings kept in the folder ``tmp``."""
    app = application([])
    app.setQuitOnLastWindowClosed(False)
    settings = QSettings(str(Path(tmp) / "settings.ini"), QSettings.Format.IniFormat)
    import qasync

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(run(settings))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
