"""One change -> 100, 1,000 and 10,000 WebSocket subscribers: time until the last one has it.

One client process opens N staff connections over ``graphql-transport-ws``, each
subscribed to ``orderChanges``, then places orders one after another over HTTP. For
each order the time from sending the ``placeOrder`` request to the moment the last
(and the first) of the N subscribers has its ``order_placed`` message is taken, on
the machine's monotonic clock; the next order is placed only when all N have it.
The timestamps are taken as each message is parsed (clients/subscriber.py: a protocol
per connection, no task), so they include the client's own work of receiving N
messages in one process, but as little of it as we could make.

Idle memory per subscriber: the backend's resident memory (it runs in this process;
the clients in another) once the N subscribers are connected and idle, less what it
was before they connected, over N.

Both paths in one run by default: ``shared`` (subscriptions alike share one
execution, api/streams.py) and ``today`` (each its own, as before).

Then the steady runs of :mod:`bench.fanout_steady` (``order(id)`` followers at 20
changes a second; ``placeOrder`` acknowledgements while 1,000 subscribers are fed).

Run alone: ``python -m bench.fanout`` (``python -m bench.fanout 100 1000 --path shared``
for some sizes or one path; ``--runs bursts`` or ``--runs steady`` for one kind).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import functools
import time
from dataclasses import dataclass

from bench import fanout_steady
from bench.common import (
    ORDER_CHANGES,
    PLACE_ORDER_BODY,
    STAFF_TOKEN,
    CpuSampler,
    Figure,
    RawHTTP,
    client_pool,
    cpu_seconds,
    now,
    percentile,
    placed_order_id,
    raise_fd_limit,
    run_section,
    running_backend,
    temp_dir,
    wait_for_subscriptions,
)
from clients.subscriber import LightSubscriber, light_subscriber

SIZES = (100, 1_000, 10_000)
PATHS = {"shared": True, "today": False}
CHANGES = 50
# A subscriber runs its own execution until the shared one covers it: two changes.
WARMUP_CHANGES = 3
BUDGET_SECONDS = 40.0  # per size: fewer changes are measured if they are slow
CONNECT_CONCURRENCY = 50
ARRIVAL_TIMEOUT_SECONDS = 60.0
KEEP_ALIVE_SECONDS = 4.0  # an HTTP connection idle longer is replaced before it is used
IDLE_SECONDS = 3.0  # connected and subscribed, nothing happening: then memory is read


@dataclass(frozen=True, slots=True)
class Change:
    ack_ms: float  # request sent -> HTTP response
    first_ms: float  # request sent -> first subscriber has it
    last_ms: float  # request sent -> last subscriber has it


@dataclass(frozen=True, slots=True)
class FanoutRun:
    subscribers: int
    connect_seconds: float
    changes: list[Change]
    client_cpu_seconds: float  # while measuring
    measuring_started: float
    measuring_seconds: float
    before_connect: float  # the moment before the first connection, on now()'s clock
    idle: float  # a moment with every subscriber connected and idle
    server_cpu_seconds: float = 0.0  # the backend's process, while measuring
    idle_bytes_per_subscriber: float = 0.0
    path: str = "shared"


def fanout_worker(url: str, subscribers: int, changes: int, budget: float) -> FanoutRun:
    raise_fd_limit(subscribers + 256)
    return asyncio.run(_fanout(url, subscribers, changes, budget))


class _Arrivals:
    """Per change: when each subscriber got an ``order_placed`` message."""

    def __init__(self, subscribers: int) -> None:
        self.subscribers = subscribers
        self.times: list[float] = []
        self.messages: list[bytes] = []
        self.complete = asyncio.Event()
        self.unexpected: bytes | None = None

    def reset(self) -> None:
        self.times, self.messages = [], []
        self.complete.clear()

    def arrived(self, at: float, message: bytes) -> None:
        # Cheap: the full check is done after the change, off the clock.
        if b'"order_placed"' not in message:  # handlers are paused: only orders placed
            self.unexpected = message
            self.complete.set()
            return
        self.times.append(at)
        self.messages.append(message)
        if len(self.times) >= self.subscribers:
            self.complete.set()


async def _settled(url: str, subscribers: int) -> float:
    """A moment when every subscription has started and stays idle (for its memory)."""
    await wait_for_subscriptions(url, "orderChanges", subscribers, ARRIVAL_TIMEOUT_SECONDS)
    await asyncio.sleep(IDLE_SECONDS)
    return now()


async def _fresh(http: RawHTTP, url: str, last_exchange: float) -> RawHTTP:
    """``http``, or a new connection if the server may have closed it meanwhile: it
    closes an idle HTTP connection after 5 s (uvicorn's default), and at 10,000
    subscribers a change can take longer than that to reach them all."""
    if now() - last_exchange <= KEEP_ALIVE_SECONDS:
        return http
    with contextlib.suppress(OSError):
        await http.close()
    return await RawHTTP.connect(url)


async def _arrived(arrivals: _Arrivals, connections: list[LightSubscriber]) -> None:
    """Return once every subscriber has the change; raise if one failed or it timed out."""
    try:
        await asyncio.wait_for(arrivals.complete.wait(), ARRIVAL_TIMEOUT_SECONDS)
    except TimeoutError:
        closed = sum(connection.closed.done() for connection in connections)
        raise TimeoutError(
            f"only {len(arrivals.times)} of {arrivals.subscribers} subscribers got the "
            f"change ({closed} connections closed)"
        ) from None
    if arrivals.unexpected is not None:
        raise RuntimeError(f"unexpected message: {arrivals.unexpected[:300]!r}")


async def _fanout(url: str, subscribers: int, changes: int, budget: float) -> FanoutRun:
    arrivals = _Arrivals(subscribers)
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect() -> LightSubscriber:
        async with gate:
            # now()'s clock, read directly: a call less for each of the run's messages.
            return await light_subscriber(
                url, STAFF_TOKEN, ORDER_CHANGES, arrivals.arrived, clock=time.perf_counter
            )

    await wait_for_subscriptions(url, "orderChanges", 0, ARRIVAL_TIMEOUT_SECONDS, at_most=True)
    started = before_connect = now()
    connections = list(await asyncio.gather(*(connect() for _ in range(subscribers))))
    connect_seconds = now() - started
    idle = await _settled(url, subscribers)
    http = await RawHTTP.connect(url)
    last_exchange = now()
    request = RawHTTP.request(url, PLACE_ORDER_BODY)
    measured: list[Change] = []
    cpu0 = started = 0.0
    try:
        deadline = now() + budget
        for index in range(WARMUP_CHANGES + changes):
            if index == WARMUP_CHANGES:
                cpu0, started = cpu_seconds(), now()
                deadline = started + budget
            elif index > WARMUP_CHANGES and now() > deadline:
                break
            arrivals.reset()
            http = await _fresh(http, url, last_exchange)
            sent = now()
            order_id = placed_order_id(*await http.exchange(request))
            acked = last_exchange = now()
            await _arrived(arrivals, connections)
            if any(order_id.encode() not in message for message in arrivals.messages):
                raise RuntimeError("a subscriber got another order's change than expected")
            if index >= WARMUP_CHANGES:
                measured.append(
                    Change(
                        1000 * (acked - sent),
                        1000 * (min(arrivals.times) - sent),
                        1000 * (max(arrivals.times) - sent),
                    )
                )
        client_cpu, measuring = cpu_seconds() - cpu0, now() - started
    finally:
        for connection in connections:
            connection.close()
        with contextlib.suppress(OSError):
            await http.close()
    return FanoutRun(
        subscribers,
        connect_seconds,
        measured,
        client_cpu,
        started,
        measuring,
        before_connect,
        idle,
    )


def measure(
    sizes: tuple[int, ...] = SIZES, path: str = "shared", loop_budget: float | None = None
) -> list[FanoutRun]:
    raise_fd_limit(max(sizes) + 256)
    runs = []
    with (
        temp_dir() as folder,
        running_backend(
            folder, shared_subscriptions=PATHS[path], loop_budget_seconds=loop_budget
        ) as backend,
        client_pool() as pool,
        CpuSampler() as sampler,
    ):
        for size in sizes:
            result = pool.submit(fanout_worker, backend.url, size, CHANGES, BUDGET_SECONDS)
            run_ = result.result()
            end = run_.measuring_started + run_.measuring_seconds
            server_cpu = sampler.between(run_.measuring_started, end)
            grown = sampler.rss_at(run_.idle) - sampler.rss_at(run_.before_connect)
            runs.append(
                dataclasses.replace(
                    run_,
                    server_cpu_seconds=server_cpu,
                    idle_bytes_per_subscriber=grown / size,
                    path=path,
                )
            )
    return runs


def figures(runs: list[FanoutRun]) -> list[Figure]:
    result = []
    for run_ in runs:
        last = [change.last_ms for change in run_.changes]
        first = [change.first_ms for change in run_.changes]
        ack = [change.ack_ms for change in run_.changes]
        messages = max(1, len(run_.changes) * run_.subscribers)
        per_message_us = 1e6 * run_.server_cpu_seconds / messages
        note = (
            f"idle memory {run_.idle_bytes_per_subscriber / 1024:.1f} KiB a subscriber; "
            f"{len(run_.changes)} changes; first subscriber p50 {percentile(first, 50):.1f} ms; "
            f"HTTP ack p50 {percentile(ack, 50):.1f} ms, p99 {percentile(ack, 99):.1f} ms; "
            f"{run_.subscribers:,} connections opened in {run_.connect_seconds:.1f} s; while "
            f"measuring, CPU: backend process "
            f"{100 * run_.server_cpu_seconds / run_.measuring_seconds:.0f} %, client "
            f"{100 * run_.client_cpu_seconds / run_.measuring_seconds:.0f} % of one core; backend "
            f"CPU per subscriber message {per_message_us:.0f} us (incl. the mutation)"
        )
        for p in (50, 99):
            result.append(
                Figure(
                    f"fanout ({run_.path}): {run_.subscribers:,} subscribers, "
                    f"send -> last has it, p{p}",
                    percentile(last, p),
                    "ms",
                    note=note if p == 99 else "",
                )
            )
    return result


def run() -> list[Figure]:
    return [figure for path in PATHS for figure in figures(measure(SIZES, path))]


TITLE = "fanout: one change -> N subscribers"


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, help=f"subscribers (default {SIZES})")
    parser.add_argument(
        "--path",
        choices=[*PATHS, "both"],
        default="both",
        help="shared executions, each subscription its own (today), or both (default)",
    )
    parser.add_argument(
        "--loop-budget",
        type=float,
        default=None,
        metavar="SECONDS",
        help="the backend's loop budget per request or event (default: the backend's own); "
        "10,000 executions of one event at once exceed the default 1 s",
    )
    parser.add_argument(
        "--runs",
        choices=["all", "bursts", "steady"],
        default="all",
        help="the bursts above, the steady runs of bench.fanout_steady (order(id) "
        "followers at 20 changes/s; placeOrder acks while subscribers are fed), or all",
    )
    parser.add_argument(
        "--followers",
        nargs="+",
        type=int,
        default=list(fanout_steady.FOLLOWERS),
        help=f"order(id) followers of the steady runs (default {fanout_steady.FOLLOWERS})",
    )
    parser.add_argument(
        "--steady-seconds",
        type=float,
        default=fanout_steady.CHANGE_SECONDS,
        help=f"how long each followers run lasts (default {fanout_steady.CHANGE_SECONDS:g})",
    )
    args = parser.parse_args()
    sizes = tuple(args.sizes) or SIZES
    paths = list(PATHS) if args.path == "both" else [args.path]
    if args.runs in ("all", "bursts"):
        for path in paths:
            run_section(
                f"{TITLE} ({path})", functools.partial(_measured, sizes, path, args.loop_budget)
            )
    if args.runs in ("all", "steady"):
        followers = tuple(args.followers)
        run_section(
            fanout_steady.TITLE,
            lambda: fanout_steady.figures(
                fanout_steady.measure(followers, seconds=args.steady_seconds)
            ),
        )


def _measured(sizes: tuple[int, ...], path: str, loop_budget: float | None) -> list[Figure]:
    return figures(measure(sizes, path, loop_budget))


if __name__ == "__main__":
    main()
