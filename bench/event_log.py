"""The event log panel over a 100,000-event log: newest page, older pages, filtered pages.

Seeds the events straight into a database (``tests/ui/seed.py``: realistic order
payloads, deliveries done, 1 % cancellations, 0.4 % dead), starts the backend on it,
then drives the panel's real controller and view offscreen on a qasync loop, as the
window does: the time to the newest page and to each older page asked for by
scrolling (request, parsing, rows into the model, the view's repaint), server-filtered
first pages, a search over the whole log, and one live event inserted on top of it
all. Then, with tracemalloc on (which slows Python down, so no timing is
taken), the memory each loaded event costs.

Run alone: ``python -m bench.event_log`` (``python -m bench.event_log 20000``).
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.common import Figure, percentile, run_section, temp_dir

if TYPE_CHECKING:
    from ui.controllers.event_log import EventLogController

TITLE = "Event log over 100,000 events (panel paging)"
COUNT = 100_000
TIMED_PAGES = 20
MEMORY_PAGES = 10
LIVE_EVENTS = 20
WAIT_SECONDS = 60.0


async def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the event log never got there")
        await asyncio.sleep(0.001)


async def _older_page(log: EventLogController) -> tuple[float, int]:
    """Ask for the next older page as the view does at the end of its scroll."""
    from PySide6.QtCore import QModelIndex

    rows = log.model.rowCount()
    started = time.perf_counter()
    log.model.fetchMore(QModelIndex())
    await _until(lambda: not log.model.loading)
    log.view.repaint()
    return (time.perf_counter() - started) * 1000, log.model.rowCount() - rows


async def _paging(log: EventLogController, count: int) -> list[Figure]:
    started = time.perf_counter()
    await log.start()
    log.view.repaint()
    first_ms = (time.perf_counter() - started) * 1000
    pages = [await _older_page(log) for _ in range(TIMED_PAGES)]
    times = [ms for ms, _ in pages]
    loaded = log.model.rowCount()
    return [
        Figure(
            "newest page shown",
            first_ms,
            "ms",
            "< 500 ms",
            first_ms < 500,
            note=f"{pages[0][1]} events a page; finding the newest seq takes a few probes",
        ),
        Figure(
            "older page, median",
            percentile(times, 50),
            "ms",
            "< 200 ms",
            percentile(times, 50) < 200,
            note=f"{TIMED_PAGES} pages: {loaded:,} of {count:,} events loaded",
        ),
        Figure("older page, slowest", max(times), "ms"),
    ]


async def _filters(log: EventLogController) -> list[Figure]:
    from tests.ui.seed import RARE_TYPE
    from ui.models.events import DeliveryStatus, EventFilter

    # The search box asks the server (events(search:)), over the whole log.
    old = max(1, log.head // 2)
    started = time.perf_counter()
    await log.apply_filter(EventFilter(text=f"guest {old}"))
    search_ms = (time.perf_counter() - started) * 1000
    found = log.model.rowCount()
    await log.apply_filter(EventFilter())
    figures = [
        Figure(
            "search: an old event's customer",
            search_ms,
            "ms",
            "< 1000 ms",
            search_ms < 1000,
            note=f"'guest {old}': {found} found over {log.head:,} events, first page shown",
        ),
    ]
    for name, wanted in (
        (f"{RARE_TYPE} (1 %)", EventFilter(type=RARE_TYPE)),
        ("a dead delivery (0.4 %)", EventFilter(status=DeliveryStatus.DEAD)),
    ):
        started = time.perf_counter()
        await log.apply_filter(wanted)
        ms = (time.perf_counter() - started) * 1000
        note = f"{log.model.rowCount()} matches, {log.head - log.floor + 1:,} events searched"
        figures.append(
            Figure(f"filtered first page: {name}", ms, "ms", "< 1000 ms", ms < 1000, note=note)
        )
    await log.apply_filter(EventFilter())
    return figures


async def _live(log: EventLogController) -> list[Figure]:
    """New events on top of a long list: the model and proxy, then the view's repaint."""
    for _ in range(TIMED_PAGES):
        await _older_page(log)
    newest = log.model.row(0)
    insert_ms: list[float] = []
    paint_ms: list[float] = []
    for n in range(1, LIVE_EVENTS + 1):
        started = time.perf_counter()
        log.model.upsert(replace(newest, seq=newest.seq + 10_000_000 + n))
        inserted = time.perf_counter()
        log.view.repaint()
        insert_ms.append((inserted - started) * 1000)
        paint_ms.append((time.perf_counter() - inserted) * 1000)
    rows = log.model.rowCount()
    insert, paint = percentile(insert_ms, 50), percentile(paint_ms, 50)
    return [
        Figure(
            f"live event on top of {rows:,} rows",
            insert,
            "ms",
            "< 5 ms",
            insert < 5,
            note=f"model and filter proxy, median of {LIVE_EVENTS}",
        ),
        Figure(
            "  and the panel's repaint",
            paint,
            "ms",
            "< 16 ms",
            paint < 16,
            note="the whole panel, 1400 x 900, median",
        ),
    ]


async def _memory(log: EventLogController) -> list[Figure]:
    tracemalloc.start()
    heap_before = tracemalloc.get_traced_memory()[0]
    rows = 0
    for _ in range(MEMORY_PAGES):
        rows += (await _older_page(log))[1]
    per_row = (tracemalloc.get_traced_memory()[0] - heap_before) / max(rows, 1)
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return [
        Figure(
            "memory per loaded event",
            per_row,
            "bytes",
            note=f"Python heap growth over {rows:,} events paged in",
        ),
        Figure("  so, per page", per_row * rows / MEMORY_PAGES / 1024, "KiB"),
        Figure(
            "process peak RSS",
            rss_mb,
            "MiB",
            note=f"backend and panel, {log.model.rowCount():,} events loaded",
        ),
    ]


async def _measure(url: str, count: int) -> list[Figure]:
    from tests.conftest import STAFF_TOKEN
    from ui.client import GraphQLClient
    from ui.controllers.event_log import EventLogController

    client = GraphQLClient(url, STAFF_TOKEN)
    await client.start()
    log = EventLogController(client)
    log.view.resize(1400, 900)
    log.view.show()
    try:
        figures = await _paging(log, count)
        figures += await _filters(log)
        figures += await _live(log)
        figures += await _memory(log)
    finally:
        log.stop()
        await client.close()
    return figures


def run(count: int = COUNT) -> list[Figure]:
    import qasync
    from PySide6.QtWidgets import QApplication

    from tests.conftest import running
    from tests.ui.seed import seed_events

    with temp_dir() as folder:
        db_path = Path(folder) / "passline.db"
        started = time.perf_counter()
        seed_events(db_path, count)
        seeded = time.perf_counter() - started
        app = QApplication.instance() or QApplication([])
        with running(db_path) as backend:
            loop = qasync.QEventLoop(app)
            asyncio.set_event_loop(loop)
            with loop:
                figures = loop.run_until_complete(_measure(backend.url, count))
    return [Figure(f"seed {count:,} events (outbox emit)", seeded, "s"), *figures]


def main(argv: list[str]) -> None:
    count = int(argv[0]) if argv else COUNT
    run_section(TITLE, lambda: run(count))


if __name__ == "__main__":
    main(sys.argv[1:])
