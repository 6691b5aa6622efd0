"""Memory of a headless backend process under load and after megabyte documents.

A real ``main.py --headless`` process (its handlers running, its collector tuned as in
production) on a temporary database; its RSS (VmRSS of /proc/PID/status) is sampled
every 0.25 s from this process:

- before, at the peak and 30 s after a load of 200 clients for 60 s: 140 placing orders
  over HTTP one after another, 45 following ``orderChanges`` and 15 following
  ``eventLog`` over WebSocket (the clients run in one spawned process);
- then before, at the peak and 30 s after 900 unique documents of ~1 MB sent one after
  another, half served (a query and a long comment: few tokens) and half refused by
  the token limit (300,000 fields).

Run alone: ``python -m bench.memory`` (``python -m bench.memory 20`` loads for 20 s).
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import (
    ORDER_CHANGES,
    PLACE_ORDER_BODY,
    STAFF_TOKEN,
    Figure,
    auth_headers,
    client_pool,
    http_client,
    now,
    raise_fd_limit,
    run_section,
    subscribe,
    temp_dir,
)

ROOT = Path(__file__).resolve().parent.parent
LOAD_SECONDS = 60.0
SETTLE_SECONDS = 30.0
PLACERS = 140
ORDER_FOLLOWERS = 45
LOG_FOLLOWERS = 15
DOCUMENTS = 900
EVENT_LOG = "subscription { eventLog { cursor event { seq type orderId } } }"
# After the documents, RSS should be back within this of where it was before them.
DOCUMENTS_BOUND_MB = 64.0
MB = 1024 * 1024


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


class RssSampler:
    """The largest RSS of a process seen since the last ``reset``, sampled in a thread."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.pid, self.interval = pid, interval
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def reset(self) -> float:
        self.peak = rss_mb(self.pid)
        return self.peak

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_mb(self.pid))


@contextmanager
def headless(folder: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    env = {**os.environ, "PASSLINE_STAFF_TOKEN": STAFF_TOKEN, "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, str(ROOT / "main.py"), "--headless", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--db", str(folder / "passline.db")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        match = re.fullmatch(r"listening on (\S+)\n", process.stdout.readline())
        if match is None:
            raise RuntimeError("the headless backend did not start")
        yield process, match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=60)


@dataclass(frozen=True, slots=True)
class LoadCounts:
    orders: int
    failed: int
    messages: int


def load(url: str, seconds: float) -> LoadCounts:
    """The 200 clients, in a client process, for ``seconds``."""
    raise_fd_limit(1024)
    return asyncio.run(_load(url, seconds))


async def _load(url: str, seconds: float) -> LoadCounts:
    end_at = now() + seconds
    orders = failed = messages = 0
    headers = auth_headers()

    async def follow(query: str, n: int) -> None:
        nonlocal messages
        connection = await subscribe(url, query, op_id=str(n))
        try:
            while (left := end_at - now()) > 0:
                try:
                    await asyncio.wait_for(connection.recv(), left)
                except TimeoutError:
                    break
                messages += 1
        finally:
            await connection.close()

    async with http_client(PLACERS) as client:

        async def place() -> None:
            nonlocal orders, failed
            while now() < end_at:
                response = await client.post(url, content=PLACE_ORDER_BODY, headers=headers)
                ok = response.status_code == 200 and b'"errors"' not in response.content
                orders += ok
                failed += not ok

        await asyncio.gather(
            *(place() for _ in range(PLACERS)),
            *(follow(ORDER_CHANGES, n) for n in range(ORDER_FOLLOWERS)),
            *(follow(EVENT_LOG, ORDER_FOLLOWERS + n) for n in range(LOG_FOLLOWERS)),
        )
    return LoadCounts(orders, failed, messages)


def document(n: int) -> str:
    if n % 2:
        return "{ menu { " + "id " * 300_000 + f"}} }} # {n}"
    return "{ menu { id } }\n# " + f"{n:08d}" + "x" * 1_000_000


def run_documents(url: str, count: int) -> tuple[int, int]:
    """Send ``count`` unique documents; how many were served and refused."""
    served = refused = 0
    with httpx.Client(timeout=60.0) as client:
        for n in range(count):
            body = client.post(url, json={"query": document(n)}).json()
            served += "errors" not in body
            refused += "errors" in body
    return served, refused


def measure(load_seconds: float = LOAD_SECONDS) -> list[Figure]:
    figures: list[Figure] = []
    with temp_dir() as folder, headless(folder) as (process, url), RssSampler(process.pid) as rss:
        httpx.post(url, json={"query": "{ menu { id } }"}, headers=auth_headers())
        before = rss.reset()
        with client_pool(1) as pool:
            counts = pool.submit(load, url, load_seconds).result()
        peak = rss.peak
        time.sleep(SETTLE_SECONDS)
        after = rss_mb(process.pid)
        clients = PLACERS + ORDER_FOLLOWERS + LOG_FOLLOWERS
        load_name = f"memory: RSS, {clients} clients for {load_seconds:.0f} s"
        note = (
            f"{counts.orders:,} orders placed ({counts.failed} failed), "
            f"{counts.messages:,} subscription messages"
        )
        figures += [
            Figure(f"{load_name}: before", before, "MB"),
            Figure(f"{load_name}: peak", peak, "MB", note=note),
            Figure(f"{load_name}: {SETTLE_SECONDS:.0f} s after", after, "MB"),
        ]

        before = rss.reset()
        served, refused = run_documents(url, DOCUMENTS)
        peak = rss.peak
        time.sleep(SETTLE_SECONDS)
        after = rss_mb(process.pid)
        docs_name = f"memory: RSS, {DOCUMENTS} unique ~1 MB documents"
        figures += [
            Figure(f"{docs_name}: before", before, "MB"),
            Figure(f"{docs_name}: peak", peak, "MB", note=f"{served} served, {refused} refused"),
            Figure(
                f"{docs_name}: {SETTLE_SECONDS:.0f} s after",
                after,
                "MB",
                f"<= before + {DOCUMENTS_BOUND_MB:.0f} MB",
                after <= before + DOCUMENTS_BOUND_MB,
            ),
        ]
    return figures


def run() -> list[Figure]:
    seconds = float(sys.argv[1]) if __name__ == "__main__" and len(sys.argv) > 1 else LOAD_SECONDS
    return measure(seconds)


TITLE = "memory: RSS of a headless backend"


def main() -> None:
    run_section(TITLE, run)


if __name__ == "__main__":
    main()
