"""What the benchmarks share: figures and how they print, a backend on a temp database,
GraphQL clients over loopback, percentiles, and the worker-process pool.

Clients of the HTTP and WebSocket benchmarks run in a separate (spawned) process, so
that they do not share the backend's GIL; the backend itself runs in the benchmark's
process, on its own thread and loop, as :class:`backend.embedded.Backend` does
everywhere.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import cProfile
import io
import json
import math
import multiprocessing
import os
import pstats
import resource
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection

from clients.graphql import Connection, HttpApi, bearer, execute_sync, next_data

if TYPE_CHECKING:  # client processes never import the backend
    from backend.embedded import Backend

STAFF_TOKEN = "staff-token-for-benchmarks"
PROFILE_ENV = "PASSLINE_BENCH_PROFILE"  # set to 1: print a cProfile of the backend's loop
# Loopback only, never through a proxy; generous, as the machine is kept busy on purpose.
LOOPBACK: dict[str, Any] = {"timeout": 30.0, "trust_env": False}

# A 3-line counter order, the same in every benchmark.
ORDER_LINES: tuple[tuple[str, int], ...] = (("margherita", 2), ("fries", 1), ("garlic-bread", 1))
ORDER_INPUT: dict[str, Any] = {
    "items": [{"menuItemId": item, "quantity": quantity} for item, quantity in ORDER_LINES],
    "channel": "COUNTER",
    "fulfillment": "TAKEAWAY",
    "customerName": "Bench",
}
PLACE_ORDER = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    accessToken
    order { id number status totalCents }
  }
}
"""
PLACE_ORDER_BODY: bytes = json.dumps(
    {"query": PLACE_ORDER, "variables": {"input": ORDER_INPUT}}, separators=(",", ":")
).encode()
# What a dashboard would follow: enough to draw the order's card.
ORDER_CHANGES = """
subscription { orderChanges { seq type order { id number status totalCents
  items { name quantity } } } }
"""


# -- figures ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured number, with its target when it has one."""

    name: str
    value: float
    unit: str
    target: str = ""  # e.g. ">= 3,000/s"; empty: reported for context only
    met: bool | None = None
    note: str = ""

    def value_text(self) -> str:
        if self.unit == "%":
            return f"{self.value:.0f} %"
        if self.unit == "ms":
            return f"{self.value:.2f} ms" if self.value < 10 else f"{self.value:.1f} ms"
        if self.unit == "s":
            return f"{self.value:.3f} s"
        return f"{self.value:,.0f} {self.unit}"

    def verdict(self) -> str:
        if self.met is None:
            return "(context)"
        return "met" if self.met else "NOT MET"


def print_figures(title: str, figures: Sequence[Figure]) -> None:
    width = max(len(figure.name) for figure in figures)
    print(f"\n== {title}")
    for figure in figures:
        target = f"target {figure.target}: {figure.verdict()}" if figure.target else ""
        print(f"  {figure.name:<{width}}  {figure.value_text():>14}  {target}")
        if figure.note:
            print(f"  {'':<{width}}  {'':>14}  {figure.note}")
    sys.stdout.flush()


def figures_table(figures: Sequence[Figure]) -> str:
    """A Markdown table of the figures."""
    lines = ["| figure | value | target | verdict |", "| --- | ---: | --- | --- |"]
    for figure in figures:
        lines.append(
            f"| {figure.name} | {figure.value_text()} | {figure.target or '-'} "
            f"| {figure.verdict()} |"
        )
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Section:
    """One benchmark's figures, with how busy the rest of the machine was meanwhile."""

    title: str
    figures: list[Figure]
    seconds: float
    others_cpu_percent: float  # CPU used by other processes, % of one core
    load_before: float
    load_after: float

    def machine_note(self) -> str:
        return (
            f"took {self.seconds:.0f} s; meanwhile other processes on the machine used "
            f"{self.others_cpu_percent:.0f} % of one core (1-min load average "
            f"{self.load_before:.2f} -> {self.load_after:.2f})"
        )


def _busy_cpu_seconds() -> float:
    """CPU seconds the whole machine spent busy since boot (from /proc/stat)."""
    with open("/proc/stat", encoding="ascii") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    """CPU of this process and of its children that have ended (the client pools)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def run_section(title: str, bench: Callable[[], list[Figure]]) -> Section:
    """Run one benchmark, print its figures and how busy the machine was meanwhile."""
    load_before = os.getloadavg()[0]
    busy0, own0, started = _busy_cpu_seconds(), _own_cpu_seconds(), time.perf_counter()
    figures = bench()
    seconds = time.perf_counter() - started
    others = (_busy_cpu_seconds() - busy0) - (_own_cpu_seconds() - own0)
    section = Section(
        title,
        figures,
        seconds,
        max(0.0, 100 * others / seconds),
        load_before,
        os.getloadavg()[0],
    )
    print_figures(title, figures)
    print(f"  ({section.machine_note()})")
    sys.stdout.flush()
    return section


# -- statistics ------------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile ``p`` (0-100) of ``values``."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_bytes() -> int:
    """This process's resident memory now (``/proc/self/statm``), bytes."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


