"""The dashboard's embedded backend, run as a child process: ``passline --headless``.

The dashboard starts its backend in a process of its own rather than on a thread of
the window's process. On a thread, the backend's GraphQL work for every change held
the one GIL the Qt thread needs, and the window missed its loop-lag budget
(bench/RESULTS.md, section 5). In a child process both get a core.

The child is the same program (this interpreter with ``main.py``, or the bundle's
executable) with ``--headless --until-stdin-closes``: it stops cleanly when its
standard input closes, which also happens when the dashboard dies without saying so.
Should the child die while the window is open, it is started again on the same
address, so the window reconnects by itself and resumes from where it was.
"""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from backend.auth import staff_token

log = logging.getLogger(__name__)

READY_PREFIX = "listening on "
ERROR_PREFIX = "passline: cannot start: "  # how --headless says why it cannot start
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 15.0  # the backend's own shutdown grace is 5 s
STDERR_LINES_KEPT = 20
# Starting a child that died again: after 1 s, doubling up to 30 s while it keeps
# dying; a child that ran a minute starts the count afresh.
RESTART_FIRST_DELAY_SECONDS = 1.0
RESTART_MAX_DELAY_SECONDS = 30.0
RESTART_RESET_AFTER_SECONDS = 60.0


def program() -> list[str]:
    """How to start this program again: the bundle's executable, or Python with main.py."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, str(Path(__file__).resolve().parent.parent / "main.py")]


class ChildBackendError(RuntimeError):
    """The child backend did not start; the message is what it said on stderr."""


class _Launch:
    """One child process: its output followed on two threads until it ends."""

    def __init__(self, command: list[str], environment: dict[str, str]) -> None:
        self.url: str | None = None
        self.stderr: deque[str] = deque(maxlen=STDERR_LINES_KEPT)
        self.ready = threading.Event()
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **environment},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            # Not in the terminal's process group: Ctrl-C reaches the dashboard, which
            # stops its backend in order.
            start_new_session=True,
        )
        self.threads = [self._follow(self._read_stdout), self._follow(self._read_stderr)]

    def wait_ready(self, timeout: float) -> str:
        """The URL once the child serves; or raise why it does not."""
        self.ready.wait(timeout)
        if self.url is not None:
            return self.url
        try:  # its output ended: it is exiting
            self.process.wait(timeout=STOP_TIMEOUT_SECONDS if self.ready.is_set() else 0)
        except subprocess.TimeoutExpired:
            self.stop()
            raise ChildBackendError(
                f"the backend process did not report ready within {timeout:g} s; "
                "see its log on standard error"
            ) from None
        self.end()
        said = " ".join(
            line.removeprefix(ERROR_PREFIX) for line in self.stderr if line.startswith(ERROR_PREFIX)
        ) or " ".join(self.stderr)
        raise ChildBackendError(
            said or f"the backend process exited with status {self.process.returncode}"
        )

    def stop(self) -> int:
        """Close the child's stdin (it stops), kill it if it takes too long; its status."""
        if self.process.stdin is not None and not self.process.stdin.closed:
            with contextlib.suppress(OSError):  # the child is already gone
                self.process.stdin.close()
        try:
            self.process.wait(STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.end()
        return self.process.returncode

    def end(self) -> None:
        """After the process ended: the readers finish, the pipes close."""
        for thread in self.threads:
            thread.join(timeout=5)
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()

    def _follow(self, read: Callable[[], None]) -> threading.Thread:
        thread = threading.Thread(target=read, name="passline-backend-output", daemon=True)
        thread.start()
        return thread

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if self.url is None and line.startswith(READY_PREFIX):
                self.url = line.removeprefix(READY_PREFIX).strip()
                self.ready.set()
        self.ready.set()  # the child is gone: whoever waits learns why from stderr

    def _read_stderr(self) -> None:
        # The child's log goes on to ours; the last lines explain a failed start.
        assert self.process.stderr is not None
        for line in self.process.stderr:
            sys.stderr.write(line)
            self.stderr.append(line.strip())


class ChildBackend:
    """``start()`` returns once the child serves; ``stop()`` ends it and waits.

    In between, a child that dies is started again on the same address.
    """

    def __init__(
        self, db_path: Path, options: list[str], environment: dict[str, str] | None = None
    ) -> None:
        self.db_path = db_path
        self.options = options
        # Secrets go to the child this way: a command line is shown to every user by ps.
        self.environment = environment or {}
        self.url: str | None = None
        self.restarts = 0
        self._launch: _Launch | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None

    @property
    def process(self) -> subprocess.Popen[str] | None:
        """The current child process, if one was started."""
        launch = self._launch
        return None if launch is None else launch.process

    def command(self, options: list[str]) -> list[str]:
        return [
            *program(),
            "--headless",
            "--until-stdin-closes",
            "--db",
            str(self.db_path),
            *options,
        ]

    def start(self, timeout: float = START_TIMEOUT_SECONDS) -> tuple[str, str]:
        """Start the child; its GraphQL URL and the staff token, or raise why it cannot run."""
        with self._lock:
            self._launch = _Launch(self.command(self.options), self.environment)
        self.url = self._launch.wait_ready(timeout)
        self._supervisor = threading.Thread(
            target=self._supervise, name="passline-backend-supervisor", daemon=True
        )
        self._supervisor.start()
        return self.url, staff_token(self.db_path)

    def stop(self) -> int | None:
        """Stop the child (and no longer start it again); its exit status."""
        self._stopping.set()
        with self._lock:
            launch = self._launch
        status = None if launch is None else launch.stop()
        if self._supervisor is not None:
            self._supervisor.join()
        return status

    def _supervise(self) -> None:
        """Start the child again, on the address it had, each time it dies unasked."""
        assert self.url is not None
        split = urlsplit(self.url)
        options = [*self.options, "--host", str(split.hostname), "--port", str(split.port)]
        delay = RESTART_FIRST_DELAY_SECONDS
        while True:
            launch = self._launch
            assert launch is not None
            launch.process.wait()
            if self._stopping.is_set():
                return
            launch.end()
            log.error(
                "the embedded backend stopped unexpectedly (exit status %s); "
                "starting it again in %g s",
                launch.process.returncode,
                delay,
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                launch = self._launch = _Launch(self.command(options), self.environment)
            try:
                launch.wait_ready(START_TIMEOUT_SECONDS)
            except ChildBackendError as exc:
                if self._stopping.is_set():
                    return
                log.error("the embedded backend cannot start again: %s", exc)
                delay = min(delay * 2, RESTART_MAX_DELAY_SECONDS)
                continue
            self.restarts += 1
            try:
                launch.process.wait(RESTART_RESET_AFTER_SECONDS)
            except subprocess.TimeoutExpired:
                delay = RESTART_FIRST_DELAY_SECONDS
            else:
                delay = min(delay * 2, RESTART_MAX_DELAY_SECONDS)
