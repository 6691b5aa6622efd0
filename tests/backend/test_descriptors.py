"""The open-files limit is raised at start, or the log says why not and what to do."""

from __future__ import annotations

import resource
import subprocess
import sys

REPORT = (
    "import resource; from backend.descriptors import raise_open_files_limit; "
    "print(*raise_open_files_limit(), sep=chr(10)); "
    "print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])"
)


def run_with_limits(soft: int, hard: int) -> list[str]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))

    done = subprocess.run(
        [sys.executable, "-c", REPORT],
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.splitlines()


def test_the_soft_limit_is_raised_to_the_hard_limit() -> None:
    raised, line, soft = run_with_limits(256, 2048)
    assert raised == "True"
    assert line == "open files: limit raised from 256 to 2,048"
    assert int(soft) == 2048


def test_a_limit_that_cannot_be_raised_says_what_it_allows_and_what_to_do() -> None:
    raised, line, soft = run_with_limits(512, 512)
    assert raised == "False"
    assert line.startswith("open files: limit 512; at most about 448 WebSocket connections")
    assert "raise the hard limit (ulimit -Hn" in line
    assert int(soft) == 512
