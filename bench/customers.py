"""500 customer status pages, each following its own order, while orders flow at 5/s.

What the customer pages (resources/web/) put on the backend: every status page holds a
WebSocket with the ``order(id)`` subscription under its order's accessToken. One client
process (spawned) opens ``CUSTOMERS`` such connections, each for an order of its own
placed beforehand and taken to the kitchen by the restaurant's handlers. Then, for
``BUDGET_SECONDS``, new orders arrive at ``ORDERS_PER_SECOND`` (public placeOrder over
HTTP, each run through the whole pipeline by the handlers: ~5 events an order), and
staff mark the followed orders ready one after another at ``STAFF_ACTIONS_PER_SECOND``.
Per staff action: the time from sending ``markReady`` to the moment that order's own
customer connection has the READY state, on the machine's monotonic clock, taken by
the client's reader tasks. The backend's CPU is sampled in its own process over the
same window and divided by the events committed in it.

Run alone: ``python -m bench.customers`` (``python -m bench.customers 200`` for
another number of customers).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import sys
from dataclasses import dataclass
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection

from bench.common import (
    ORDER_INPUT,
    PLACE_ORDER,
    CpuSampler,
    Figure,
    RawHTTP,
    client_pool,
    cpu_seconds,
    now,
    percentile,
    raise_fd_limit,
    run_section,
    running_backend,
    temp_dir,
    wind_down,
)
from clients.graphql import Connection

TITLE = "Customers: 500 status pages following their own orders while orders flow at 5/s"
CUSTOMERS = 500
ORDERS_PER_SECOND = 5.0
STAFF_ACTIONS_PER_SECOND = 5.0
BUDGET_SECONDS = 30.0
CONNECT_CONCURRENCY = 50
SETUP_TIMEOUT_SECONDS = 300.0
# What the status page asks for (resources/web/js/status.js), less statusReason.
FOLLOW = """subscription Follow($id: ID!) { order(id: $id) { id number status fulfillment
  totalCents customerName notes updatedAt items { name quantity unitPriceCents notes } } }"""
PUBLIC_INPUT = {**ORDER_INPUT, "channel": "WEB"}
MARK_READY = "mutation($id: ID!) { markReady(orderId: $id) { status } }"
STATUS = "query($id: ID!) { order(id: $id) { status } }"


@dataclass(frozen=True, slots=True)
class CustomersRun:
    customers: int
    setup_seconds: float
    connect_seconds: float
    action_ms: list[float]  # markReady sent -> that customer's page has READY
    ack_ms: list[float]  # markReady sent -> its HTTP response
    orders_placed: int  # new orders while measuring
    measuring_started: float
    measuring_seconds: float
    client_cpu_seconds: float
    server_cpu_seconds: float = 0.0
    events: int = 0  # committed while measuring


def _body(query: str, variables: dict[str, object]) -> bytes:
    return json.dumps({"query": query, "variables": variables}, separators=(",", ":")).encode()


def _public_request(url: str, body: bytes) -> bytes:
    parts = urlsplit(url)
    head = (
        f"POST {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _call(http: RawHTTP, request: bytes) -> dict[str, object]:
    status, body = await http.exchange(request)
    data = json.loads(body)
    if status != 200 or data.get("errors"):
        raise RuntimeError(f"request failed ({status}): {data}")
    result: dict[str, object] = data["data"]
    return result


async def _follow(url: str, order_id: str, token: str) -> ClientConnection:
    connection = await Connection.open(
        url,
        token,
        ack_timeout=60,
        proxy=None,
        ping_interval=None,
        max_queue=None,
        open_timeout=60,
    )
    await connection.subscribe("1", FOLLOW, {"id": order_id})
    first = json.loads(await asyncio.wait_for(connection.websocket.recv(), 60))
    if first["payload"]["data"]["order"]["id"] != order_id:
        raise RuntimeError(f"the first message is not the order's: {first}")
    return connection.websocket


def customers_worker(url: str, customers: int, budget: float) -> CustomersRun:
    raise_fd_limit(customers + 256)
    return asyncio.run(_customers(url, customers, budget))


async def _orders_in_kitchen(
    http: RawHTTP, url: str, place: bytes, customers: int
) -> list[tuple[str, str]]:
    """``customers`` public orders, as ``(id, accessToken)``, once all are IN_KITCHEN."""
    followed: list[tuple[str, str]] = []
    for _ in range(customers):
        placed = await _call(http, place)
        entry = placed["placeOrder"]
        assert isinstance(entry, dict)
        followed.append((entry["order"]["id"], entry["accessToken"]))
    # The handlers take every order to the kitchen (markReady needs PAID or IN_KITCHEN).
    deadline = now() + SETUP_TIMEOUT_SECONDS
    for order_id, _ in followed:
        while True:
            data = await _call(http, RawHTTP.request(url, _body(STATUS, {"id": order_id})))
            order = data["order"]
            assert isinstance(order, dict)
            if order["status"] == "IN_KITCHEN":
                break
            if now() > deadline:
                raise TimeoutError(f"order {order_id} still {order['status']}")
            await asyncio.sleep(0.05)
    return followed


async def _new_orders(url: str, place: bytes, stop: float) -> int:
    """Public orders at ORDERS_PER_SECOND until ``stop``; how many."""
    placed = 0
    placing = await RawHTTP.connect(url)
    try:
        tick = now()
        while now() < stop:
            await _call(placing, place)
            placed += 1
            tick += 1 / ORDERS_PER_SECOND
            await asyncio.sleep(max(0.0, tick - now()))
    finally:
        await placing.close()
    return placed


async def _customers(url: str, customers: int, budget: float) -> CustomersRun:
    started = now()
    http = await RawHTTP.connect(url)
    place = _public_request(url, _body(PLACE_ORDER, {"input": PUBLIC_INPUT}))
    followed = await _orders_in_kitchen(http, url, place, customers)
    setup_seconds = now() - started

    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect(order_id: str, token: str) -> ClientConnection:
        async with gate:
            return await _follow(url, order_id, token)

    connected = now()
    connections = await asyncio.gather(*(connect(o, t) for o, t in followed))
    connect_seconds = now() - connected
    ready_at: dict[str, float] = {}
    arrived: dict[str, asyncio.Event] = {order_id: asyncio.Event() for order_id, _ in followed}

    async def reader(order_id: str, connection: ClientConnection) -> None:
        async for message in connection:
            at = now()
            text = message if isinstance(message, str) else message.decode()
            if '"READY"' in text and order_id not in ready_at:
                if order_id not in text:
                    raise RuntimeError(f"a customer got another order: {text[:300]}")
                ready_at[order_id] = at
                arrived[order_id].set()

    readers = [
        asyncio.create_task(reader(order_id, connection))
        for (order_id, _), connection in zip(followed, connections, strict=True)
    ]
    action_ms: list[float] = []
    ack_ms: list[float] = []

    async def staff(stop: float) -> None:
        tick = now()
        for order_id, _ in followed:
            if now() >= stop:
                break
            sent = now()
            await _call(http, RawHTTP.request(url, _body(MARK_READY, {"id": order_id})))
            ack_ms.append(1000 * (now() - sent))
            await asyncio.wait_for(arrived[order_id].wait(), 60)
            action_ms.append(1000 * (ready_at[order_id] - sent))
            tick += 1 / STAFF_ACTIONS_PER_SECOND
            await asyncio.sleep(max(0.0, tick - now()))

    cpu0, measuring = cpu_seconds(), now()
    stop = measuring + budget
    try:
        orders_placed, _ = await asyncio.gather(_new_orders(url, place, stop), staff(stop))
        client_cpu, measured = cpu_seconds() - cpu0, now() - measuring
    finally:
        await wind_down(readers, http, connections)
    return CustomersRun(
        customers,
        setup_seconds,
        connect_seconds,
        action_ms,
        ack_ms,
        orders_placed,
        measuring,
        measured,
        client_cpu,
    )


def measure(customers: int = CUSTOMERS) -> CustomersRun:
    raise_fd_limit(customers + 256)
    with (
        temp_dir() as folder,
        running_backend(folder, handlers=True) as backend,
        client_pool() as pool,
        CpuSampler() as sampler,
    ):
        seqs: list[tuple[float, int]] = []
        notifier = backend.notifier
        assert notifier is not None
        result = pool.submit(customers_worker, backend.url, customers, BUDGET_SECONDS)
        while not result.done():  # the events committed, sampled beside the CPU
            seqs.append((now(), notifier.events.last_key))
            with contextlib.suppress(TimeoutError):
                result.result(timeout=0.1)
        run_ = result.result()
        end = run_.measuring_started + run_.measuring_seconds
        inside = [seq for at, seq in seqs if run_.measuring_started <= at <= end]
        events = inside[-1] - inside[0] if len(inside) > 1 else 0
        return dataclasses.replace(
            run_, server_cpu_seconds=sampler.between(run_.measuring_started, end), events=events
        )


def figures(run_: CustomersRun) -> list[Figure]:
    per_change_ms = 1000 * run_.server_cpu_seconds / max(1, run_.events)
    note = (
        f"{run_.customers} customer WebSockets (order(id) with each order's accessToken), "
        f"opened in {run_.connect_seconds:.1f} s after {run_.setup_seconds:.0f} s of setup; "
        f"{len(run_.action_ms)} staff markReady over {run_.measuring_seconds:.0f} s while "
        f"{run_.orders_placed} new orders ran the pipeline; markReady HTTP ack p50 "
        f"{percentile(run_.ack_ms, 50):.1f} ms; backend process CPU "
        f"{100 * run_.server_cpu_seconds / run_.measuring_seconds:.0f} % of one core over "
        f"{run_.events} events; client "
        f"{100 * run_.client_cpu_seconds / run_.measuring_seconds:.0f} %"
    )
    return [
        Figure(
            f"staff markReady -> customer's page has it, p{p} ({run_.customers} customers)",
            percentile(run_.action_ms, p),
            "ms",
            note=note if p == 99 else "",
        )
        for p in (50, 99)
    ] + [Figure("backend CPU per change (event), customers following", per_change_ms, "ms")]


def run(customers: int = CUSTOMERS) -> list[Figure]:
    return figures(measure(customers))


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else CUSTOMERS
    run_section(TITLE, lambda: run(count))
