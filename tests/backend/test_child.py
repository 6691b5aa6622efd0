"""The dashboard's embedded backend as a child process (``backend/child.py``): it serves,
stops when asked, never outlives a dashboard that was killed, and explains a failed start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from backend.child import ChildBackend, ChildBackendError

ROOT = Path(__file__).resolve().parent.parent.parent
GIVE_UP_SECONDS = 30.0


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by init) counts as gone.
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"


def wait_until_gone(pid: int) -> None:
    deadline = time.monotonic() + GIVE_UP_SECONDS
    while alive(pid):
        assert time.monotonic() < deadline, f"process {pid} is still running"
        time.sleep(0.02)


def test_the_child_serves_with_the_staff_token_and_stops_cleanly(tmp_path: Path) -> None:
    db = tmp_path / "data" / "passline.db"
    child = ChildBackend(db, ["--port", "0"])
    url, token = child.start()
    try:
        menu = httpx.post(
            url, json={"query": "{ menu { id } }"}, headers={"Authorization": f"Bearer {token}"}
        ).json()
        assert menu["data"]["menu"]
        assert (db.parent / "staff-token").read_text().strip() == token
    finally:
        status = child.stop()
    assert status == 0  # it stopped on its own when its stdin closed, not killed
    assert child.process is not None and child.process.poll() == 0


def test_the_child_stops_when_the_dashboard_is_killed(tmp_path: Path) -> None:
    # A stand-in for the dashboard: starts the child, reports its pid, then waits.
    parent_code = textwrap.dedent(
        f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from backend.child import ChildBackend
        child = ChildBackend(Path({str(tmp_path / "passline.db")!r}), ["--port", "0"])
        child.start()
        print(child.process.pid, flush=True)
        time.sleep(600)
        """
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert parent.stdout is not None
    pid = int(parent.stdout.readline())
    assert alive(pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    parent.stdout.close()
    wait_until_gone(pid)


def test_a_child_that_dies_is_started_again_on_the_same_address(tmp_path: Path) -> None:
    child = ChildBackend(tmp_path / "passline.db", ["--port", "0"])
    url, token = child.start()
    try:
        auth = {"Authorization": f"Bearer {token}"}
        placed = httpx.post(
            url,
            json={
                "query": "mutation { placeOrder(input: {channel: COUNTER, fulfillment: "
                'TAKEAWAY, items: [{menuItemId: "fries", quantity: 1}]}) { order { id } } }'
            },
            headers=auth,
        ).json()["data"]["placeOrder"]["order"]["id"]
        first = child.process
        assert first is not None
        first.send_signal(signal.SIGKILL)
        deadline = time.monotonic() + GIVE_UP_SECONDS
        while child.restarts == 0:
            assert time.monotonic() < deadline, "the child was not started again"
            time.sleep(0.02)
        assert child.process is not first and child.process is not None
        # The same address, so a window reconnects by itself; the order survived.
        query = {"query": "query($id: ID!) { order(id: $id) { id } }", "variables": {"id": placed}}
        found = httpx.post(url, json=query, headers=auth).json()
        assert found["data"]["order"] == {"id": placed}
    finally:
        assert child.stop() == 0
    assert child.restarts == 1


def test_a_child_that_cannot_start_says_why(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("shopping list\n")
    child = ChildBackend(db, ["--port", "0"])
    with pytest.raises(ChildBackendError, match="not a SQLite database"):
        child.start()
    assert child.stop() == 2
    assert db.read_text() == "shopping list\n"
