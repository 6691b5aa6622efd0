"""Mutation acknowledged -> one WebSocket subscriber has the change.

One staff client (in a separate process) holds an ``orderChanges`` subscription over
``graphql-transport-ws`` and places orders one after another over HTTP (keep-alive,
the raw HTTP/1.1 client of :mod:`bench.common`). For each order three instants are
taken on the machine's monotonic clock: request sent (t0), HTTP response in (t1),
the subscription's ``order_placed`` message for that order in (t2, stamped by a reader
task as the frame arrives, also while the HTTP response is still awaited).

Reported: ack -> subscriber (t2 - t1, the target; negative when the subscriber had it
before the HTTP response), send -> subscriber (t2 - t0, an upper bound that includes
the mutation and its fsync), and the HTTP round trip (t1 - t0).

Run alone: ``python -m bench.latency``.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from bench.common import (
    ORDER_CHANGES,
    PLACE_ORDER_BODY,
    Figure,
    RawHTTP,
    client_pool,
    now,
    order_change,
    percentile,
    placed_order_id,
    run_section,
    running_backend,
    subscribe,
    temp_dir,
)

ORDERS = 500
WARMUP_ORDERS = 30
TARGET_P99_MS = 15.0
ARRIVAL_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Sample:
    sent: float
    acked: float
    received: float


def measure_worker(url: str, orders: int, warmup: int) -> list[Sample]:
    """In a client process: ``warmup`` + ``orders`` sequential orders; the measured ones."""
    return asyncio.run(_measure(url, orders, warmup))


async def _measure(url: str, orders: int, warmup: int) -> list[Sample]:
    connection = await subscribe(url, ORDER_CHANGES)
    arrivals: dict[str, float] = {}
    arrived = asyncio.Event()

    async def reader() -> None:
        async for message in connection:
            at = now()
            change = order_change(message)
            if change is not None and change[0] == "order_placed":
                arrivals[change[1]] = at
                arrived.set()

    reading = asyncio.create_task(reader())
    http = await RawHTTP.connect(url)
    request = RawHTTP.request(url, PLACE_ORDER_BODY)
    samples: list[Sample] = []
    try:
        for index in range(warmup + orders):
            sent = now()
            order_id = placed_order_id(*await http.exchange(request))
            acked = now()
            async with asyncio.timeout(ARRIVAL_TIMEOUT_SECONDS):
                while order_id not in arrivals:
                    if reading.done():
                        reading.result()  # raises what ended the subscription
                    arrived.clear()
                    await arrived.wait()
            if index >= warmup:
                samples.append(Sample(sent, acked, arrivals.pop(order_id)))
    finally:
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
        await http.close()
        await connection.close()
    return samples


def run(orders: int = ORDERS) -> list[Figure]:
    with temp_dir() as folder, running_backend(folder) as backend, client_pool() as pool:
        samples = pool.submit(measure_worker, backend.url, orders, WARMUP_ORDERS).result()
    ack_to_sub = [1000 * (s.received - s.acked) for s in samples]
    send_to_sub = [1000 * (s.received - s.sent) for s in samples]
    round_trip = [1000 * (s.acked - s.sent) for s in samples]
    before_ack = sum(1 for ms in ack_to_sub if ms < 0)
    context = (
        f"{len(samples)} sequential placeOrders, 1 subscriber; subscriber had it before the "
        f"HTTP response in {before_ack} of {len(samples)}; max {max(ack_to_sub):.1f} ms"
    )
    p99 = percentile(ack_to_sub, 99)
    return [
        Figure("latency: ack -> subscriber, p50", percentile(ack_to_sub, 50), "ms", note=context),
        Figure(
            "latency: ack -> subscriber, p99",
            p99,
            "ms",
            f"<= {TARGET_P99_MS:.0f} ms",
            p99 <= TARGET_P99_MS,
        ),
        Figure("latency: request sent -> subscriber, p50", percentile(send_to_sub, 50), "ms"),
        Figure("latency: request sent -> subscriber, p99", percentile(send_to_sub, 99), "ms"),
        Figure("latency: placeOrder HTTP round trip, p50", percentile(round_trip, 50), "ms"),
        Figure("latency: placeOrder HTTP round trip, p99", percentile(round_trip, 99), "ms"),
    ]


TITLE = "latency: mutation -> one subscriber"


def main() -> None:
    run_section(TITLE, run)


if __name__ == "__main__":
    main()
