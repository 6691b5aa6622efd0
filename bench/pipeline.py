"""The event runner and the order pipeline.

1. Commit -> handler start, with a no-op handler: the runner is woken by the commit,
   not by a poll (Hasura polls every second). The clock starts when the commit's
   facts reach the loop, and stops when the handler function begins.
2. The whole pipeline placeOrder -> IN_KITCHEN through the real handlers (validate,
   charge at the sandbox gateway, kitchen ticket, inventory): sustained orders/s with
   16 HTTP clients, and the latency from sending placeOrder to the order_in_kitchen
   change on a WebSocket subscription at a steady 50 orders/s, after one order alone
   (whose latency, with the one-time parsing of the handlers' documents, is reported
   on its own). As in the other benchmarks, the clients (the HTTP connections and the
   subscriber) run in a spawned process, so that they do not share the backend's GIL.
3. Restart after SIGKILL: a charge is in flight (the gateway takes 5 s), the process
   is killed; how long from starting it again until the cut-off delivery runs again.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bench.common import (
    Figure,
    client_pool,
    http_client,
    now,
    percentile,
    place_order,
    run_section,
    subscribe,
    temp_dir,
)

if TYPE_CHECKING:  # client processes never import the backend
    from backend.embedded import Backend

T = TypeVar("T")

TITLE = "Event runner and pipeline (issue 3)"
LATENCY_EVENTS = 1_000
THROUGHPUT_ORDERS = 600
STEADY_RATE = 50.0  # orders/s
STEADY_SECONDS = 10.0
RESTART_DEADLINE_SECONDS = 60.0
IN_KITCHEN_QUERY = "subscription { orderChanges { type order { id } } }"


async def _commit_to_start(folder: Path) -> list[float]:
    from backend import events
    from backend.api.context import Services
    from backend.api.schema import build_schema
    from backend.auth import Tokens
    from backend.database import Database
    from backend.delivery_commands import DeliveryCommands
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
    commands = DeliveryCommands(db, notifier, registry)
    services = Services(db, notifier, Tokens("t", b"s"), registry, commands)
    runner = Runner(
        db, notifier, registry, commands, InProcessGraphQL(build_schema(), services), None
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


async def _follow(url: str, arrived: dict[str, float]) -> asyncio.Task[None]:
    """Stamp each order's ``order_in_kitchen`` change as it arrives (a task; cancel it)."""
    connection = await subscribe(url, IN_KITCHEN_QUERY)

    async def follow() -> None:
        try:
            async for message in connection:
                change = json.loads(message)["payload"]["data"]["orderChanges"]
                if change["type"] == "order_in_kitchen":
                    arrived.setdefault(change["order"]["id"], now())
        finally:
            await connection.close()

    return asyncio.create_task(follow())


async def _until(arrived: dict[str, float], wanted: set[str], seconds: float) -> None:
    deadline = now() + seconds
    while not wanted <= arrived.keys():
        if now() > deadline:
            raise TimeoutError(f"{len(wanted - arrived.keys())} orders never reached the kitchen")
        await asyncio.sleep(0.005)


def _throughput_client(url: str, count: int, clients: int) -> float:
    """In a client process (not sharing the backend's GIL), like the subscriber:
    orders/s from the first placeOrder to the last of ``count`` orders in the kitchen."""

    async def run() -> float:
        arrived: dict[str, float] = {}
        follower = await _follow(url, arrived)
        async with http_client(clients) as client:
            # One order through the whole pipeline before the clock starts.
            warm_up = (await place_order(client, url))["order"]["id"]
            await _until(arrived, {warm_up}, 60)
            placed: set[str] = set()
            left = list(range(count))

            async def worker() -> None:
                while left:
                    left.pop()
                    placed.add((await place_order(client, url))["order"]["id"])

            start = now()
            await asyncio.gather(*(worker() for _ in range(clients)))
            await _until(arrived, placed, 600)
        follower.cancel()
        return count / (max(arrived[order_id] for order_id in placed) - start)

    return asyncio.run(run())


def _steady_client(url: str, rate: float, count: int) -> tuple[float, list[float]]:
    """In a client process: one order alone, then ``count`` orders at ``rate``/s. Each
    one's milliseconds from sending placeOrder to its ``order_in_kitchen`` change on the
    subscription: the lone first order's (it pays the one-time parse and validation of
    every handler document), and the steady ones'."""

    async def run() -> tuple[float, list[float]]:
        sent: dict[str, float] = {}
        arrived: dict[str, float] = {}
        follower = await _follow(url, arrived)
        async with http_client(16) as client:

            async def one() -> None:
                begin = now()
                sent[(await place_order(client, url))["order"]["id"]] = begin

            # As in the throughput part: one order through the pipeline first.
            await one()
            first = next(iter(sent))
            await _until(arrived, {first}, 60)
            first_ms = (arrived[first] - sent.pop(first)) * 1000
            tasks = []
            start = now()
            for n in range(count):
                await asyncio.sleep(max(0.0, start + n / rate - now()))
                tasks.append(asyncio.create_task(one()))
            await asyncio.gather(*tasks)
            await _until(arrived, set(sent), 120)
        follower.cancel()
        return first_ms, [(arrived[order_id] - sent[order_id]) * 1000 for order_id in sent]

    return asyncio.run(run())


def _in_client_process(fn: Callable[..., T], *args: object) -> T:
    with client_pool(1) as pool:
        pool.submit(_ready).result()  # spawned, with this module imported, before the work
        return pool.submit(fn, *args).result()


def _ready() -> None:
    return None


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
                "--public-order-limit",
                "0",
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
    deadline = restarted + RESTART_DEADLINE_SECONDS
    try:
        with sqlite3.connect(db) as conn:
            while True:
                if time.time() > deadline:
                    rows = conn.execute(
                        "SELECT handler, status, attempts, next_attempt_at, last_error"
                        " FROM deliveries WHERE handler = 'charge_payment'"
                    ).fetchall()
                    raise TimeoutError(
                        f"the cut-off charge did not run again within "
                        f"{RESTART_DEADLINE_SECONDS:g} s of the restart: {rows}"
                    )
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


@contextlib.contextmanager
def _serving(folder: Path) -> Iterator[Backend]:
    """The backend with its handlers, and the collector set as the serving process sets
    it (``run_headless``: ``tune_collector``); set back afterwards for the benchmarks
    that follow in the same process."""
    from backend.embedded import tune_collector
    from bench.common import running_backend

    thresholds = gc.get_threshold()
    try:
        with running_backend(folder, handlers=True) as backend:
            tune_collector()
            yield backend
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def run() -> list[Figure]:
    figures = []
    with temp_dir() as folder:
        latencies = asyncio.run(_commit_to_start(folder))
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    figures += [
        Figure("commit -> handler start p50", p50, "ms", "<= 2 ms", p50 <= 2),
        Figure("commit -> handler start p99", p99, "ms", "<= 10 ms", p99 <= 10),
    ]
    with temp_dir() as folder, _serving(folder) as backend:
        rate = _in_client_process(_throughput_client, backend.url, THROUGHPUT_ORDERS, 16)
    figures.append(
        Figure("pipeline placeOrder -> IN_KITCHEN", rate, "orders/s", ">= 300/s", rate >= 300)
    )
    with temp_dir() as folder, _serving(folder) as backend:
        count = int(STEADY_RATE * STEADY_SECONDS)
        first, steady = _in_client_process(_steady_client, backend.url, STEADY_RATE, count)
    p99 = percentile(steady, 99)
    figures += [
        Figure("pipeline latency of the first order after start (alone)", first, "ms"),
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
    run_section(TITLE, run)
