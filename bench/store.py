"""Outbox write path: ``placeOrder`` units of work per second at the store level.

Passline: ``Database.write(lambda tx: orders.place_order(tx, request))`` from many
concurrent asyncio tasks, so that group commit can batch them (one ``fsync`` a batch).
Raw: plain ``sqlite3`` on the same schema (the migration script), WAL and
``synchronous=FULL``, foreign keys on, the same five INSERT statements (order, its
lines, the event, its delivery, the event-log row), one transaction per order; and,
for context, one transaction per 64 orders.

Run alone: ``python -m bench.store``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from backend import menu, orders
from backend.database import Database, Tx
from backend.orders import LineRequest, OrderRequest
from backend.settings import resource_path
from backend.sql_blocks import SQL, migrations
from backend.states import Channel, Fulfillment
from bench.common import (
    ORDER_LINES,
    Figure,
    cpu_seconds,
    run_section,
    temp_dir,
)
from handlers.sdk import EventType

TASKS = 64  # concurrent callers of Database.write
STORE_SECONDS = 5.0
SEQUENTIAL_SECONDS = 2.0
RAW_SECONDS = 4.0
RAW_BATCH = 64
WARMUP_SECONDS = 0.5
TARGET_RATE = 3_000.0
TARGET_RATIO = 0.67
# validate_order takes order_placed (README, "How events flow"), so a placed order has
# one delivery row. Fixed here rather than read from backend.registry, which discovers
# the handlers.
SUBSCRIBERS: dict[str, tuple[str, ...]] = {EventType.ORDER_PLACED: ("validate_order",)}


@dataclass(frozen=True, slots=True)
class Rate:
    orders: int
    seconds: float
    cpu_seconds: float
    commits: int
    work_seconds: float  # inside place_order (store) or the five INSERTs (raw)

    @property
    def per_second(self) -> float:
        return self.orders / self.seconds

    @property
    def per_commit(self) -> float:
        return self.orders / self.commits if self.commits else 0.0

    @property
    def work_us(self) -> float:
        return 1e6 * self.work_seconds / self.orders

    @property
    def rest_us(self) -> float:
        """Wall time a order outside the work: BEGIN/COMMIT (fsync), savepoints, hops."""
        return 1e6 * (self.seconds - self.work_seconds) / self.orders

    @property
    def cpu_percent(self) -> float:
        return 100.0 * self.cpu_seconds / self.seconds


# -- Passline's store ------------------------------------------------------------------


async def _store(path: Path, tasks: int, seconds: float) -> Rate:
    request = OrderRequest(
        lines=tuple(LineRequest(item, quantity) for item, quantity in ORDER_LINES),
        channel=Channel.COUNTER,
        fulfillment=Fulfillment.TAKEAWAY,
        customer_name="Bench",
    )
    db = Database(path, subscribers=SUBSCRIBERS)
    await db.open()
    try:
        await db.write(lambda tx: menu.seed(tx, resource_path("menu.json")))
        commits = 0

        def on_commit(facts: list[object]) -> None:
            nonlocal commits
            commits += 1

        db.on_commit = on_commit
        work = 0.0  # only the writer thread adds to it

        def unit(tx: Tx) -> orders.Order:
            nonlocal work
            started = time.perf_counter()
            try:
                return orders.place_order(tx, request)
            finally:
                work += time.perf_counter() - started

        async def caller(until: float) -> int:
            done = 0
            while time.perf_counter() < until:
                await db.write(unit)
                done += 1
            return done

        warmup_end = time.perf_counter() + WARMUP_SECONDS
        await asyncio.gather(*(caller(warmup_end) for _ in range(tasks)))
        commits, work = 0, 0.0
        cpu0, start = cpu_seconds(), time.perf_counter()
        counts = await asyncio.gather(*(caller(start + seconds) for _ in range(tasks)))
        elapsed, cpu = time.perf_counter() - start, cpu_seconds() - cpu0
        return Rate(sum(counts), elapsed, cpu, commits, work)
    finally:
        await db.close()


def store_rate(path: Path, tasks: int = TASKS, seconds: float = STORE_SECONDS) -> Rate:
    return asyncio.run(_store(path, tasks, seconds))


# -- raw sqlite3 -----------------------------------------------------------------------


def _open_raw(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    assert conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] == "wal"
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    for _, script in migrations():
        conn.executescript("BEGIN IMMEDIATE;\n" + script + "\nCOMMIT;")
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany(SQL.insert_menu_item, menu.seed_rows(resource_path("menu.json")))
    conn.execute("COMMIT")
    return conn


class _RawWriter:
    """The five INSERTs of a placed order, as a hand-written program would do them."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.number = 0
        self.sql = {
            name: getattr(SQL, name)
            for name in (
                "insert_order",
                "insert_order_item",
                "insert_event",
                "insert_delivery",
                "append_event_log",
            )
        }
        # Menu prices, read once (the store reads them in every unit).
        names = {
            row[0]: (row[1], row[2])
            for row in conn.execute("SELECT id, name, price_cents FROM menu_items")
        }
        self.lines = [
            (item, names[item][0], quantity, names[item][1]) for item, quantity in ORDER_LINES
        ]

    def insert_order(self) -> None:
        conn, sql = self.conn, self.sql
        self.number += 1
        order_id = str(uuid.uuid4())
        now = datetime.now(UTC).isoformat()
        total = sum(quantity * price for _, _, quantity, price in self.lines)
        conn.execute(
            sql["insert_order"],
            {
                "id": order_id,
                "number": self.number,
                "status": "PLACED",
                "channel": "COUNTER",
                "fulfillment": "TAKEAWAY",
                "customer_name": "Bench",
                "phone": None,
                "address": None,
                "notes": None,
                "total_cents": total,
                "created_at": now,
                "updated_at": now,
            },
        )
        items: list[dict[str, Any]] = [
            {
                "order_id": order_id,
                "line": index,
                "menu_item_id": item,
                "name": name,
                "quantity": quantity,
                "unit_price_cents": price,
                "notes": None,
            }
            for index, (item, name, quantity, price) in enumerate(self.lines)
        ]
        conn.executemany(sql["insert_order_item"], items)
        payload = {
            "order": {
                "id": order_id,
                "number": self.number,
                "status": "PLACED",
                "channel": "COUNTER",
                "fulfillment": "TAKEAWAY",
                "customerName": "Bench",
                "phone": None,
                "address": None,
                "notes": None,
                "items": [
                    {
                        "menuItemId": item["menu_item_id"],
                        "name": item["name"],
                        "quantity": item["quantity"],
                        "unitPriceCents": item["unit_price_cents"],
                        "notes": None,
                    }
                    for item in items
                ],
                "totalCents": total,
                "createdAt": now,
                "updatedAt": now,
            }
        }
        seq = conn.execute(
            sql["insert_event"],
            {
                "id": str(uuid.uuid4()),
                "type": EventType.ORDER_PLACED.value,
                "order_id": order_id,
                "payload": json.dumps(payload, separators=(",", ":")),
                "created_at": now,
                "causation_id": None,
            },
        ).fetchone()[0]
        conn.execute(
            sql["insert_delivery"],
            {"event_seq": seq, "handler": "validate_order", "next_attempt_at": time.time()},
        )
        conn.execute(sql["append_event_log"], {"event_seq": seq}).fetchone()


