"""Fan-out at a steady rate of changes (issue 16), the runs besides bench.fanout's bursts.

- **Followers:** N WebSocket subscribers, each on ``order(id)`` of its own order (none
  share an execution: their variables differ), while staff change random ones of those
  orders at a steady rate (``markReady``, then ``recallOrder``: one event, one message
  to one follower, each). For each change: the time from sending the mutation to its
  follower having the order's new state. Run with 100 followers, then with 10,000 (the
  same backend and orders), so the backend's CPU per change can be compared: the goal
  is that it does not depend on how many others follow other orders.
- **Acknowledgements:** ``placeOrder`` at a steady rate, its HTTP acknowledgement timed,
  with no ``orderChanges`` subscriber and then with 1,000 being fed every order (the
  light subscribers of clients/subscriber.py).

The orders are placed first with the handlers running, until every one is in the
kitchen (the changes above need that state); the handlers are paused before measuring.
Clients run in a separate process, as in bench.fanout; changes are sent on a fixed
schedule (open loop), one HTTP connection, so a slow answer delays the next sends:
``late`` counts the changes sent more than 50 ms after their time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import time
from dataclasses import dataclass

import httpx
from websockets.asyncio.client import ClientConnection

from bench.common import (
    LOOPBACK,
    ORDER_CHANGES,
    PLACE_ORDER_BODY,
    STAFF_TOKEN,
    CpuSampler,
    Figure,
    RawHTTP,
    auth_headers,
    client_pool,
    cpu_seconds,
    now,
    pause_handlers,
    percentile,
    placed_order_id,
    raise_fd_limit,
    running_backend,
    temp_dir,
    wait_for_subscriptions,
)
from clients.graphql import Connection
from clients.subscriber import LightSubscriber, light_subscriber

TITLE = "fanout at a steady rate: order(id) followers, placeOrder acks"
FOLLOWERS = (100, 10_000)
CHANGE_RATE = 20.0  # changes a second
CHANGE_SECONDS = 60.0
ACK_SUBSCRIBERS = (0, 1_000)
ACK_RATE = 20.0  # orders a second
ACK_SECONDS = 20.0
LATE_SECONDS = 0.05
PLACERS = 16  # HTTP connections placing the followers' orders
CONNECT_CONCURRENCY = 50
ARRIVAL_TIMEOUT_SECONDS = 30.0
PIPELINE_TIMEOUT_SECONDS = 600.0
ORDER_LIVE = "subscription Follow($id: ID!) { order(id: $id) { id status updatedAt } }"
MARK_READY = "mutation Ready($id: ID!) { markReady(orderId: $id) { id status } }"
RECALL = "mutation Recall($id: ID!) { recallOrder(orderId: $id) { id status } }"
IN_PIPELINE = "{ orders(status: [PLACED, VALIDATED, PAID], first: 1) { id } }"


@dataclass(frozen=True, slots=True)
class SteadyRun:
    """One measuring phase at a steady rate."""

    kind: str  # "followers" or "acks"
    subscribers: int
    latencies_ms: list[float]  # followers: change sent -> its follower has it
    acks_ms: list[float]  # HTTP request sent -> response
    late: int  # changes sent more than LATE_SECONDS after their time
    refused: int  # changes the server refused (an order not in a state to change)
    measuring_started: float
    measuring_seconds: float
    client_cpu_seconds: float
    server_cpu_seconds: float = 0.0


def _body(query: str, order_id: str) -> bytes:
    return json.dumps({"query": query, "variables": {"id": order_id}}).encode()


async def _follow(url: str, order_id: str) -> ClientConnection:
    """A connection following ``order_id``, once its current state came."""
    connection = await Connection.open(
        url,
        STAFF_TOKEN,
        ack_timeout=30,
        proxy=None,
        ping_interval=None,
        max_queue=None,
        open_timeout=30,
    )
    await connection.subscribe("1", ORDER_LIVE, {"id": order_id})
    first = json.loads(await asyncio.wait_for(connection.websocket.recv(), 30))
    if first.get("type") != "next" or first["payload"].get("errors"):
        raise RuntimeError(f"could not follow order {order_id}: {first}")
    return connection.websocket


async def _place_orders(url: str, count: int) -> list[str]:
    ids: list[str] = []
    request = RawHTTP.request(url, PLACE_ORDER_BODY)

    async def placer(share: int) -> None:
        http = await RawHTTP.connect(url)
        try:
            for _ in range(share):
                ids.append(placed_order_id(*await http.exchange(request)))
        finally:
            await http.close()

    shares = [count // PLACERS + (n < count % PLACERS) for n in range(PLACERS)]
    await asyncio.gather(*(placer(share) for share in shares if share))
    return ids


async def _through_pipeline(url: str) -> None:
    """Return once no order is waiting for a handler to move it on."""
    deadline = now() + PIPELINE_TIMEOUT_SECONDS
    async with httpx.AsyncClient(headers=auth_headers(), **LOOPBACK) as http:
        while True:
            body = (await http.post(url, json={"query": IN_PIPELINE})).json()
            if not body["data"]["orders"]:
                return
            if now() > deadline:
                raise TimeoutError("the orders did not all reach the kitchen")
            await asyncio.sleep(0.5)


def followers_worker(
    url: str, sizes: tuple[int, ...], rate: float, seconds: float
) -> list[SteadyRun]:
    raise_fd_limit(max(sizes) + 256)
    return asyncio.run(_followers(url, sizes, rate, seconds))


async def _followers(
    url: str, sizes: tuple[int, ...], rate: float, seconds: float
) -> list[SteadyRun]:
    ids = await _place_orders(url, max(sizes))
    await _through_pipeline(url)
    await asyncio.to_thread(pause_handlers, url)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    arrivals: dict[str, tuple[str, asyncio.Future[float]]] = {}
    connections: list[ClientConnection] = []
    readers: list[asyncio.Task[None]] = []

    async def connect(order_id: str) -> ClientConnection:
        async with gate:
            return await _follow(url, order_id)

    async def reader(connection: ClientConnection) -> None:
        async for message in connection:
            at = now()
            order = json.loads(message)["payload"]["data"]["order"]
            expected = arrivals.get(order["id"])
            if expected is not None and expected[0] == order["status"]:
                del arrivals[order["id"]]
                expected[1].set_result(at)

    ready: set[str] = set()  # orders made ready and not recalled since
    runs = []
    try:
        for size in sorted(sizes):
            fresh = await asyncio.gather(*(connect(o) for o in ids[len(connections) : size]))
            connections += fresh
            readers += [asyncio.create_task(reader(c)) for c in fresh]
            runs.append(await _changes(url, ids[:size], arrivals, ready, rate, seconds))
    finally:
        for task in readers:
            task.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        await asyncio.gather(*(c.close() for c in connections), return_exceptions=True)
    return runs


async def _changes(
    url: str,
    followed: list[str],
    arrivals: dict[str, tuple[str, asyncio.Future[float]]],
    ready: set[str],
    rate: float,
    seconds: float,
) -> SteadyRun:
    http = await RawHTTP.connect(url)
    latencies: list[float] = []
    acks: list[float] = []
    pending: list[asyncio.Task[None]] = []
    late = refused = 0

    async def timed(sent: float, arrived: asyncio.Future[float]) -> None:
        latencies.append(1000 * (await asyncio.wait_for(arrived, ARRIVAL_TIMEOUT_SECONDS) - sent))

    cpu0, started = cpu_seconds(), now()
    try:
        for k in range(int(rate * seconds)):
            due = started + k / rate
            if due > now():
                await asyncio.sleep(due - now())
            elif now() - due > LATE_SECONDS:
                late += 1
            # One not waiting for its last change's message, so each message is told apart.
            order_id = random.choice(followed)
            while order_id in arrivals:
                order_id = random.choice(followed)
            to_ready = order_id not in ready
            arrived = asyncio.get_running_loop().create_future()
            arrivals[order_id] = ("READY" if to_ready else "IN_KITCHEN", arrived)
            sent = now()
            status, body = await http.exchange(
                RawHTTP.request(url, _body(MARK_READY if to_ready else RECALL, order_id))
            )
            acks.append(1000 * (now() - sent))
            if status != 200 or json.loads(body).get("errors"):
                refused += 1
                del arrivals[order_id]
                continue
            ready.symmetric_difference_update({order_id})
            pending.append(asyncio.create_task(timed(sent, arrived)))
        await asyncio.gather(*pending)
        measuring = now() - started
        client_cpu = cpu_seconds() - cpu0
    finally:
        await http.close()
    return SteadyRun(
        "followers", len(followed), latencies, acks, late, refused, started, measuring, client_cpu
    )


def acks_worker(url: str, sizes: tuple[int, ...], rate: float, seconds: float) -> list[SteadyRun]:
    raise_fd_limit(max(sizes) + 256)
    return asyncio.run(_acks(url, sizes, rate, seconds))


async def _acks(url: str, sizes: tuple[int, ...], rate: float, seconds: float) -> list[SteadyRun]:
    runs = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    for size in sizes:
        received = 0

        def count(at: float, message: bytes) -> None:
            nonlocal received
            received += 1

        async def connect() -> LightSubscriber:
            async with gate:
                return await light_subscriber(
                    url, STAFF_TOKEN, ORDER_CHANGES, count, clock=time.perf_counter
                )

        await wait_for_subscriptions(url, "orderChanges", 0, ARRIVAL_TIMEOUT_SECONDS, at_most=True)
        connections = await asyncio.gather(*(connect() for _ in range(size)))
        await wait_for_subscriptions(url, "orderChanges", size, ARRIVAL_TIMEOUT_SECONDS)
        http = await RawHTTP.connect(url)
        request = RawHTTP.request(url, PLACE_ORDER_BODY)
        acks: list[float] = []
        late = 0
        try:
            cpu0, started = cpu_seconds(), now()
            for k in range(int(rate * seconds)):
                due = started + k / rate
                if due > now():
                    await asyncio.sleep(due - now())
                elif now() - due > LATE_SECONDS:
                    late += 1
                sent = now()
                placed_order_id(*await http.exchange(request))
                acks.append(1000 * (now() - sent))
            # Every subscriber has every order before the next size starts.
            deadline = now() + ARRIVAL_TIMEOUT_SECONDS
            while received < size * len(acks) and now() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            measuring, client_cpu = now() - started, cpu_seconds() - cpu0
        finally:
            for connection in connections:
                connection.close()
            await http.close()
        runs.append(SteadyRun("acks", size, [], acks, late, 0, started, measuring, client_cpu))
    return runs


def measure(
    followers: tuple[int, ...] = FOLLOWERS,
    acks: tuple[int, ...] = ACK_SUBSCRIBERS,
    seconds: float = CHANGE_SECONDS,
    ack_seconds: float = ACK_SECONDS,
) -> list[SteadyRun]:
    """Both runs, each on a backend of its own; the backend's CPU of each phase added."""
    raise_fd_limit(max(*followers, *acks) + 256)
    runs: list[SteadyRun] = []
    for handlers, worker, sizes, rate, length in (
        (True, followers_worker, followers, CHANGE_RATE, seconds),
        (False, acks_worker, acks, ACK_RATE, ack_seconds),
    ):
        if not sizes:
            continue
        with (
            temp_dir() as folder,
            running_backend(folder, handlers=handlers) as backend,
            client_pool() as pool,
            CpuSampler() as sampler,
        ):
            for run_ in pool.submit(worker, backend.url, sizes, rate, length).result():
                end = run_.measuring_started + run_.measuring_seconds
                server_cpu = sampler.between(run_.measuring_started, end)
                runs.append(dataclasses.replace(run_, server_cpu_seconds=server_cpu))
    return runs


