"""Lagging subscribers under load: does each get every stored event, or is it cut off?

Issue 11.3's reproduction, scaled to this machine. A real backend process
(``main.py --headless``, handlers running) takes orders from PLACERS HTTP clients for
SECONDS; meanwhile WebSocket clients follow ``orderChanges`` (ORDER_FOLLOWERS) and
``eventLog`` (LOG_FOLLOWERS) from the start, each reading one message every READ_DELAY
seconds, so that their backlog builds up in the socket buffers as a busy or slow
client's does. Once the load is over and the pipeline idle, each subscriber reads on
until it has every stored item, or nothing more comes for STALL_SECONDS. The figures:
what each got against what the database holds, whether in order and once each, and
how many connections the server closed, with which reason.

The clients are those of a plain ``websockets`` program with no keep-alive pings of
their own (a client's own ping times out the same way, on its side). Set
``PASSLINE_FEED_MEMORY`` in the environment to shrink the backend's feed memory.

Run alone: ``python -m bench.feed_lag [--seconds S] [--placers N] [--order-followers N]
[--log-followers N] [--read-delay S]`` (default 30 s, 20 placers, 4 + 4 subscribers,
0.004 s a message). The issue's own scenario, 200 clients for 60 s:
``python -m bench.feed_lag --seconds 60 --placers 140 --order-followers 45
--log-followers 15``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from websockets.exceptions import ConnectionClosed

from bench.common import (
    STAFF_TOKEN,
    Figure,
    http_client,
    place_order,
    print_figures,
    temp_dir,
)
from clients.graphql import Connection

TITLE = "Lagging subscribers under load (issue 11.3)"
SECONDS = 30.0
PLACERS = 20
ORDER_FOLLOWERS = 4
LOG_FOLLOWERS = 4
READ_DELAY = 0.004
STALL_SECONDS = 15.0
# The server's close for a subscriber that left too many results unread: "you fell
# behind ... resume from your cursor" (backend/settings.py, api/streams.py).
FELL_BEHIND_CLOSE_CODE = 4413
ROOT = Path(__file__).resolve().parent.parent

ORDER_CHANGES = """
subscription C($after: Int) { orderChanges(afterSeq: $after) { seq type order { id status } } }
"""
EVENT_LOG = (
    "subscription L($after: String) { eventLog(after: $after) { cursor event { seq type } } }"
)


@dataclass
class Subscriber:
    kind: str  # "orderChanges" or "eventLog"
    keys: list[int] = field(default_factory=list)
    closed: str | None = None  # the close code and reason, when the server closed
    last_at: float = 0.0
    resumed: int = 0  # times it was told it fell behind and resumed from its cursor


async def follow(url: str, subscriber: Subscriber, delay: float) -> None:
    """Follow from the start; told it fell behind, resume from the last key it got, as
    the close asks (any other end is recorded in ``closed``)."""
    while await _follow_once(url, subscriber, delay):
        subscriber.resumed += 1


async def _follow_once(url: str, subscriber: Subscriber, delay: float) -> bool:
    """Read until the connection ends; whether it ended asking to resume."""
    query = ORDER_CHANGES if subscriber.kind == "orderChanges" else EVENT_LOG
    key = "seq" if subscriber.kind == "orderChanges" else "cursor"
    cursor = subscriber.keys[-1] if subscriber.keys else 0
    after: int | str = cursor if subscriber.kind == "orderChanges" else str(cursor)
    connection = await Connection.open(url, STAFF_TOKEN, proxy=None, ping_interval=None)
    await connection.subscribe("1", query, {"after": after})
    async with connection.websocket as ws:
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message["type"] != "next":
                    subscriber.closed = f"{message['type']} {message.get('payload')}"
                    return False
                subscriber.keys.append(int(message["payload"]["data"][subscriber.kind][key]))
                subscriber.last_at = time.monotonic()
                await asyncio.sleep(delay)
        except ConnectionClosed as exc:
            close = exc.rcvd
            if close is not None and close.code == FELL_BEHIND_CLOSE_CODE:
                return True
            subscriber.closed = "dropped" if close is None else f"{close.code} {close.reason}"
    return False


def stored(db: Path) -> dict[str, list[int]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        seqs = conn.execute("SELECT seq FROM events WHERE order_id IS NOT NULL ORDER BY seq")
        cursors = conn.execute("SELECT cursor FROM event_log ORDER BY cursor")
        return {"orderChanges": [r[0] for r in seqs], "eventLog": [r[0] for r in cursors]}


async def pipeline_idle(url: str) -> None:
    query = {"query": "{ handlers { pending running retrying } }"}
    headers = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    async with http_client(1) as client:
        while True:
            rows = (await client.post(url, json=query, headers=headers)).json()["data"]
            if all(r["pending"] == r["running"] == r["retrying"] == 0 for r in rows["handlers"]):
                return
            await asyncio.sleep(0.5)


@dataclass(frozen=True, slots=True)
class Load:
    seconds: float = SECONDS
    placers: int = PLACERS
    order_followers: int = ORDER_FOLLOWERS
    log_followers: int = LOG_FOLLOWERS
    delay: float = READ_DELAY


async def drive(url: str, db: Path, load: Load) -> list[Figure]:
    seconds, placers, delay = load.seconds, load.placers, load.delay
    kinds = ["orderChanges"] * load.order_followers + ["eventLog"] * load.log_followers
    followers = [Subscriber(kind) for kind in kinds]
    tasks = [asyncio.create_task(follow(url, s, delay)) for s in followers]
    started = time.monotonic()
    end = started + seconds
    async with http_client(placers) as client:

        async def placer() -> int:
            placed = 0
            while time.monotonic() < end:
                await place_order(client, url)
                placed += 1
            return placed

        orders = sum(await asyncio.gather(*(placer() for _ in range(placers))))
    load_over = time.monotonic()
    await pipeline_idle(url)
    want = stored(db)
    # Read on until each has everything, has been closed, or gets nothing for a while.
    while True:
        pending = [
            s
            for s in followers
            if s.closed is None and len(s.keys) < len(want[s.kind])
            if time.monotonic() - max(s.last_at, load_over) < STALL_SECONDS
        ]
        if not pending:
            break
        await asyncio.sleep(0.5)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)

    figures = [
        Figure("orders placed", orders, "orders"),
        Figure("order events stored", len(want["orderChanges"]), "events"),
        Figure("event log entries stored", len(want["eventLog"]), "entries"),
    ]
    for kind in ("orderChanges", "eventLog"):
        group = [s for s in followers if s.kind == kind]
        if not group:
            continue
        complete = sum(s.keys == want[kind] for s in group)
        in_order = all(s.keys == sorted(set(s.keys)) for s in group)
        short = max(len(want[kind]) - len(s.keys) for s in group)
        last = max(s.last_at for s in group) - load_over
        figures += [
            Figure(
                f"{kind} subscribers with every stored item",
                100 * complete / len(group),
                "%",
                target="100 %",
                met=complete == len(group),
                note=f"{complete} of {len(group)}; in order, once each: {in_order}",
            ),
            Figure(f"{kind}: most items a subscriber missed", short, "items"),
            Figure(
                f"{kind}: told they fell behind, resumed from their cursor",
                sum(s.resumed for s in group),
                "times",
                note=f"by {sum(s.resumed > 0 for s in group)} of {len(group)} subscribers",
            ),
            Figure(f"{kind}: last message after the load ended", last, "s"),
        ]
    closes = Counter(s.closed for s in followers if s.closed is not None)
    figures.append(
        Figure(
            "subscribers closed by the server",
            sum(closes.values()),
            "subscribers",
            target="0",
            met=not closes,
            note="; ".join(f"{n} x {reason}" for reason, n in closes.items()),
        )
    )
    return figures


def run(load: Load | None = None) -> list[Figure]:
    with temp_dir() as folder:
        db = folder / "passline.db"
        env = {**os.environ, "PASSLINE_STAFF_TOKEN": STAFF_TOKEN, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "--headless", "--db", str(db), "--port", "0"],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            if not line.startswith("listening on "):
                raise RuntimeError(f"the backend did not start: {line!r}")
            url = line.removeprefix("listening on ").strip()
            return asyncio.run(drive(url, db, load or Load()))
        finally:
            process.send_signal(signal.SIGTERM)
            process.communicate(timeout=60)


def arguments() -> Load:
    parser = argparse.ArgumentParser(prog="python -m bench.feed_lag", description=TITLE)
    parser.add_argument("--seconds", type=float, default=SECONDS, help="how long orders come")
    parser.add_argument("--placers", type=int, default=PLACERS, help="HTTP clients placing")
    parser.add_argument("--order-followers", type=int, default=ORDER_FOLLOWERS)
    parser.add_argument("--log-followers", type=int, default=LOG_FOLLOWERS)
    parser.add_argument(
        "--read-delay", type=float, default=READ_DELAY, help="seconds each reader waits a message"
    )
    args = parser.parse_args()
    return Load(
        args.seconds, args.placers, args.order_followers, args.log_followers, args.read_delay
    )


if __name__ == "__main__":
    print_figures(TITLE, run(arguments()))
