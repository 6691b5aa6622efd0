"""bench.rush's customers, in one client process: orders arrive at random (a Poisson
process at the plan's rate) with the demo's made-up baskets (clients/_customers.py);
each customer then opens their order's status page (``order(id)`` with the order's
accessToken, one WebSocket each) and keeps it open until the order is finished.

WEB and KIOSK orders are placed without a token, as the order page and the kiosk do;
PHONE and COUNTER ones by staff (COUNTER orders are paid in cash, so only the others'
cards are charged, and declined).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed

from bench._rush_plan import (
    FINAL_STATUSES,
    CustomersResult,
    Errors,
    Handshake,
    Placed,
    Plan,
    caught_up,
    cpu_seconds,
)
from bench._rush_screens import OPEN_OPTIONS
from bench.common import now
from clients._customers import MenuChoice, random_order
from clients.graphql import Connection, GraphQLError, HttpApi, http_client, next_data

PUBLIC_CHANNELS = frozenset({"WEB", "KIOSK"})
# Items with a stock run out over an evening of thousands of orders; the bench's
# customers order from the rest, so that no order is refused for it.
MENU = "{ menu { id category available stock } }"


class Customers:
    def __init__(self, plan: Plan, api: HttpApi, menu: list[MenuChoice]) -> None:
        self.plan = plan
        self.staff = api
        self.public = api.as_caller(None)
        self.menu = menu
        self.rng = random.Random(plan.seed)
        self.errors = Errors()
        self.placed: list[Placed] = []
        self.open_pages = 0
        self.tasks: set[asyncio.Task[None]] = set()
        self.pages: list[Connection] = []
        self.following: dict[str, Placed] = {}  # open pages, by order id
        self.closing = False

    async def arrive(self, stop: float) -> None:
        """New customers until ``stop``."""
        arrival = now()
        while True:
            arrival += self.rng.expovariate(self.plan.rate)  # a Poisson process
            await asyncio.sleep(max(0.0, arrival - now()))
            if now() >= stop:
                return
            task = asyncio.create_task(self.order())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def order(self) -> None:
        order_input: dict[str, Any] = dict(random_order(self.rng, self.menu))
        api = self.public if order_input["channel"] in PUBLIC_CHANNELS else self.staff
        variables = {"input": order_input, "key": str(uuid.uuid4())}
        sent = now()
        try:
            data = await api.execute(self.plan.documents.place_order, variables)
        except GraphQLError as exc:
            self.errors.add("graphql", f"placeOrder: {exc.message}")
            return
        acked = now()
        placed = data["placeOrder"]
        order = placed["order"]
        record = Placed(order["id"], order["number"], order_input["channel"], sent, acked, [])
        self.placed.append(record)
        await self.follow(record, placed["accessToken"])

    def showing_all(self, statuses: dict[str, str]) -> bool:
        """Every open page shows its order's last status."""
        return all(
            record.page and record.page[-1][1] == statuses.get(record.order_id)
            for record in self.following.values()
        )

    async def follow(self, record: Placed, token: str) -> None:
        """The customer's status page, open until the order is finished."""
        try:
            connection = await Connection.open(self.plan.url, token, **OPEN_OPTIONS)
        except Exception as exc:
            self.errors.add("dropped", f"status page of #{record.number} did not open: {exc}")
            return
        self.pages.append(connection)
        self.following[record.order_id] = record
        self.open_pages += 1
        last_update = ""
        try:
            await connection.subscribe(
                "1", self.plan.documents.status_page, {"id": record.order_id}
            )
            async for raw in connection.websocket:
                at = now()
                try:
                    data = next_data(json.loads(raw))
                except GraphQLError as exc:
                    self.errors.add("graphql", f"status page of #{record.number}: {exc.message}")
                    continue
                if data is None:
                    continue
                order = data["order"]
                record.page.append((at, order["status"]))
                if order["updatedAt"] < last_update:  # ISO 8601 UTC strings sort by time
                    self.errors.add("out-of-order", f"status page of #{record.number}")
                last_update = order["updatedAt"]
                if order["status"] in FINAL_STATUSES:
                    break  # the customer has seen the end and closes the page
        except ConnectionClosed as exc:
            if not self.closing:
                self.errors.add("dropped", f"status page of #{record.number}: {exc}")
        finally:
            self.following.pop(record.order_id, None)
            self.open_pages -= 1
            with contextlib.suppress(Exception):
                await connection.close()
            self.pages.remove(connection)


async def customers(plan: Plan, handshake: Handshake) -> CustomersResult:
    async with http_client(30.0, trust_env=False) as http:
        api = HttpApi(http, plan.url, plan.token)
        menu = [
            MenuChoice(item["id"], item["category"])
            for item in (await api.execute(MENU))["menu"]
            if item["available"] and item["stock"] is None
        ]
        party = Customers(plan, api, menu)
        window = await handshake.ready()
        open_pages: list[tuple[float, int]] = []

        async def count_pages() -> None:
            while True:
                open_pages.append((now(), party.open_pages))
                await asyncio.sleep(1.0)

        counting = asyncio.create_task(count_pages())
        await asyncio.sleep(max(0.0, window.start - now()))
        arriving = asyncio.create_task(party.arrive(window.stop))
        await asyncio.sleep(max(0.0, window.measure_from - now()))
        cpu0 = cpu_seconds()
        await arriving
        used = cpu_seconds() - cpu0
        quiet = await handshake.finished()
        await caught_up(lambda: party.showing_all(quiet.statuses))
        party.closing = True
        counting.cancel()
        for task in list(party.tasks):
            task.cancel()
        await asyncio.gather(counting, *party.tasks, return_exceptions=True)
    return CustomersResult(party.placed, open_pages, party.errors, used)
