"""A backup killed in the middle: `main.py --headless` SIGKILLed while it copies.

The database stays sound, nothing in the folder passes for a backup, the next start
removes what the copy left and makes a good backup, and that backup restores.
Killed at a set point by the test hook ``PASSLINE_TEST_BACKUP_STALL`` (backend/backups.py):
the copy stops after its first page, and says so on standard error.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

import main
from backend.backups import STALL_ENV, check_copy, list_backups
from tests.headless import headers, listening_url, start

PLACE = (
    "mutation { placeOrder(input: {channel: COUNTER, fulfillment: DINE_IN, table: 4,"
    ' items: [{menuItemId: "burger", quantity: 1}]}) { order { number } } }'
)


def place(url: str) -> int:
    body = httpx.post(url, json={"query": PLACE}, headers=headers(), timeout=10).json()
    number: int = body["data"]["placeOrder"]["order"]["number"]
    return number


def numbers(url: str) -> list[int]:
    body = httpx.post(
        url, json={"query": "{ orders { number } }"}, headers=headers(), timeout=10
    ).json()
    return sorted(order["number"] for order in body["data"]["orders"])


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return err


def wait_for_line(process: subprocess.Popen[str], text: str) -> list[str]:
    """Read the process's stderr until a line holds ``text``; the lines read."""
    assert process.stderr is not None
    seen: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            seen.append(line)
            if text in line:
                found.set()
                return

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(30), f"no {text!r} on stderr: {seen}"
    return seen


def test_a_backup_killed_in_the_middle_leaves_no_backup_and_the_next_start_cleans_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "passline.db"
    folder = tmp_path / "backups"
    first = start(db, "--backup-dir", str(folder))
    url = listening_url(first)
    assert [place(url) for _ in range(3)] == [1, 2, 3]
    stop(first)
    for made in list_backups(folder, "passline"):
        made.path.unlink()  # so that the next start backs up at once

    monkeypatch.setenv(STALL_ENV, "1")
    stalled = start(db, "--backup-dir", str(folder), "--log-level", "INFO")
    url = listening_url(stalled)
    wait_for_line(stalled, "backup stalled in the middle")
    # The backend answers while its backup is under way.
    assert place(url) == 4
    partials = [path.name for path in folder.iterdir()]
    assert any(name.endswith(".partial") for name in partials), partials
    stalled.kill()
    stalled.communicate(timeout=30)
    assert list_backups(folder, "passline") == []
    assert all(path.name.startswith(".") for path in folder.iterdir())

    monkeypatch.delenv(STALL_ENV)
    again = start(db, "--backup-dir", str(folder), "--log-level", "INFO")
    url = listening_url(again)
    assert numbers(url) == [1, 2, 3, 4]
    deadline = time.monotonic() + 30
    while not list_backups(folder, "passline") and time.monotonic() < deadline:
        time.sleep(0.02)
    err = stop(again)
    assert "left by a backup that did not finish" in err
    assert sorted(path.name for path in folder.iterdir() if path.name.startswith(".")) == []
    backup = list_backups(folder, "passline")[-1].path
    check_copy(backup)

    # Put it back, over a database that has moved on since.
    more = start(db, "--backup-dir", str(folder))
    assert place(listening_url(more)) == 5
    more.kill()  # no shutdown backup: the one above is the newest
    more.communicate(timeout=30)
    assert main.main(["--restore", str(backup), "--db", str(db)]) == 0
    assert "restored" in capsys.readouterr().out
    restored = start(db, "--backup-dir", str(folder))
    try:
        assert numbers(listening_url(restored)) == [1, 2, 3, 4]
    finally:
        stop(restored)