def figures(runs: list[SteadyRun]) -> list[Figure]:
    result = []
    base = next((r for r in runs if r.kind == "followers"), None)
    for run_ in runs:
        changes = max(1, len(run_.acks_ms))
        cpu_ms = 1000 * run_.server_cpu_seconds / changes
        note = (
            f"{len(run_.acks_ms)} changes in {run_.measuring_seconds:.0f} s ({run_.late} sent "
            f"late, {run_.refused} refused); HTTP ack p50 {percentile(run_.acks_ms, 50):.1f} ms, "
            f"p99 {percentile(run_.acks_ms, 99):.1f} ms; backend CPU {cpu_ms:.2f} ms a change "
            f"({100 * run_.server_cpu_seconds / run_.measuring_seconds:.0f} % of one core), "
            f"client {100 * run_.client_cpu_seconds / run_.measuring_seconds:.0f} %"
        )
        if run_.kind == "followers":
            if base is not None and run_ is not base and base.server_cpu_seconds > 0:
                ratio = (run_.server_cpu_seconds / changes) / (
                    base.server_cpu_seconds / max(1, len(base.acks_ms))
                )
                note += f"; CPU a change {100 * (ratio - 1):+.0f} % against {base.subscribers:,}"
            for p in (50, 99):
                result.append(
                    Figure(
                        f"order(id): {run_.subscribers:,} followers, {CHANGE_RATE:g} changes/s, "
                        f"send -> its follower has it, p{p}",
                        percentile(run_.latencies_ms, p),
                        "ms",
                        note=note if p == 99 else "",
                    )
                )
        else:
            result.append(
                Figure(
                    f"placeOrder at {ACK_RATE:g}/s with {run_.subscribers:,} orderChanges "
                    "subscribers fed, HTTP ack p99",
                    percentile(run_.acks_ms, 99),
                    "ms",
                    note=note,
                )
            )
    return result