def raw_rate(path: Path, per_transaction: int, seconds: float = RAW_SECONDS) -> Rate:
    conn = _open_raw(path)
    writer = _RawWriter(conn)

    def until(deadline: float) -> tuple[int, int, float]:
        done = commits = 0
        work = 0.0
        while time.perf_counter() < deadline:
            conn.execute("BEGIN IMMEDIATE")
            started = time.perf_counter()
            for _ in range(per_transaction):
                writer.insert_order()
            work += time.perf_counter() - started
            conn.execute("COMMIT")
            done += per_transaction
            commits += 1
        return done, commits, work

    try:
        until(time.perf_counter() + WARMUP_SECONDS)
        cpu0, start = cpu_seconds(), time.perf_counter()
        done, commits, work = until(start + seconds)
        return Rate(done, time.perf_counter() - start, cpu_seconds() - cpu0, commits, work)
    finally:
        conn.close()


# -- the figures -----------------------------------------------------------------------


def _detail(rate: Rate) -> str:
    return (
        f"{rate.orders:,} orders in {rate.seconds:.1f} s, {rate.commits:,} commits "
        f"({rate.per_commit:.1f} orders/commit), CPU {rate.cpu_percent:.0f} % of one core; "
        f"per order {rate.work_us:.0f} us in the order's statements, {rate.rest_us:.0f} us "
        "outside them (BEGIN/COMMIT+fsync, savepoints, thread hops)"
    )


def run() -> list[Figure]:
    with temp_dir() as folder:
        raw = raw_rate(folder / "raw.db", 1)
        raw_batched = raw_rate(folder / "raw-batched.db", RAW_BATCH)
        store = store_rate(folder / "store.db")
        sequential = store_rate(folder / "store-1.db", tasks=1, seconds=SEQUENTIAL_SECONDS)
    ratio = store.per_second / raw.per_second
    return [
        Figure(
            f"store: placeOrder units/s, {TASKS} concurrent callers (group commit)",
            store.per_second,
            "/s",
            f">= {TARGET_RATE:,.0f}/s",
            store.per_second >= TARGET_RATE,
            _detail(store),
        ),
        Figure(
            "raw sqlite3: same inserts, 1 transaction per order",
            raw.per_second,
            "/s",
            note=_detail(raw),
        ),
        Figure(
            "store / raw (1 transaction per order)",
            100.0 * ratio,
            "%",
            f">= {TARGET_RATIO:.0%}",
            ratio >= TARGET_RATIO,
        ),
        Figure(
            f"raw sqlite3: 1 transaction per {RAW_BATCH} orders",
            raw_batched.per_second,
            "/s",
            note=_detail(raw_batched),
        ),
        Figure(
            "store: 1 caller at a time (no batching possible)",
            sequential.per_second,
            "/s",
            note=_detail(sequential),
        ),
    ]


TITLE = "store: outbox write path"


def main() -> None:
    run_section(TITLE, run)


if __name__ == "__main__":
    main()
