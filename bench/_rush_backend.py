"""bench.rush's backend: ``main.py --headless`` as its own process (as the dashboard
starts its embedded backend), and a thread that samples its CPU and RSS from /proc."""

from __future__ import annotations

import bisect
import contextlib
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from bench.common import STAFF_TOKEN, now

ROOT = Path(__file__).resolve().parent.parent
READY_SECONDS = 60.0
STOP_SECONDS = 30.0
SAMPLE_SECONDS = 0.25
_READY = re.compile(r"listening on (http://127\.0\.0\.1:\d+/graphql)\n")
# A line the backend logs at ERROR or worse (its log format: time, level, logger).
_ERROR_LINE = re.compile(r"^\S+ \S+ (ERROR|CRITICAL) ")


class ProcessSampler:
    """CPU seconds (user + system) and resident memory of another process, sampled on a
    thread every ``interval`` seconds."""

    def __init__(self, pid: int, interval: float = SAMPLE_SECONDS) -> None:
        self.pid = pid
        self.samples: list[tuple[float, float, int]] = []  # (moment, CPU s, RSS bytes)
        self._interval = interval
        self._ticks = os.sysconf("SC_CLK_TCK")
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rush-sampler", daemon=True)

    def __enter__(self) -> ProcessSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> tuple[float, float, int] | None:
        try:
            with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
                # The fields after the command name, which may hold spaces: utime, stime
                # are the 14th and 15th of the line.
                fields = stat.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{self.pid}/statm", encoding="ascii") as statm:
                rss = int(statm.read().split()[1]) * self._page
        except (FileNotFoundError, ProcessLookupError):
            return None
        return now(), (int(fields[11]) + int(fields[12])) / self._ticks, rss

    def _run(self) -> None:
        while True:
            sample = self._sample()
            if sample is not None:
                self.samples.append(sample)
            if self._stop.wait(self._interval):
                return

    def _index(self, moment: float) -> int:
        index = bisect.bisect_left(self.samples, (moment, -1.0, -1))
        return min(max(index, 0), len(self.samples) - 1)

    def cpu_between(self, start: float, end: float) -> float:
        """CPU seconds the process used from ``start`` to ``end`` (nearest samples)."""
        return self.samples[self._index(end)][1] - self.samples[self._index(start)][1]

    def rss_between(self, start: float, end: float) -> tuple[int, int]:
        """(largest, last) resident memory sampled from ``start`` to ``end``, bytes."""
        inside = [rss for at, _, rss in self.samples if start <= at <= end]
        if not inside:
            inside = [self.samples[self._index(end)][2]]
        return max(inside), inside[-1]


@contextlib.contextmanager
def headless(folder: Path, decline_rate: float) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``main.py --headless`` on ``folder/passline.db``, any free port, the benchmarks'
    staff token, no limit on public orders (every customer orders from this machine)
    and the sandbox gateway declining ``decline_rate`` of the card charges; its URL.
    Its log goes to ``folder/backend.log`` (see :func:`logged_errors`)."""
    log = (folder / "backend.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--headless",
            "--until-stdin-closes",
            "--db",
            str(folder / "passline.db"),
            "--port",
            "0",
            "--public-order-limit",
            "0",
            "--gateway-decline-rate",
            repr(decline_rate),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PASSLINE_STAFF_TOKEN": STAFF_TOKEN, "PYTHONUNBUFFERED": "1"},
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = _READY.fullmatch(line)
        if match is None:
            raise RuntimeError(
                f"the backend did not start: {line!r}; see {folder / 'backend.log'}: "
                + (folder / "backend.log").read_text(encoding="utf-8")[-2000:]
            )
        yield process, match.group(1)
    finally:
        if process.poll() is None:
            process.terminate()
        try:
            process.communicate(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()
        log.close()


def logged_errors(folder: Path) -> list[str]:
    """The lines the backend logged at ERROR or worse."""
    text = (folder / "backend.log").read_text(encoding="utf-8", errors="replace")
    return [line for line in text.splitlines() if _ERROR_LINE.match(line)]
