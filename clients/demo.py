"""``--demo``: simulated customers and kitchen staff, so the dashboard has life.

Both are outside clients of the public API, like a kiosk or the dashboard: they use
real HTTP requests and a real WebSocket to the backend's own URL, never its internals.

- **Customers** arrive at random (a Poisson process at ``orders_per_minute``), read the
  ``menu`` and place a realistic order: WEB and KIOSK without a token (the public
  ordering surface), PHONE and COUNTER with the staff token, an address for DELIVERY.
- **The kitchen** follows ``orderChanges`` over ``graphql-transport-ws`` and, after a
  random short delay, marks ``IN_KITCHEN`` orders ready and completes ``READY`` and
  ``OUT_FOR_DELIVERY`` ones. Like the event runner, it is woken by the feed and backed
  by a slow sweep (an ``orders`` query): the sweep picks up orders that were already
  waiting when the demo started, and anything a reconnect could have missed.

The payment gateway's failure rate is the backend's (``--demo-failure-rate``), so
declined payments, retries and dead letters show up on the dashboard too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from clients._customers import MenuChoice, PlaceOrderInput, random_order
from clients.graphql import GraphQLError, HttpApi, Unreachable, http_client
from clients.live import ConnectionState, LiveClient

log = logging.getLogger(__name__)

DEFAULT_ORDERS_PER_MINUTE = 6.0
MAX_ORDERS_PER_MINUTE = 6_000.0
COOK_SECONDS = (8.0, 30.0)  # IN_KITCHEN -> markReady after this long
SERVE_SECONDS = (5.0, 20.0)  # READY / OUT_FOR_DELIVERY -> completeOrder after this long
SWEEP_SECONDS = 15.0
RETRY_SECONDS = 1.0
PLACE_ATTEMPTS = 3  # a lost connection is retried with the same idempotency key
STOP_SECONDS = 10.0
PAGE = 200

PUBLIC_CHANNELS = frozenset({"WEB", "KIOSK"})

MENU = "{ menu { id category available modifierGroups { minChoices modifiers { id } } } }"
PLACE_ORDER = """
mutation Place($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) { order { id number channel fulfillment } }
}
"""
ORDER_CHANGES = """
subscription Kitchen($after: Int) {
  orderChanges(afterSeq: $after) { seq order { id number status } }
}
"""
WAITING_ORDERS = """
query Waiting($after: String, $first: Int!) {
  orders(status: [IN_KITCHEN, READY, OUT_FOR_DELIVERY], first: $first, after: $after) {
    id number status
  }
}
"""


@dataclass(frozen=True, slots=True)
class DemoSettings:
    """How busy the demo restaurant is; the defaults suit a dashboard on show."""

    orders_per_minute: float = DEFAULT_ORDERS_PER_MINUTE
    max_orders: int | None = None  # customers stop after this many (None: never)
    cook_seconds: tuple[float, float] = COOK_SECONDS
    serve_seconds: tuple[float, float] = SERVE_SECONDS
    sweep_seconds: float = SWEEP_SECONDS
    seed: int | None = None


def client_url(url: str) -> str:
    """``url`` with a wildcard listen address replaced by loopback, to connect to."""
    parts = urlsplit(url)
    loopback = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(parts.hostname or "")
    if loopback is None:
        return url
    host = f"[{loopback}]" if ":" in loopback else loopback
    return urlunsplit(parts._replace(netloc=f"{host}:{parts.port}"))


@dataclass(frozen=True, slots=True)
class StaffAction:
    """What the kitchen does to an order in some status (``field``: the mutation)."""

    field: str
    pace: str  # the DemoSettings field with the delay range

    @property
    def document(self) -> str:
        return f"mutation Staff($id: ID!) {{ {self.field}(orderId: $id) {{ number status }} }}"


MARK_READY = StaffAction("markReady", "cook_seconds")
COMPLETE = StaffAction("completeOrder", "serve_seconds")
STAFF_ACTIONS: Mapping[str, StaffAction] = {
    "IN_KITCHEN": MARK_READY,
    "READY": COMPLETE,
    "OUT_FOR_DELIVERY": COMPLETE,
}


class Kitchen:
    """The staff side of the demo: follows the orders and moves them along.

    One staff client, as a dashboard is: its feed reconnects by itself and resumes
    after the last change seen (``cursor``)."""

    def __init__(
        self,
        url: str,
        token: str,
        settings: DemoSettings,
        rng: random.Random,
        tasks: asyncio.TaskGroup,
    ) -> None:
        self.client = LiveClient(url, token, on_state=self._on_state)
        self.settings = settings
        self.rng = rng
        self.tasks = tasks
        self.cursor: int | None = None  # the last change seen; None: from now
        self.following = asyncio.Event()  # the first subscription was sent (or failed)
        self._scheduled: set[tuple[str, str]] = set()  # (order id, mutation) under way

    def see(self, order: Mapping[str, Any]) -> None:
        """Plan what staff do next to ``order`` ({id, number, status}), once."""
        action = STAFF_ACTIONS.get(order["status"])
        if action is None or (order["id"], action.field) in self._scheduled:
            return
        self._scheduled.add((order["id"], action.field))
        low, high = getattr(self.settings, action.pace)
        self.tasks.create_task(self._act(order, action, self.rng.uniform(low, high)))

    async def _act(self, order: Mapping[str, Any], action: StaffAction, delay: float) -> None:
        try:
            await asyncio.sleep(delay)
            data = await self.client.execute(action.document, {"id": order["id"]})
            log.info("demo staff: order #%s is %s", order["number"], data[action.field]["status"])
        except GraphQLError as exc:
            # Someone else (a person on the dashboard) got there first: nothing to do.
            level = logging.DEBUG if exc.code == "INVALID_TRANSITION" else logging.WARNING
            log.log(level, "demo staff: %s on order #%s: %s", action.field, order["number"], exc)
        finally:
            self._scheduled.discard((order["id"], action.field))

    async def follow(self) -> None:
        """See every order change live, from now on (until :meth:`close`)."""
        self.client.subscribe(ORDER_CHANGES, lambda: {"after": self.cursor}, self._on_change)
        await self.client.start()

    async def close(self) -> None:
        await self.client.close()

    def _on_change(self, data: dict[str, Any]) -> None:
        change = data["orderChanges"]
        self.cursor = change["seq"]
        self.see(change["order"])

    def _on_state(self, state: ConnectionState) -> None:
        # Subscribed (the client sends its subscriptions before it says connected), or
        # the backend is out of reach for now: either way, no need to wait any longer.
        if state in ("connected", "reconnecting", "offline"):
            self.following.set()
        if state == "reconnecting":
            log.warning(
                "demo staff: the order feed failed (%s); reconnecting", self.client.last_error
            )

    async def sweep(self) -> None:
        """Once the feed is followed, and every ``sweep_seconds``: see the waiting orders."""
        # Subscribe first, list second: an order that moves in between is in one of them.
        await self.following.wait()
        while True:
            after: str | None = None
            try:
                while True:
                    page = await self.client.execute(
                        WAITING_ORDERS, {"after": after, "first": PAGE}
                    )
                    for order in page["orders"]:
                        self.see(order)
                    if len(page["orders"]) < PAGE:
                        break
                    after = str(page["orders"][-1]["number"])
            except GraphQLError as exc:
                log.warning("demo staff: could not list the waiting orders: %s", exc)
            await asyncio.sleep(self.settings.sweep_seconds)


class Demo:
    """Customers and kitchen staff against the API at ``url``; run until cancelled."""

    def __init__(self, url: str, staff_token: str, settings: DemoSettings | None = None) -> None:
        self.url = client_url(url)
        self.staff_token = staff_token
        self.settings = settings or DemoSettings()
        self.rng = random.Random(self.settings.seed)
        self.placed = 0  # orders the API accepted

    async def run(self) -> None:
        async with http_client() as http, asyncio.TaskGroup() as tasks:
            kitchen = Kitchen(self.url, self.staff_token, self.settings, self.rng, tasks)
            try:
                await kitchen.follow()
                tasks.create_task(kitchen.sweep(), name="demo-kitchen-sweep")
                # Customers come once the kitchen listens, so it sees their orders live.
                await kitchen.following.wait()
                await self._customers(HttpApi(http, self.url))
                await asyncio.Future()  # the kitchen works on until the demo is cancelled
            finally:
                await kitchen.close()

    async def _customers(self, public: HttpApi) -> None:
        arrivals = 0
        while self.settings.max_orders is None or arrivals < self.settings.max_orders:
            await asyncio.sleep(self.rng.expovariate(self.settings.orders_per_minute / 60.0))
            arrivals += 1
            try:
                await self._customer(public)
            except GraphQLError as exc:
                log.warning("demo customer: could not place an order: %s", exc)

    async def _customer(self, public: HttpApi) -> None:
        menu = [
            MenuChoice.of(item)
            for item in (await public.execute(MENU))["menu"]
            if item["available"]
        ]
        if not menu:
            log.warning("demo customer: nothing on the menu is available; no order")
            return
        order = random_order(self.rng, menu)
        api = public if order["channel"] in PUBLIC_CHANNELS else public.as_caller(self.staff_token)
        placed = (await self._place(api, order))["placeOrder"]["order"]
        self.placed += 1
        log.info(
            "demo customer: order #%s (%s, %s)",
            placed["number"],
            placed["channel"],
            placed["fulfillment"],
        )

    async def _place(self, api: HttpApi, order: PlaceOrderInput) -> dict[str, Any]:
        variables = {"input": order, "key": f"demo-{uuid.uuid4()}"}
        for _ in range(PLACE_ATTEMPTS - 1):
            # The same key again: if the first request did arrive, no second order.
            with contextlib.suppress(Unreachable):
                return await api.execute(PLACE_ORDER, variables)
            await asyncio.sleep(RETRY_SECONDS)
        return await api.execute(PLACE_ORDER, variables)


class DemoThread:
    """Runs a :class:`Demo` on its own thread and loop, like any outside client."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self._thread = threading.Thread(target=self._run, name="passline-demo", daemon=True)
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Cancel the demo (its requests and timers) and wait for the thread to end."""
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        run = asyncio.create_task(self.demo.run(), name="passline-demo")
        stopping = asyncio.create_task(self._stop.wait())
        await asyncio.wait({run, stopping}, return_when=asyncio.FIRST_COMPLETED)
        run.cancel()
        stopping.cancel()
        try:
            await run
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the demo stopped on an unexpected error")