class CpuSampler:
    """Samples this process's CPU time on a thread, to tell how much of it fell into a
    window that another process timed (on the shared monotonic clock)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.samples: list[tuple[float, float]] = []
        self.rss: list[int] = []  # this process's resident memory at each sample, bytes
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-cpu-sampler", daemon=True)

    def __enter__(self) -> CpuSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.rss.append(rss_bytes())
            self.samples.append((now(), cpu_seconds()))
            if self._stop.wait(self._interval):
                return

    def _at(self, moment: float) -> float:
        index = bisect.bisect_left(self.samples, (moment, -math.inf))
        if index == 0:
            return self.samples[0][1]
        if index == len(self.samples):
            return self.samples[-1][1]
        (t0, c0), (t1, c1) = self.samples[index - 1], self.samples[index]
        return c0 + (c1 - c0) * (moment - t0) / (t1 - t0) if t1 > t0 else c1

    def rss_at(self, moment: float) -> int:
        """This process's resident memory at the sample nearest ``moment``, bytes."""
        index = bisect.bisect_left(self.samples, (moment, -math.inf))
        return self.rss[min(index, len(self.rss) - 1)]

    def between(self, start: float, end: float) -> float:
        """CPU seconds this process used from ``start`` to ``end`` (``now()`` times)."""
        return self._at(end) - self._at(start)


# -- environment -----------------------------------------------------------------------


def raise_fd_limit(wanted: int) -> int:
    """Raise the soft open-files limit towards ``wanted`` (up to the hard limit)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        soft = new
    return int(soft)


@contextlib.contextmanager
def temp_dir() -> Iterator[Path]:
    """A temporary folder on the same disk as the project, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="passline-bench-") as name:
        yield Path(name)


def client_pool(processes: int = 1) -> ProcessPoolExecutor:
    """Worker processes for clients; spawned, never forked from the backend's threads."""
    return ProcessPoolExecutor(
        max_workers=processes, mp_context=multiprocessing.get_context("spawn")
    )


# -- the backend -----------------------------------------------------------------------


@contextlib.contextmanager
def running_backend(
    folder: Path,
    *,
    handlers: bool = False,
    shared_subscriptions: bool = True,
    loop_budget_seconds: float | None = None,
) -> Iterator[Backend]:
    """A started :class:`Backend` on ``folder/passline.db``, any free port, the staff token.

    ``shared_subscriptions=False`` gives each subscription its own execution (the path
    before subscriptions alike shared one), to compare; ``loop_budget_seconds`` replaces
    the request loop budget (limits.py) when given.

    Every handler is paused (see :func:`pause_handlers`) unless ``handlers``. With
    ``PASSLINE_BENCH_PROFILE=1`` the backend's loop thread is profiled while the
    backend runs, and the top functions are printed when it stops.
    """
    from backend.embedded import tune_collector
    from backend.settings import REQUEST_LOOP_BUDGET_SECONDS, Settings
    from main import restaurant_backend

    backend = restaurant_backend(
        Settings(
            db_path=folder / "passline.db",
            port=0,
            staff_token=STAFF_TOKEN,
            public_orders_per_window=0,  # the bench's customers all order from here
            shared_subscriptions=shared_subscriptions,
            loop_budget_seconds=(
                REQUEST_LOOP_BUDGET_SECONDS if loop_budget_seconds is None else loop_budget_seconds
            ),
        )
    )
    backend.start()
    # As main.py's headless backend (the one the dashboard starts) tunes its collector.
    tune_collector()
    profiler = cProfile.Profile() if os.environ.get(PROFILE_ENV) == "1" else None
    try:
        if not handlers:
            pause_handlers(backend.url)
        if profiler is not None:
            backend.call(_on_loop(profiler.enable))
        yield backend
    finally:
        if profiler is not None:
            backend.call(_on_loop(profiler.disable))
            print_profile(profiler, "backend loop thread")
        backend.stop()


async def _on_loop(fn: Callable[[], None]) -> None:
    fn()


SUBSCRIPTIONS_ACTIVE = "passline_subscriptions_active"


async def wait_for_subscriptions(
    url: str, field: str, count: int, seconds: float, *, at_most: bool = False
) -> None:
    """Return once the backend serves ``count`` subscriptions of ``field`` or more
    (``at_most``: or fewer), as its metrics say.

    A subscription "from now" starts at the commit the server reached when it ran the
    subscribe: a change made before that is not for it. Waiting for all of them keeps a
    benchmark's first change from racing its own subscribers (and waiting for none
    first, from counting the previous run's that are still closing).
    """
    parts = urlsplit(url)
    metrics_url = f"{parts.scheme}://{parts.netloc}/metrics"
    wanted = f'{SUBSCRIPTIONS_ACTIVE}{{field="{field}"}} '
    deadline = now() + seconds
    async with httpx.AsyncClient(headers=bearer(STAFF_TOKEN), **LOOPBACK) as http:
        while True:
            text = (await http.get(metrics_url)).text
            active = next(
                (float(line.split()[-1]) for line in text.splitlines() if line.startswith(wanted)),
                0.0,
            )
            if (active <= count) if at_most else (active >= count):
                return
            if now() > deadline:
                raise TimeoutError(f"only {active:.0f} of {count} {field} subscriptions started")
            await asyncio.sleep(0.2)


