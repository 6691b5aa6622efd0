"""The order status page (/orders/<id>?token=…) and the pickup screen (/pickup), live."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from backend.embedded import Backend
from tests.conftest import running
from tests.web.conftest import TV, Api, base_of

# pickup.js's smallest number (px): read from across the room.
LEGIBLE_PX = 60


def status_url(server: Backend, placed: dict[str, object]) -> str:
    order = placed["order"]
    assert isinstance(order, dict)
    return f"{base_of(server)}/orders/{order['id']}?token={placed['accessToken']}"


class Network:
    """The page's WebSockets, routed through the test to the real server, so that the test
    can cut them all (a phone losing its network, or going to sleep) and refuse new ones
    until it is back."""

    def __init__(self, page: Page) -> None:
        self.sockets: list[WebSocketRoute] = []
        self.down = threading.Event()
        page.route_web_socket("**/graphql", self._through)

    def _through(self, ws: WebSocketRoute) -> None:
        if self.down.is_set():
            ws.close(code=1006, reason="network down")
            return
        ws.connect_to_server()
        self.sockets.append(ws)

    def cut(self) -> None:
        self.down.set()
        for ws in self.sockets:
            ws.close(code=1006, reason="network down")

    def restore(self) -> None:
        self.down.clear()


def test_reload_and_a_dropped_socket_miss_no_step(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    placed = api.place(("margherita", 1), customerName="Grace")
    order_id = placed["order"]["id"]
    page = new_page()
    network = Network(page)
    page.goto(status_url(site, placed))
    api.wait_status(order_id, "IN_KITCHEN")
    expect(page.locator("#progress li.current")).to_have_text("In the kitchen (now)")

    page.reload()
    expect(page.locator("#number")).to_have_text(str(placed["order"]["number"]))
    expect(page.locator("#progress li.current")).to_have_text("In the kitchen (now)")

    # The connection drops; two steps happen while the page cannot hear them.
    network.cut()
    expect(page.locator("#connection")).to_have_text("Reconnecting…")
    api.mark_ready(order_id)
    api.complete(order_id)
    expect(page.locator("#progress li.current")).to_have_text("In the kitchen (now)")
    network.restore()
    # Back online: the page resumes to where the order is now, every step done.
    expect(page.locator("#connection")).to_have_text("Live", timeout=20_000)
    expect(page.locator("#headline")).to_have_text("Collected. Enjoy your meal!")
    expect(page.locator("#progress li.done")).to_have_count(5)


def test_a_phone_waking_up_shows_where_its_order_is_at_once(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    """After a sleep, the socket may be dead without knowing it: on waking (the page
    becomes visible) the page reads its order over HTTP, not waiting for the socket."""
    placed = api.place(("margherita", 1))
    order_id = placed["order"]["id"]
    page = new_page()
    network = Network(page)
    page.goto(status_url(site, placed))
    api.wait_status(order_id, "IN_KITCHEN")
    expect(page.locator("#progress li.current")).to_have_text("In the kitchen (now)")
    network.cut()  # asleep: the sockets are dead, and no new one gets through
    api.mark_ready(order_id)
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    expect(page.locator("#progress li.current")).to_have_text("Ready (now)")
    expect(page.locator("#connection")).to_have_text("Reconnecting…")  # still no socket


def test_a_token_opens_its_own_order_only(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    mine = api.place(("margherita", 1), customerName="Ada")
    other = api.place(("fries", 1), customerName="Someone Else")
    page = new_page()
    page.goto(f"{base_of(site)}/orders/{other['order']['id']}?token={mine['accessToken']}")
    expect(page.locator("#problem")).to_have_text(
        "This link does not open this order. Use the link you got when you placed it."
    )
    expect(page.locator("#order")).to_be_hidden()
    assert "Someone Else" not in page.content()
    assert "Fries" not in page.content()


@pytest.fixture
def declining(tmp_path: Path) -> Iterator[Backend]:
    """A backend whose sandbox payment gateway declines every charge."""
    with running(tmp_path / "declining.db", gateway_decline_rate=1.0) as server:
        yield server


def test_a_declined_order_says_why_and_what_to_do(
    declining: Backend, new_page: Callable[..., Page]
) -> None:
    api = Api(declining.url)
    placed = api.place(("margherita", 1))
    page = new_page()
    page.goto(status_url(declining, placed))
    expect(page.locator("#headline")).to_have_text("The payment did not go through.")
    expect(page.locator("#reason-why")).to_contain_text("Why: ")
    expect(page.locator("#reason-todo")).to_contain_text("Nothing was charged")
    expect(page.get_by_role("link", name="Order again")).to_be_visible()
    expect(page.locator("#progress li.current")).to_have_count(0)


def test_the_pickup_screen_follows_orders_without_a_reload(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page(viewport=TV)
    page.goto(base_of(site) + "/pickup")
    first = api.place(("margherita", 1), customerName="Ada Lovelace")
    second = api.place(("fries", 2), customerName="Grace Hopper")
    delivery = api.place(("burger", 1), fulfillment="DELIVERY", address="1 Main Street")
    more = [api.place(("cola", 1)) for _ in range(3)]
    numbers = [str(placed["order"]["number"]) for placed in (first, second, *more)]
    for placed in (first, second, delivery, *more):
        api.wait_status(placed["order"]["id"], "IN_KITCHEN")
    preparing = page.locator("#preparing li")
    expect(preparing).to_have_text(numbers)  # a driver collects the delivery, not a customer
    page.evaluate("window.notReloaded = true")
    assert page.evaluate("document.body.dataset.chimes") is None

    api.mark_ready(first["order"]["id"])
    expect(page.locator("#ready li")).to_have_text([numbers[0]])
    expect(preparing).to_have_text(numbers[1:])
    assert page.evaluate("document.body.dataset.chimes") == "1"
    assert page.evaluate("window.notReloaded") is True
    # Numbers only: no name, no item reaches the screen.
    text = page.locator("body").inner_text()
    assert "Ada" not in text and "Grace" not in text and "Margherita" not in text

    api.complete(first["order"]["id"])
    expect(page.locator("#ready li")).to_have_count(0)


def on_one_screen(page: Page) -> dict[str, Any]:
    """What of the pickup screen a TV shows: the page's height against the screen's, the
    footer's place, and each column's numbers shown whole on it and its "+N more"."""
    shown: dict[str, Any] = page.evaluate(
        """() => {
        const inView = (el) => {
          const box = el.getBoundingClientRect();
          return box.top >= 0 && box.bottom <= innerHeight
            && box.left >= 0 && box.right <= innerWidth;
        };
        const column = (id) => {
          const items = [...document.querySelectorAll(`#${id} li`)];
          const more = document.getElementById(`${id}-more`);
          return {
            numbers: items.filter(inView).map((li) => li.textContent),
            all: items.length,
            more: more && !more.hidden ? more.textContent : "",
            size: parseFloat(getComputedStyle(items[0]).fontSize),
          };
        };
        const foot = document.querySelector(".board-foot");
        return {
          scrollHeight: document.documentElement.scrollHeight,
          innerHeight,
          foot: inView(foot) && inView(document.getElementById("sound")),
          preparing: column("preparing"),
          ready: column("ready"),
        };
    }"""
    )
    return shown


def test_the_pickup_screen_fits_a_rush_on_one_tv_screen(
    db_path: Path, new_page: Callable[..., Page], screenshots: Path
) -> None:
    with running(db_path) as server:  # no per-address limit: 40 orders from one test
        api = Api(server.url)
        # Three-digit numbers, as in an evening's rush: the day's orders so far, done.
        done = api.place(("cola", 1))["order"]["id"]
        api.wait_status(done, "IN_KITCHEN")
        api.mark_ready(done)
        api.complete(done)
        with sqlite3.connect(db_path, timeout=10) as conn:
            conn.execute("UPDATE orders SET number = 400 WHERE id = ?", (done,))
        rush = [api.place(("margherita", 1), customerName=f"Guest {n}") for n in range(40)]
        for placed in rush:
            api.wait_status(placed["order"]["id"], "IN_KITCHEN")
        numbers = [str(placed["order"]["number"]) for placed in rush]
        assert numbers[0] == "401"
        for placed in rush[:15]:
            api.mark_ready(placed["order"]["id"])

        page = new_page(viewport=TV)
        page.goto(base_of(server) + "/pickup")
        expect(page.locator("#ready li")).to_have_count(15)
        expect(page.locator("#preparing li")).to_have_count(25)
        page.evaluate("window.notReloaded = true")
        tv = on_one_screen(page)
        assert tv["scrollHeight"] <= tv["innerHeight"], tv
        assert tv["foot"], tv
        # All 40 on the screen, whole, large enough to read across the room.
        assert (tv["ready"]["numbers"], tv["ready"]["more"]) == (numbers[:15], ""), tv
        assert (tv["preparing"]["numbers"], tv["preparing"]["more"]) == (numbers[15:], ""), tv
        assert min(tv["ready"]["size"], tv["preparing"]["size"]) >= LEGIBLE_PX, tv
        page.screenshot(path=str(screenshots / "web-pickup-tv.png"))

        # A smaller TV, and 15 more ready, called newest number first: past what fits,
        # the newest give way to "+N more", never those who have waited longest.
        page.set_viewport_size({"width": 1280, "height": 720})
        called = list(reversed(rush[15:30]))
        for placed in called:
            api.mark_ready(placed["order"]["id"])
        waited = numbers[:15] + [str(placed["order"]["number"]) for placed in called]
        expect(page.locator("#preparing li")).to_have_count(10)
        expect(page.locator("#ready-more")).to_be_visible()
        small = on_one_screen(page)
        assert small["scrollHeight"] <= small["innerHeight"], small
        assert small["foot"], small
        ready = small["ready"]
        assert ready["numbers"] == waited[: ready["all"]], small
        assert ready["more"] == f"+{30 - ready['all']} more", small
        assert ready["size"] >= LEGIBLE_PX
        assert page.evaluate("window.notReloaded") is True
