"""The event runner and the order pipeline.

1. Commit -> handler start, with a no-op handler: the runner is woken by the commit,
   not by a poll (Hasura polls every second). The clock starts when the commit's
   facts reach the loop, and stops when the handler function begins.
2. The whole pipeline placeOrder -> IN_KITCHEN through the real handlers (validate,
   charge at the sandbox gateway, kitchen ticket, inventory): sustained orders/s with
   16 HTTP clients, and the latency from sending placeOrder to the order_in_kitchen
   change on a WebSocket subscription at a steady 50 orders/s.
3. Restart after SIGKILL: a charge is in flight (the gateway takes 5 s), the process
   is killed; how long from starting it again until the cut-off delivery runs again.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import (
    Figure,
    client_pool,
    http_client,
    now,
    percentile,
    place_order,
    print_figures,
    subscribe,
    temp_dir,
)

TITLE = "Event runner and pipeline (issue 3)"
LATENCY_EVENTS = 1_000
THROUGHPUT_ORDERS = 600
STEADY_RATE = 50.0  # orders/s
STEADY_SECONDS = 10.0
IN_KITCHEN_QUERY = "subscription { orderChanges { type order { id } } }"


async def _commit_to_start(folder: Path) -> list[float]:
    from backend import events
    from backend.api.context import Services
    from backend.api.schema import build_schema
    from backend.auth import Tokens
    from backend.database import Database
    from backend.inprocess import InProcessGraphQL
    from backend.notifier import Notifier
    from backend.outbox import emit
    from backend.registry import Registry
    from backend.runner import Runner
    from handlers.sdk import Context, Event, HandlerDefinition

    committed: dict[int, float] = {}
    started: dict[int, asyncio.Future[float]] = {}

    async def no_op(event: Event, ctx: Context) -> None:
        stamp = now()
        started.setdefault(event.seq, asyncio.get_running_loop().create_future()).set_result(stamp)

    registry = Registry([HandlerDefinition("no_op", ("ping",), no_op)])
    db = Database(folder / "runner.db", subscribers=registry.subscribers)
    await db.open()
    notifier = Notifier(last_seq=0, last_cursor=0)

    def on_commit(facts: list[object]) -> None:
        stamp = now()
        for fact in facts:
            if isinstance(fact, events.EventRecord):
                committed[fact.seq] = stamp
        notifier.on_commit(facts)

    db.on_commit = on_commit
    runner = Runner(db, notifier, registry, adapters=None)
    runner.graphql = InProcessGraphQL(
        build_schema(), Services(db, notifier, Tokens("t", b"s"), registry, runner)
    )
    await runner.start()
    latencies = []
    loop = asyncio.get_running_loop()
    try:
        for _ in range(LATENCY_EVENTS):
            seq = await db.write(lambda tx: emit(tx, "ping", {}).seq)
            started.setdefault(seq, loop.create_future())
            began = await started[seq]
            latencies.append((began - committed[seq]) * 1000)
    finally:
        await runner.stop(1.0)
        await db.close()
    return latencies


def _place_many(url: str, count: int, clients: int) -> list[str]:
    """In a client process (not sharing the backend's GIL): place ``count`` orders."""

    async def run() -> list[str]:
        placed: list[str] = []
        async with http_client(clients) as client:
            left = list(range(count))

            async def worker() -> None:
                while left:
                    left.pop()
                    placed.append((await place_order(client, url))["order"]["id"])

            await asyncio.gather(*(worker() for _ in range(clients)))
        return placed

    return asyncio.run(run())


async def _pipeline_throughput(url: str) -> float:
    """Orders/s from the first placeOrder to the last order in the kitchen."""
    kitchen: set[str] = set()
    warm_up: set[str] = set()
    connection = await subscribe(url, IN_KITCHEN_QUERY)
    done: asyncio.Future[float] = asyncio.get_running_loop().create_future()

    async def follow() -> None:
        async for message in connection:
            change = json.loads(message)["payload"]["data"]["orderChanges"]
            if change["type"] == "order_in_kitchen" and change["order"]["id"] not in warm_up:
                kitchen.add(change["order"]["id"])
                if len(kitchen) == THROUGHPUT_ORDERS and not done.done():
                    done.set_result(now())

    follower = asyncio.create_task(follow())
    with client_pool(1) as pool:
        # The client process is up and warm before the clock starts.
        warm_up.update(pool.submit(_place_many, url, 1, 1).result())
        kitchen.difference_update(warm_up)
        start = now()
        placing = asyncio.wrap_future(pool.submit(_place_many, url, THROUGHPUT_ORDERS, 16))
        placed = await placing
        finished = await asyncio.wait_for(done, 600)
    follower.cancel()
    await connection.close()
    assert set(placed) <= kitchen
    return THROUGHPUT_ORDERS / (finished - start)


async def _steady_latency(url: str) -> list[float]:
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    count = int(STEADY_RATE * STEADY_SECONDS)
    all_arrived = asyncio.Event()
    connection = await subscribe(url, IN_KITCHEN_QUERY)

    async def follow() -> None:
        async for message in connection:
            change = json.loads(message)["payload"]["data"]["orderChanges"]
            if change["type"] == "order_in_kitchen":
                arrived[change["order"]["id"]] = now()
                if len(arrived) == count:
                    all_arrived.set()

    follower = asyncio.create_task(follow())
    tasks = []
    async with http_client(16) as client:

        async def one() -> None:
            begin = now()
            order_id = (await place_order(client, url))["order"]["id"]
            sent[order_id] = begin

        start = now()
        for n in range(count):
            await asyncio.sleep(max(0.0, start + n / STEADY_RATE - now()))
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    await asyncio.wait_for(all_arrived.wait(), 120)
    follower.cancel()
    await connection.close()
    return [(arrived[order_id] - sent[order_id]) * 1000 for order_id in sent if order_id in arrived]


def _restart_after_kill(folder: Path) -> float:
    root = Path(__file__).resolve().parent.parent
    db = folder / "crash.db"

    def spawn() -> tuple[subprocess.Popen[str], str]:
        process = subprocess.Popen(
            [
                sys.executable,
                str(root / "main.py"),
                "--headless",
                "--db",
                str(db),
                "--port",
                "0",
                "--gateway-latency",
                "5",
            ],
            stdout=subprocess.PIPE,
            text=True,
            cwd=root,
            env={"PASSLINE_STAFF_TOKEN": "bench", "PATH": "/usr/bin:/bin"},
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        return process, line.split()[-1]

    import httpx

    process, url = spawn()
    query = (
        "mutation { placeOrder(input: {channel: PHONE, fulfillment: TAKEAWAY, items: "
        '[{menuItemId: "burger", quantity: 1}]}) { order { id } } }'
    )
    httpx.post(url, json={"query": query}, headers={"Authorization": "Bearer bench"})
    with sqlite3.connect(db) as conn:  # wait until the charge is in flight
        while not conn.execute(
            "SELECT 1 FROM deliveries WHERE handler = 'charge_payment' AND status = 'RUNNING'"
        ).fetchone():
            time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    restarted = time.time()
    process, url = spawn()
    try:
        with sqlite3.connect(db) as conn:
            while True:
                row = conn.execute(
                    "SELECT started_at FROM invocations WHERE handler = 'charge_payment'"
                    " AND outcome != 'LOST' ORDER BY id LIMIT 1"
                ).fetchone()
                running = conn.execute(
                    "SELECT attempts FROM deliveries WHERE handler = 'charge_payment'"
                    " AND status = 'RUNNING' AND attempts = 2"
                ).fetchone()
                if running or row:
                    break
                time.sleep(0.005)
        return time.time() - restarted
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait()


def run() -> list[Figure]:
    from bench.common import running_backend

    figures = []
    with temp_dir() as folder:
        latencies = asyncio.run(_commit_to_start(folder))
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    figures += [
        Figure("commit -> handler start p50", p50, "ms", "<= 2 ms", p50 <= 2),
        Figure("commit -> handler start p99", p99, "ms", "<= 10 ms", p99 <= 10),
    ]
    with temp_dir() as folder, running_backend(folder, handlers=True) as backend:
        rate = asyncio.run(_pipeline_throughput(backend.url))
    figures.append(
        Figure("pipeline placeOrder -> IN_KITCHEN", rate, "orders/s", ">= 300/s", rate >= 300)
    )
    with temp_dir() as folder, running_backend(folder, handlers=True) as backend:
        steady = asyncio.run(_steady_latency(backend.url))
    p99 = percentile(steady, 99)
    figures += [
        Figure("pipeline latency at 50 orders/s p50", percentile(steady, 50), "ms"),
        Figure("pipeline latency at 50 orders/s p99", p99, "ms", "< 100 ms", p99 < 100),
    ]
    with temp_dir() as folder:
        seconds = _restart_after_kill(folder)
    figures.append(
        Figure(
            "restart after SIGKILL -> in-flight delivery re-run",
            seconds,
            "s",
            "< 2 s + handler timeout",
            seconds < 2,
        )
    )
    return figures


if __name__ == "__main__":
    print_figures(TITLE, run())
