"""Live feeds of a real backend process: a subscriber that lags far behind gets every event.

Issue 11.3: under load every subscriber stopped short, although the events were stored.
A subscriber that reads slower than events are committed has its backlog queued in the
socket buffers; a keep-alive ping sent behind that backlog is answered only once the
backlog is read, and the server took the late answer for a dead client and cut the
connection. Here a subscriber stops reading for longer than that keep-alive window
while a burst of orders runs through the pipeline, with a feed memory far smaller than
the burst, then must get every event after its cursor, in order, as stored.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.graphql_client import GraphQLHTTP, GraphQLWS
from tests.headless import TOKEN, listening_url, start

FEED_MEMORY = 20  # items: the burst is many times more
ORDERS = 60
# uvicorn's default keep-alive: a ping after 20 s, the connection cut 20 s later without
# the pong. The subscriber lags for longer than both.
LAG_SECONDS = 45.0

ORDER_CHANGES = """
subscription Changes($after: Int) {
  orderChanges(afterSeq: $after) { seq type order { id number status items { name } } }
}
"""
EVENT_LOG = """
subscription Log($after: String) {
  eventLog(after: $after) { cursor event { seq type orderId deliveries { handler status } } }
}
"""
IDLE = "{ handlers { pending running retrying } }"


@pytest.fixture
def backend(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    db = tmp_path / "passline.db"
    process = start(db, env={"PASSLINE_FEED_MEMORY": str(FEED_MEMORY)})
    try:
        yield listening_url(process), db
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def stored(db: Path) -> tuple[list[int], list[int]]:
    """The seqs of the stored order events and the event log's cursors, in order."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        seqs = [
            row[0]
            for row in conn.execute(
                "SELECT seq FROM events WHERE order_id IS NOT NULL ORDER BY seq"
            )
        ]
        cursors = [row[0] for row in conn.execute("SELECT cursor FROM event_log ORDER BY cursor")]
    return seqs, cursors


async def burst(staff: GraphQLHTTP) -> None:
    """Place the orders a few at a time, then wait until the pipeline has done them."""
    queue = list(range(ORDERS))

    async def placer() -> None:
        while queue:
            queue.pop()
            await staff.place(("margherita", 1), channel="COUNTER")

    await asyncio.gather(*(placer() for _ in range(6)))
    while True:
        rows = (await staff.data(IDLE))["handlers"]
        if all(r["pending"] == r["running"] == r["retrying"] == 0 for r in rows):
            return
        await asyncio.sleep(0.2)


async def test_a_subscriber_lagging_past_feed_memory_gets_every_stored_event_in_order(
    backend: tuple[str, Path],
) -> None:
    url, db = backend
    ws = await GraphQLWS.connect(url, TOKEN, slow_reader=True)
    await ws.subscribe("changes", ORDER_CHANGES, {"after": 0})
    await ws.subscribe("log", EVENT_LOG, {"after": "0"})
    subscribed = time.monotonic()
    async with httpx.AsyncClient(timeout=30.0) as http:
        await burst(GraphQLHTTP(http, url, TOKEN))
    want_seqs, want_cursors = stored(db)
    assert len(want_seqs) >= 3 * ORDERS and len(want_cursors) > 10 * FEED_MEMORY
    # The defect is a timer: lagging for longer than the keep-alive window is the test.
    await asyncio.sleep(max(0.0, LAG_SECONDS - (time.monotonic() - subscribed)))

    got: dict[str, list[Any]] = {"changes": [], "log": []}
    while len(got["changes"]) < len(want_seqs) or len(got["log"]) < len(want_cursors):
        message = await ws.receive(seconds=30)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data = message["payload"]["data"]
        if message["id"] == "changes":
            got["changes"].append(data["orderChanges"]["seq"])
        else:
            got["log"].append(int(data["eventLog"]["cursor"]))
    assert got["changes"] == want_seqs
    assert got["log"] == want_cursors
    # And it is still connected: it was never cut off for being behind.
    await ws.connection.send('{"type": "ping"}')
    assert await ws.receive(seconds=10) == {"type": "pong"}
    await ws.close()


@pytest.mark.parametrize("variable", ["PASSLINE_FEED_MEMORY", "PASSLINE_FEED_MEMORY_BYTES"])
def test_a_feed_memory_that_is_not_a_count_stops_the_start_with_a_clear_message(
    tmp_path: Path, variable: str
) -> None:
    process = start(tmp_path / "passline.db", env={variable: "lots"})
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert f"{variable} must be a positive whole number, not 'lots'" in err
    assert not (tmp_path / "passline.db").exists()
