"""Run `python main.py --headless` as a real subprocess, as staff and CI would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "subprocess-staff-token"


def start(db: Path, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """``main.py --headless`` on ``db``; ``env``: more environment variables."""
    env = {**os.environ, "PASSLINE_STAFF_TOKEN": TOKEN, "PYTHONUNBUFFERED": "1", **(env or {})}
    return subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "main.py"),
            "--headless",
            "--db",
            str(db),
            "--port",
            "0",
            # These tests place many public orders from one address (the limit has its
            # own tests: tests/backend/test_rate_limit.py).
            "--public-order-limit",
            "0",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def listening_url(process: subprocess.Popen[str]) -> str:
    """Block until the backend prints its ready line; its URL."""
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+/graphql)\n", line)
    if match is None:
        process.kill()
        _, err = process.communicate(timeout=30)
        raise AssertionError(f"no ready line: {line!r}; stderr: {err}")
    return match.group(1)


def headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKEN}"}
