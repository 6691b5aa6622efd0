"""Hostile documents against a real headless backend process (issue #11, items 1 and 6):
a fragment bomb is refused at once while other clients are served and SIGTERM still
stops the process; unique megabyte documents do not leave the process's memory behind."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.backend.test_limits import fragment_bomb
from tests.headless import listening_url, start

MENU = "{ menu { id name } }"
# The process's RSS must come back within this of where it was before the documents
# (today's main kept ~1.8 MB per document: 200 of them left it ~350 MB above).
RSS_BOUND_BYTES = 64 * 1024 * 1024
GIVE_UP_SECONDS = 60.0


@contextmanager
def headless(db: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    process = start(db)
    try:
        yield process, listening_url(process)
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def rss(pid: int) -> int:
    """The process's resident set size in bytes (VmRSS of /proc/PID/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def test_a_fragment_bomb_is_refused_while_others_are_served_and_sigterm_stops(
    tmp_path: Path,
) -> None:
    with headless(tmp_path / "passline.db") as (process, url):

        async def clients() -> tuple[httpx.Response, list[httpx.Response]]:
            # Timeouts only so that a frozen backend fails the test instead of hanging it.
            async with httpx.AsyncClient(timeout=20.0) as client:
                bomb = asyncio.create_task(client.post(url, json={"query": fragment_bomb(40)}))
                others = [await client.post(url, json={"query": MENU}) for _ in range(5)]
                return await bomb, others

        bomb, others = asyncio.run(clients())
        [error] = bomb.json()["errors"]
        assert error["extensions"] == {"code": "LIMIT_EXCEEDED"}, error
        for other in others:
            assert other.json()["data"]["menu"], other.text

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0


def unique_document(n: int, many_tokens: bool) -> str:
    """A unique document of ~0.9 MB: a long comment (few tokens; main served it and
    kept it), or 300,000 fields (main lexed it up to its token limit). Both are over
    MAX_DOCUMENT_CHARS now, but the bodies are still read and decoded."""
    if many_tokens:
        return "{ menu { " + "id " * 300_000 + f"}} }} # {n}"
    return "{ menu { id } }\n# " + f"{n:08d}" + "x" * 900_000


def test_memory_comes_back_after_unique_megabyte_documents(tmp_path: Path) -> None:
    with headless(tmp_path / "passline.db") as (process, url), httpx.Client(timeout=20.0) as client:
        assert client.post(url, json={"query": MENU}).json()["data"]
        baseline = rss(process.pid)
        codes = set()
        for n in range(200):
            body = client.post(url, json={"query": unique_document(n, n % 2 == 1)}).json()
            codes.add(body["errors"][0]["extensions"]["code"] if "errors" in body else "ok")
        assert codes <= {"ok", "LIMIT_EXCEEDED"}
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while rss(process.pid) > baseline + RSS_BOUND_BYTES:
            assert time.monotonic() < deadline, (
                f"RSS {rss(process.pid) >> 20} MB, {baseline >> 20} MB before the documents"
            )
            time.sleep(0.5)  # polling RSS: a wait-for-condition
        # And it still serves.
        assert client.post(url, json={"query": MENU}).json()["data"]