def pause_handlers(url: str) -> list[str]:
    """Pause every registered handler through the API; the names paused.

    The benchmarks measure the API and the subscription fan-out. With handlers running,
    each placed order would set off the whole pipeline (validate, charge, kitchen, ...)
    on the same loop, and the figures would measure the handlers' business logic too.
    Paused, the deliveries are still written in the mutation's transaction, as always.
    """
    names: list[str] = [
        row["name"]
        for row in execute_sync(url, "{ handlers { name } }", token=STAFF_TOKEN, **LOOPBACK)[
            "handlers"
        ]
    ]
    for name in names:
        paused = execute_sync(
            url,
            "mutation P($n: String!) { pauseHandler(name: $n) { paused } }",
            {"n": name},
            token=STAFF_TOKEN,
            **LOOPBACK,
        )
        if not paused["pauseHandler"]["paused"]:
            raise RuntimeError(f"cannot pause handler {name}: {paused}")
    return names


def print_profile(profiler: cProfile.Profile, what: str, limit: int = 30) -> None:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(limit)
    print(f"\n-- cProfile of the {what}, by own time --")
    print(out.getvalue())


# -- clients ---------------------------------------------------------------------------


def http_client(connections: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        **LOOPBACK,
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


def auth_headers() -> dict[str, str]:
    return {**bearer(STAFF_TOKEN), "Content-Type": "application/json"}


async def place_order(client: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """Place the benchmark order over HTTP as staff; the ``placeOrder`` payload."""
    data = await HttpApi(client, url, STAFF_TOKEN).execute(PLACE_ORDER, {"input": ORDER_INPUT})
    placed: dict[str, Any] = data["placeOrder"]
    return placed


class RawHTTP:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, for one connection.

    It costs the client far less CPU per request than httpx (whose httpcore tries to
    ``import sniffio`` on every request when sniffio is not installed, as here), so
    the backend keeps more of the two cores and the timestamps are closer to the wire.
    It is a measuring instrument, not a second GraphQL client: it sends bytes built
    once and returns the status and body as they came, with no GraphQL in between
    (no errors read, no retries); what reads answers is clients/graphql.py's, as the
    benchmarks' other HTTP calls (``place_order``, ``HttpApi``) use it.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, url: str) -> RawHTTP:
        parts = urlsplit(url)
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        return cls(reader, writer)

    @staticmethod
    def request(url: str, body: bytes) -> bytes:
        """The bytes of a POST of ``body`` to ``url`` as staff."""
        parts = urlsplit(url)
        head = (
            f"POST {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\n"
            + "".join(f"{name}: {value}\r\n" for name, value in auth_headers().items())
            + f"Content-Length: {len(body)}\r\n\r\n"
        )
        return head.encode() + body

    async def exchange(self, request: bytes) -> tuple[int, bytes]:
        """Send one request (from :meth:`request`); the response's status and body."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        body = await self.reader.readexactly(length)
        return int(head[9:12]), body

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def placed_order_id(status: int, body: bytes) -> str:
    """The id of the order a ``placeOrder`` response placed; raise if it failed."""
    data = json.loads(body)
    if status != 200 or data.get("errors"):
        raise RuntimeError(f"placeOrder failed ({status}): {data}")
    order_id: str = data["data"]["placeOrder"]["order"]["id"]
    return order_id


async def subscribe(http_url: str, query: str, *, op_id: str = "1") -> ClientConnection:
    """A ``graphql-transport-ws`` connection as staff, with ``query`` subscribed; the
    WebSocket itself, read with :func:`order_change` (cheaper than a client per message)."""
    connection = await Connection.open(
        http_url,
        STAFF_TOKEN,
        ack_timeout=30,
        proxy=None,
        ping_interval=None,  # no keep-alive traffic during the measurements
        max_queue=None,
        open_timeout=30,
    )
    await connection.subscribe(op_id, query)
    return connection.websocket


def order_change(message: str | bytes) -> tuple[str, str] | None:
    """``(event type, order id)`` of an ``orderChanges`` ``next`` message, else None;
    a GraphQLError for an error."""
    data = next_data(json.loads(message))
    if data is None:
        return None
    change = data["orderChanges"]
    return change["type"], change["order"]["id"]


def now() -> float:
    """The clock every benchmark uses (CLOCK_MONOTONIC: the same across processes)."""
    return time.perf_counter()


async def wind_down(
    readers: Sequence[asyncio.Task[object]],
    http: RawHTTP,
    connections: Sequence[ClientConnection],
) -> None:
    """End a measuring run: its reader tasks, its HTTP connection, its WebSockets."""
    for task in readers:
        task.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    with contextlib.suppress(OSError):
        await http.close()
    with contextlib.suppress(Exception):
        await asyncio.gather(*(connection.close() for connection in connections))
