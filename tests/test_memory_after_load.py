"""After a load of large orders and live subscribers, a real headless backend process
comes back near the memory it had before (issue #11, item 6).

Every event of such an order is a snapshot of the whole order (50 lines with
500-character notes: ~37 KB of JSON, ~55 KB once parsed), and the feeds that let
subscribers catch up from memory kept the last 10,000 of them, and as many log
entries, whatever their size: 300 orders left ~75 MB behind, for good (~23 MB now:
each feed holds at most FEED_MEMORY_BYTES, 8 MiB).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from backend.settings import MAX_ORDER_LINES, MAX_STRING_CHARS
from tests.graphql_client import GraphQLHTTP, GraphQLWS
from tests.headless import TOKEN
from tests.test_hostile_documents import headless, rss

ORDERS = 250
PLACERS = 6
# RSS must come back within this of where it was with the subscribers connected and
# one such order done: the two feeds' 16 MiB, SQLite's page caches (2 MiB a
# connection) and what the allocator keeps.
RSS_BOUND_BYTES = 40 * 1024 * 1024
GIVE_UP_SECONDS = 60.0
IDLE = "{ handlers { pending running retrying } }"
PLACE = "mutation($o: PlaceOrderInput!) { placeOrder(input: $o) { order { id } } }"
FEEDS = {
    "changes": "subscription { orderChanges(afterSeq: 0) { seq type order { id status } } }",
    "log": 'subscription { eventLog(after: "0") { cursor event { seq type } } }',
}
LARGE_ORDER = {
    "items": [
        {"menuItemId": "margherita", "quantity": 1, "notes": f"{n:03d}" + "n" * 497}
        for n in range(MAX_ORDER_LINES)
    ],
    "channel": "COUNTER",
    "fulfillment": "TAKEAWAY",
}
assert len(LARGE_ORDER["items"][0]["notes"]) == MAX_STRING_CHARS  # type: ignore[index]


def stored(db: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        changes = conn.execute("SELECT count(*) FROM events WHERE order_id IS NOT NULL")
        log = conn.execute("SELECT count(*) FROM event_log")
        counts = {"changes": changes.fetchone()[0], "log": log.fetchone()[0]}
    conn.close()
    return counts


async def place_and_wait(staff: GraphQLHTTP, orders: int) -> None:
    """Place ``orders`` large orders a few at a time; return once the pipeline is idle."""
    left = [orders]

    async def placer() -> None:
        while left[0] > 0:
            left[0] -= 1
            await staff.data(PLACE, {"o": LARGE_ORDER})

    await asyncio.gather(*(placer() for _ in range(PLACERS)))
    while True:
        rows = (await staff.data(IDLE))["handlers"]
        if all(r["pending"] == r["running"] == r["retrying"] == 0 for r in rows):
            return
        await asyncio.sleep(0.2)


async def read(ws: GraphQLWS, got: dict[str, int]) -> None:
    while True:
        message: dict[str, Any] = await ws.receive(seconds=None)
        assert message["type"] == "next" and "errors" not in message["payload"], message
        got[message["id"]] += 1


async def until(condition: Callable[[], bool], what: Callable[[], str]) -> None:
    """Poll ``condition`` (a wait-for-condition) for at most GIVE_UP_SECONDS."""
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while not condition():
        assert time.monotonic() < deadline, what()
        await asyncio.sleep(0.5)


def test_memory_comes_back_after_a_load_of_large_orders_and_subscribers(tmp_path: Path) -> None:
    db = tmp_path / "passline.db"
    with headless(db) as (process, url):

        async def load() -> None:
            async with httpx.AsyncClient(timeout=30.0) as http:
                staff = GraphQLHTTP(http, url, TOKEN)
                ws = await GraphQLWS.connect(url, TOKEN)
                got = dict.fromkeys(FEEDS, 0)
                for op_id, query in FEEDS.items():
                    await ws.subscribe(op_id, query)
                reader = asyncio.create_task(read(ws, got))
                await place_and_wait(staff, 1)  # what serving any order brings in once
                await until(lambda: got == stored(db), lambda: f"{got} of {stored(db)}")
                baseline = rss(process.pid)
                await place_and_wait(staff, ORDERS)
                # Every subscriber has read everything: nothing waits in its queue.
                await until(lambda: got == stored(db), lambda: f"{got} of {stored(db)}")
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
                await ws.close()
                await until(
                    lambda: rss(process.pid) <= baseline + RSS_BOUND_BYTES,
                    lambda: f"RSS {rss(process.pid) >> 20} MB, {baseline >> 20} MB before",
                )
                assert (await staff.data("{ menu { id } }"))["menu"]  # and it still serves

        asyncio.run(load())
