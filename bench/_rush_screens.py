"""bench.rush's screens, in one client process: the dashboards (each one WebSocket with
the subscriptions a dashboard window holds, and its ping every 2 s) and the pickup screen
(public, ``pickupBoard``). They record when each change reaches them."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from bench._rush_plan import Errors, Handshake, Plan, ScreensResult, caught_up, cpu_seconds
from bench.common import now
from clients.graphql import Connection, GraphQLError, HttpApi, http_client, next_data
from clients.live import PING_INTERVAL_SECONDS

OPEN_OPTIONS: dict[str, Any] = {
    "ack_timeout": 30,
    "open_timeout": 30,
    "proxy": None,
    "max_size": None,
    "compression": None,  # as the dashboard's LiveClient
    "ping_interval": None,  # the dashboard pings over the protocol instead (below)
    "max_queue": None,
}


class Dashboard:
    """One dashboard window's connection: its subscriptions, answered pings, and the
    board's changes as they arrive."""

    def __init__(self, index: int, connection: Connection, errors: Errors) -> None:
        self.index = index
        self.connection = connection
        self.errors = errors
        self.board: list[tuple[float, int, str, str]] = []
        self.other_messages = 0
        self.closing = False

    @classmethod
    async def open(cls, index: int, plan: Plan, cursor: int, errors: Errors) -> Dashboard:
        connection = await Connection.open(plan.url, plan.token, **OPEN_OPTIONS)
        for op_id, (_, document, variables) in enumerate(plan.documents.dashboard, 1):
            # The board's subscription is the first: it follows from the cursor.
            given = {"afterSeq": cursor} if op_id == 1 else variables
            await connection.subscribe(str(op_id), document, given)
        return cls(index, connection, errors)

    async def read(self) -> None:
        try:
            async for raw in self.connection.websocket:
                at = now()
                message = json.loads(raw)
                kind = message.get("type")
                if kind == "ping":
                    await self.connection.send({"type": "pong"})
                    continue
                try:
                    data = next_data(message)
                except GraphQLError as exc:
                    self.errors.add("graphql", f"dashboard {self.index}: {exc.message}")
                    continue
                if data is None:
                    if kind == "complete":
                        self.errors.add("dropped", f"dashboard {self.index}: {message}")
                    continue
                if message.get("id") != "1":
                    self.other_messages += 1
                    continue
                # In order and complete? bench/_rush_report.py checks, against the log.
                change = data["orderChanges"]
                order = change["order"]
                self.board.append((at, change["seq"], order["id"], order["status"]))
        except ConnectionClosed as exc:
            if not self.closing:
                self.errors.add("dropped", f"dashboard {self.index}: {exc}")

    async def heartbeat(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(PING_INTERVAL_SECONDS)
                await self.connection.send({"type": "ping"})


class PickupScreen:
    """The TV by the counter: the board of numbers, each change of it as it arrives."""

    def __init__(self, websocket: ClientConnection, errors: Errors) -> None:
        self.websocket = websocket
        self.errors = errors
        self.board: dict[int, str] = {}
        self.changes: list[tuple[float, int, str | None]] = []
        self.closing = False

    async def read(self) -> None:
        try:
            async for raw in self.websocket:
                at = now()
                try:
                    data = next_data(json.loads(raw))
                except GraphQLError as exc:
                    self.errors.add("graphql", f"pickup screen: {exc.message}")
                    continue
                if data is None:
                    continue
                board = {entry["number"]: entry["state"] for entry in data["pickupBoard"]}
                for number in self.board.keys() - board.keys():
                    self.changes.append((at, number, None))
                for number, state in board.items():
                    if self.board.get(number) != state:
                        self.changes.append((at, number, state))
                self.board = board
        except ConnectionClosed as exc:
            if not self.closing:
                self.errors.add("dropped", f"pickup screen: {exc}")


async def screens(plan: Plan, handshake: Handshake) -> ScreensResult:
    errors = Errors()
    async with http_client(30.0, trust_env=False) as http:
        marks = await HttpApi(http, plan.url, plan.token).execute(
            plan.documents.last_seq, {"before": 2**31 - 1}
        )
    cursor = marks["events"][0]["seq"] if marks["events"] else 0
    dashboards = [await Dashboard.open(n, plan, cursor, errors) for n in range(plan.dashboards)]
    pickup_connection = await Connection.open(plan.url, None, **OPEN_OPTIONS)
    await pickup_connection.subscribe("1", plan.documents.pickup)
    pickup = PickupScreen(pickup_connection.websocket, errors)
    tasks = [asyncio.create_task(d.read()) for d in dashboards]
    tasks += [asyncio.create_task(d.heartbeat()) for d in dashboards]
    tasks.append(asyncio.create_task(pickup.read()))
    window = await handshake.ready()
    await asyncio.sleep(max(0.0, window.measure_from - now()))
    cpu0 = cpu_seconds()
    await asyncio.sleep(max(0.0, window.stop - now()))
    used = cpu_seconds() - cpu0
    quiet = await handshake.finished()
    await caught_up(
        lambda: (
            all(d.board and d.board[-1][1] >= quiet.last_order_seq for d in dashboards)
            and pickup.board == quiet.pickup_board
        )
    )
    for dashboard in dashboards:
        dashboard.closing = True
    pickup.closing = True
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    with contextlib.suppress(Exception):
        await asyncio.gather(pickup_connection.close(), *(d.connection.close() for d in dashboards))
    return ScreensResult(
        cursor=cursor,
        boards=[d.board for d in dashboards],
        other_messages=sum(d.other_messages for d in dashboards),
        pickup=pickup.changes,
        pickup_final=pickup.board,
        errors=errors,
        cpu_seconds=used,
    )
