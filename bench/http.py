"""placeOrder over HTTP: orders per second with 16 concurrent clients.

The backend runs in this process (its own thread and loop, as ``Backend`` always
does) on a temporary database and an ephemeral port, its handlers paused. The 16
clients (keep-alive connections, each placing orders one after another) run in
separate spawned processes, so they do not share the backend's GIL; they do share the
machine's two cores with it. Three runs, each on a fresh backend:

- ``httpx.AsyncClient`` with 16 connections in one client process;
- the same split over two client processes (8 + 8), in case one is the bottleneck;
- the minimal HTTP/1.1 client of :class:`bench.common.RawHTTP` in one process, which
  costs a small fraction of httpx's CPU a request and so leaves the backend more CPU.

Run alone: ``python -m bench.http``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from bench.common import (
    PLACE_ORDER_BODY,
    Figure,
    RawHTTP,
    auth_headers,
    client_pool,
    cpu_seconds,
    http_client,
    now,
    percentile,
    place_order,
    placed_order_id,
    run_section,
    running_backend,
    temp_dir,
)

CLIENTS = 16  # concurrent requests in flight, in all client processes together
CLIENT_PROCESSES = 2
SECONDS = 6.0
WARMUP_SECONDS = 1.5
TARGET_RATE = 800.0
HTTPX = "httpx"  # httpx.AsyncClient, one connection per concurrent client
RAW = "raw"  # a minimal HTTP/1.1 client on asyncio streams (see _raw_loops)


@dataclass(frozen=True, slots=True)
class LoadResult:
    """What one client process saw inside the measuring window."""

    completed: int
    failed: int
    latencies_ms: list[float]
    cpu_seconds: float


def warm_up() -> None:
    """Run in a fresh worker so that its imports are done before the clock starts."""
    import httpx  # noqa: F401


def load(url: str, connections: int, start_at: float, end_at: float, client: str) -> LoadResult:
    """One client process: ``connections`` keep-alive clients placing orders in a loop."""
    return asyncio.run(_load(url, connections, start_at, end_at, client))


class _Window:
    """Request outcomes that completed inside ``[start_at, end_at]``, and the CPU spent."""

    def __init__(self, start_at: float, end_at: float) -> None:
        self.start_at, self.end_at = start_at, end_at
        self.latencies: list[float] = []
        self.failed = 0
        self.cpu0 = 0.0

    def record(self, sent: float, ok: bool) -> None:
        done = now()
        if self.start_at <= done <= self.end_at:
            if ok:
                self.latencies.append(1000 * (done - sent))
            else:
                self.failed += 1

    async def cpu(self) -> float:
        await asyncio.sleep(max(0.0, self.start_at - now()))
        self.cpu0 = cpu_seconds()
        await asyncio.sleep(max(0.0, self.end_at - now()))
        return cpu_seconds() - self.cpu0


async def _load(
    url: str, connections: int, start_at: float, end_at: float, client: str
) -> LoadResult:
    window = _Window(start_at, end_at)
    loops = _httpx_loops if client == HTTPX else _raw_loops
    cpu, _ = await asyncio.gather(window.cpu(), loops(url, connections, window))
    return LoadResult(len(window.latencies), window.failed, window.latencies, cpu)


async def _httpx_loops(url: str, connections: int, window: _Window) -> None:
    headers = auth_headers()
    async with http_client(connections) as client:

        async def loop() -> None:
            while (sent := now()) < window.end_at:
                response = await client.post(url, content=PLACE_ORDER_BODY, headers=headers)
                window.record(
                    sent, response.status_code == 200 and b'"errors"' not in response.content
                )

        await place_order(client, url)  # fails loudly if the request is wrong
        await asyncio.gather(*(loop() for _ in range(connections)))


async def _raw_loops(url: str, connections: int, window: _Window) -> None:
    request = RawHTTP.request(url, PLACE_ORDER_BODY)

    async def loop() -> None:
        client = await RawHTTP.connect(url)
        try:
            placed_order_id(*await client.exchange(request))  # fails loudly if wrong
            while (sent := now()) < window.end_at:
                status, body = await client.exchange(request)
                window.record(sent, status == 200 and b'"errors"' not in body)
        finally:
            await client.close()

    await asyncio.gather(*(loop() for _ in range(connections)))


@dataclass(frozen=True, slots=True)
class HttpRun:
    client: str
    processes: int
    per_second: float
    failed: int
    p50_ms: float
    p99_ms: float
    server_cpu_percent: float
    client_cpu_percent: float


def measure(
    client: str, processes: int, clients: int = CLIENTS, seconds: float = SECONDS
) -> HttpRun:
    """A fresh backend; ``clients`` connections spread over ``processes`` client processes."""
    with temp_dir() as folder, running_backend(folder) as backend, client_pool(processes) as pool:
        for future in [pool.submit(warm_up) for _ in range(processes)]:
            future.result()
        start_at = now() + WARMUP_SECONDS
        end_at = start_at + seconds
        shares = [clients // processes + (i < clients % processes) for i in range(processes)]
        futures = [
            pool.submit(load, backend.url, share, start_at, end_at, client) for share in shares
        ]
        time.sleep(max(0.0, start_at - now()))
        cpu0 = cpu_seconds()
        time.sleep(max(0.0, end_at - now()))
        server_cpu = cpu_seconds() - cpu0
        results = [future.result() for future in futures]
    latencies = [ms for result in results for ms in result.latencies_ms]
    return HttpRun(
        client=client,
        processes=processes,
        per_second=len(latencies) / seconds,
        failed=sum(result.failed for result in results),
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        server_cpu_percent=100 * server_cpu / seconds,
        client_cpu_percent=100 * sum(result.cpu_seconds for result in results) / seconds,
    )


def _name(run: HttpRun) -> str:
    client = "httpx.AsyncClient" if run.client == HTTPX else "raw asyncio HTTP/1.1 client"
    processes = "1 client process" if run.processes == 1 else f"{run.processes} client processes"
    return f"http: placeOrder/s, {CLIENTS} concurrent clients, {client}, {processes}"


def _note(run: HttpRun) -> str:
    return (
        f"request latency p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms; {run.failed} failed; "
        f"CPU: backend process {run.server_cpu_percent:.0f} %, clients "
        f"{run.client_cpu_percent:.0f} % (100 % = one core)"
    )


def run() -> list[Figure]:
    runs = [measure(HTTPX, 1), measure(HTTPX, 2), measure(RAW, 1)]
    return [
        Figure(
            _name(result),
            result.per_second,
            "/s",
            f">= {TARGET_RATE:,.0f}/s",
            result.per_second >= TARGET_RATE and result.failed == 0,
            _note(result),
        )
        for result in runs
    ]


TITLE = "http: placeOrder over HTTP"


def main() -> None:
    run_section(TITLE, run)


if __name__ == "__main__":
    main()
