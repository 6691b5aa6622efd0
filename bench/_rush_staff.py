"""bench.rush's staff, in one client process: they watch the board (``orderChanges``, the
dashboard's own document) and move each order along at the pace of the plan: ready
after its kitchen time, completed after its pick-up time, and a declined card dealt with
a few seconds after it shows: the total taken in cash, the card charged again, or the
order cancelled. Up to ``STAFF`` actions are under way at once (one a terminal), each
with the mutation the dashboard's button sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import json
import random
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed

from bench._rush_plan import (
    FINAL_STATUSES,
    Errors,
    Handshake,
    Plan,
    StaffAction,
    StaffResult,
    cpu_seconds,
)
from bench._rush_screens import OPEN_OPTIONS
from bench.common import now
from clients.graphql import Connection, GraphQLError, HttpApi, http_client, next_data

STAFF = 4  # terminals acting at once
TICK_SECONDS = 0.02
# What staff do with a declined card (the rest: cancel); after a second decline, no
# third charge.
CASH_SHARE = 0.5
CHARGE_AGAIN_SHARE = 0.3
CANCEL_REASON = "the customer's card was declined and they left"
# The status each action makes.
MAKES = {
    "markReady": "READY",
    "completeOrder": "COMPLETED",
    "takeCash": "PAID",
    "retryPayment": "VALIDATED",
    "cancelOrder": "CANCELLED",
}


@dataclass(slots=True)
class Ticket:
    """An order as the staff's board shows it."""

    order_id: str
    number: int
    fulfillment: str
    total_cents: int
    status: str
    seen: float  # when it first showed up
    declines: int = 0
    busy: bool = False


class Staff:
    def __init__(self, plan: Plan, api: HttpApi) -> None:
        self.plan = plan
        self.api = api
        self.rng = random.Random(plan.seed + 1)
        self.errors = Errors()
        self.tickets: dict[str, Ticket] = {}
        self.due: list[tuple[float, int, str, str]] = []  # (when, tiebreak, order id, status)
        self.actions: list[StaffAction] = []
        self.gate = asyncio.Semaphore(STAFF)
        self.tasks: set[asyncio.Task[None]] = set()
        self.closing = False
        self._tiebreak = 0

    def _schedule(self, when: float, ticket: Ticket) -> None:
        self._tiebreak += 1
        heapq.heappush(self.due, (when, self._tiebreak, ticket.order_id, ticket.status))

    def seen(self, order: dict[str, Any], at: float) -> None:
        ticket = self.tickets.get(order["id"])
        if ticket is None:
            ticket = Ticket(
                order["id"], order["number"], order["fulfillment"], order["totalCents"], "", at
            )
            self.tickets[ticket.order_id] = ticket
        if order["status"] == ticket.status:
            return  # a line struck, a note: nothing for staff to do
        ticket.status = order["status"]
        if ticket.status == "IN_KITCHEN":
            self._schedule(max(at, ticket.seen + self.plan.kitchen_seconds), ticket)
        elif ticket.status == "READY":
            self._schedule(at + self.plan.pickup_seconds, ticket)
        elif ticket.status == "PAYMENT_FAILED":
            ticket.declines += 1
            self._schedule(at + self.plan.declined_seconds, ticket)
        elif ticket.status in FINAL_STATUSES:
            del self.tickets[ticket.order_id]

    async def follow(self, connection: Connection) -> None:
        try:
            async for raw in connection.websocket:
                at = now()
                try:
                    data = next_data(json.loads(raw))
                except GraphQLError as exc:
                    self.errors.add("graphql", f"staff's board: {exc.message}")
                    continue
                if data is not None:
                    self.seen(data["orderChanges"]["order"], at)
        except ConnectionClosed as exc:
            if not self.closing:
                self.errors.add("dropped", f"staff's board: {exc}")

    def _action_for(self, ticket: Ticket) -> tuple[str, dict[str, Any]]:
        variables: dict[str, Any] = {"id": ticket.order_id}
        if ticket.status == "IN_KITCHEN":
            return "markReady", variables
        if ticket.status in ("READY", "OUT_FOR_DELIVERY"):
            return "completeOrder", variables
        roll = self.rng.random()
        if roll < CASH_SHARE:
            return "takeCash", {**variables, "cents": ticket.total_cents}
        if roll < CASH_SHARE + CHARGE_AGAIN_SHARE and ticket.declines < 2:
            return "retryPayment", variables
        return "cancelOrder", {**variables, "reason": CANCEL_REASON}

    async def act(self, ticket: Ticket) -> None:
        kind, variables = self._action_for(ticket)
        async with self.gate:
            sent = now()
            try:
                await self.api.execute(self.plan.documents.mutations[kind], variables)
                ok = True
            except GraphQLError as exc:
                self.errors.add("graphql", f"{kind} #{ticket.number}: {exc.code} {exc.message}")
                ok = False
            acked = now()
        ticket.busy = False
        self.actions.append(
            StaffAction(
                kind,
                ticket.order_id,
                ticket.number,
                ticket.fulfillment,
                MAKES[kind],
                sent,
                acked,
                ok,
            )
        )

    async def work(self, stop: float) -> None:
        """Act on every ticket as it comes due, until ``stop``."""
        while now() < stop:
            while self.due and self.due[0][0] <= now():
                _, _, order_id, status = heapq.heappop(self.due)
                ticket = self.tickets.get(order_id)
                # Moved on since (a delivery order out with its driver is still completed).
                still = ticket is not None and (
                    ticket.status == status
                    or (status == "READY" and ticket.status == "OUT_FOR_DELIVERY")
                )
                if ticket is None or not still or ticket.busy:
                    continue
                ticket.busy = True
                task = asyncio.create_task(self.act(ticket))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            await asyncio.sleep(TICK_SECONDS)
        await asyncio.gather(*self.tasks)


async def staff(plan: Plan, handshake: Handshake) -> StaffResult:
    async with http_client(30.0, trust_env=False) as http:
        api = HttpApi(http, plan.url, plan.token)
        marks = await api.execute(plan.documents.last_seq, {"before": 2**31 - 1})
        cursor = marks["events"][0]["seq"] if marks["events"] else 0
        connection = await Connection.open(plan.url, plan.token, **OPEN_OPTIONS)
        board = next(doc for name, doc, _ in plan.documents.dashboard if name == "board")
        await connection.subscribe("1", board, {"afterSeq": cursor})
        team = Staff(plan, api)
        following = asyncio.create_task(team.follow(connection))
        window = await handshake.ready()
        working = asyncio.create_task(team.work(window.stop))  # from the first order on
        await asyncio.sleep(max(0.0, window.measure_from - now()))
        cpu0 = cpu_seconds()
        await working
        used = cpu_seconds() - cpu0
        await handshake.finished()
        team.closing = True
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)
        with contextlib.suppress(Exception):
            await connection.close()
    return StaffResult(team.actions, team.errors, used)
