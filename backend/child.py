"""The dashboard's embedded backend, run as a child process: ``passline --headless``.

The dashboard starts its backend in a process of its own rather than on a thread of
the window's process. On a thread, the backend's GraphQL work for every change held
the one GIL the Qt thread needs, and the window missed its loop-lag budget
(bench/RESULTS.md, section 5). In a child process both get a core.

The child is the same program (this interpreter with ``main.py``, or the bundle's
executable) with ``--headless --until-stdin-closes``: it stops cleanly when its
standard input closes, which also happens when the dashboard dies without saying so.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path

from backend.auth import staff_token

READY_PREFIX = "listening on "
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0  # the backend's own shutdown grace is 5 s
STDERR_LINES_KEPT = 20
ERROR_PREFIX = "passline: cannot start: "  # how --headless says why it cannot start


def program() -> list[str]:
    """How to start this program again: the bundle's executable, or Python with main.py."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, str(Path(__file__).resolve().parent.parent / "main.py")]


class ChildBackendError(RuntimeError):
    """The child backend did not start; the message is what it said on stderr."""


class ChildBackend:
    """``start()`` returns once the child serves; ``stop()`` ends it and waits."""

    def __init__(self, db_path: Path, options: list[str]) -> None:
        self.db_path = db_path
        self.command = [
            *program(),
            "--headless",
            "--until-stdin-closes",
            "--db",
            str(db_path),
            *options,
        ]
        self.process: subprocess.Popen[str] | None = None
        self.url: str | None = None
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES_KEPT)
        self._ready = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> tuple[str, str]:
        """Start the child; its GraphQL URL and the staff token, or raise why it cannot run."""
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            # Not in the terminal's process group: Ctrl-C reaches the dashboard, which
            # stops its backend in order.
            start_new_session=True,
        )
        self._follow(self._read_stdout, "stdout")
        self._follow(self._read_stderr, "stderr")
        self._ready.wait(timeout)
        if self.url is None:
            try:  # its output ended: it is exiting
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS if self._ready.is_set() else 0)
            except subprocess.TimeoutExpired:
                self.stop()
                raise ChildBackendError(
                    f"the backend process did not report ready within {timeout:g} s; "
                    "see its log on standard error"
                ) from None
            for thread in self._threads:
                thread.join(timeout=5)
            said = " ".join(
                line.removeprefix(ERROR_PREFIX)
                for line in self._stderr
                if line.startswith(ERROR_PREFIX)
            ) or " ".join(self._stderr)
            raise ChildBackendError(
                said or f"the backend process exited with status {self.process.returncode}"
            )
        return self.url, staff_token(self.db_path)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> int | None:
        """Ask the child to stop (close its stdin), kill it if it takes too long; its status."""
        process = self.process
        if process is None:
            return None
        if process.stdin is not None and not process.stdin.closed:
            with contextlib.suppress(OSError):  # the child is already gone
                process.stdin.close()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for thread in self._threads:
            thread.join(timeout=5)
        for pipe in (process.stdout, process.stderr):
            if pipe is not None:
                pipe.close()
        return process.returncode

    def _follow(self, read: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=read, name=f"passline-backend-{name}", daemon=True)
        self._threads.append(thread)
        thread.start()

    def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if self.url is None and line.startswith(READY_PREFIX):
                self.url = line.removeprefix(READY_PREFIX).strip()
                self._ready.set()
        self._ready.set()  # the child is gone: whoever waits learns why from stderr

    def _read_stderr(self) -> None:
        # The child's log goes on to ours; the last lines explain a failed start.
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            sys.stderr.write(line)
            self._stderr.append(line.strip())
