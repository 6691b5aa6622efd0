"""``python main.py`` in all its dashboard modes, run in-process to the shown window:
with its embedded backend, with ``--demo``, and with ``--connect`` to a separately
started ``python main.py --headless``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

import main
from tests.headless import TOKEN, headers, listening_url, start
from ui.main_window import MainWindow
from ui.models.stages import Status

GIVE_UP_SECONDS = 30.0
POLL_MS = 20


def close_when(app: QApplication, ready: Callable[[MainWindow], bool]) -> list[str]:
    """Close the dashboard's window once ``ready(window)``; what went wrong, if anything."""
    problems: list[str] = []
    deadline = time.monotonic() + GIVE_UP_SECONDS

    def check() -> None:
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows and ready(windows[0]):
            windows[0].close()
            return
        if time.monotonic() > deadline:
            problems.append("the window never got ready")
            for window in windows:
                window.close()
            return
        QTimer.singleShot(POLL_MS, check)

    QTimer.singleShot(0, check)
    return problems


@pytest.fixture(autouse=True)
def _keep_excepthook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # main() installs its own


@pytest.fixture
def headless(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = start(tmp_path / "remote" / "passline.db")
    yield process
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def live(window: MainWindow) -> bool:
    return window.board.is_loaded and window.client.state == "connected"


def test_main_opens_the_dashboard_on_its_embedded_backend(
    qapp: QApplication, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "passline.db"
    shown: list[str] = []

    def ready(window: MainWindow) -> bool:
        if live(window) and window.backlog.figures is not None:
            shown.append(window.status.backend.text())
            return True
        return False

    problems = close_when(qapp, ready)
    assert main.main(["--db", str(db), "--port", "0"]) == 0
    assert not problems
    assert shown == [f"Embedded backend · {db.resolve()}"]
    assert (db.parent / "staff-token").exists()  # it made its token beside the database


def children() -> set[int]:
    """This process's child processes (Linux)."""
    found: set[int] = set()
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        found.update(int(pid) for pid in (task / "children").read_text().split())
    return found


def test_a_killed_embedded_backend_is_started_again_and_the_window_catches_up(
    qapp: QApplication, tmp_path: Path
) -> None:
    before = children()
    killed: list[int] = []
    placed: list[str] = []

    dropped: list[str] = []

    def ready(window: MainWindow) -> bool:
        if killed and window.client.state != "connected":
            dropped.append(window.client.state)
        if not live(window):
            return False
        if not killed:  # the backend dies under the open window
            (pid,) = children() - before
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
            return False
        if not dropped:  # the window has yet to notice
            return False
        if not placed:  # the backend is back: an order placed there reaches the board
            token = (tmp_path / "staff-token").read_text().strip()
            answer = httpx.post(
                window.client.url,
                json={
                    "query": "mutation { placeOrder(input: {channel: PHONE, fulfillment: "
                    'TAKEAWAY, items: [{menuItemId: "fries", quantity: 1}]}) { order { id } } }'
                },
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            placed.append(answer["data"]["placeOrder"]["order"]["id"])
        return window.board.model.get(placed[0]) is not None

    problems = close_when(qapp, ready)
    assert main.main(["--db", str(tmp_path / "passline.db"), "--port", "0"]) == 0
    assert not problems
    assert killed and placed
    assert children() - before == set()  # the new backend stopped with the window


def test_main_with_demo_shows_the_simulated_orders_from_its_own_database(
    qapp: QApplication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    shown: list[tuple[str, str]] = []

    def ready(window: MainWindow) -> bool:
        if live(window) and window.board.model.orders:
            shown.append((window.windowTitle(), window.status.backend.text()))
            return True
        return False

    problems = close_when(qapp, ready)
    assert main.main(["--port", "0", "--demo", "--demo-rate", "600"]) == 0
    assert not problems
    demo = tmp_path / "passline" / "demo" / "demo.db"
    assert shown == [
        ("Passline — demo (made-up orders, not the restaurant's)", f"Demo database · {demo}")
    ]
    assert demo.exists()
    assert not (tmp_path / "passline" / "passline.db").exists()  # the real one: untouched


def test_main_connect_follows_a_separately_started_headless_backend(
    qapp: QApplication, headless: subprocess.Popen[str]
) -> None:
    url = listening_url(headless)
    placed: list[str] = []
    shown: list[str] = []

    def ready(window: MainWindow) -> bool:
        if not live(window):
            return False
        if not placed:
            answer = httpx.post(
                url,
                json={
                    "query": "mutation { placeOrder(input: {channel: PHONE, fulfillment: "
                    'TAKEAWAY, items: [{menuItemId: "fries", quantity: 3}]}) { order { id } } }'
                },
                headers=headers(),
            ).json()
            placed.append(answer["data"]["placeOrder"]["order"]["id"])
            shown.append(window.status.backend.text())
        order = window.board.model.get(placed[0])
        return order is not None and order.status is Status.IN_KITCHEN

    problems = close_when(qapp, ready)
    # host:port is enough; the dashboard finds /graphql.
    address = url.removeprefix("http://").removesuffix("/graphql")
    assert main.main(["--connect", address, "--token", TOKEN]) == 0
    assert not problems
    assert shown == [f"Remote backend · {url}"]


def test_token_without_connect_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main.parse_args(["--token", "abc"])
    assert "--token goes with --connect" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("10.0.0.5:8787", "http://10.0.0.5:8787/graphql"),
        ("http://pass.local:8787/", "http://pass.local:8787/graphql"),
        ("https://pass.example/api/graphql", "https://pass.example/api/graphql"),
    ],
)
def test_connect_address_forms(given: str, expected: str) -> None:
    assert main.graphql_url(given) == expected


def test_a_backend_that_cannot_start_is_explained_in_the_window(
    qapp: QApplication, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("shopping list\n")
    told: list[str] = []

    def ready(window: MainWindow) -> bool:
        said = window.status.connection.toolTip()
        if said.startswith("The backend cannot start"):
            told.append(said)
            return True
        return False

    problems = close_when(qapp, ready)
    assert main.main(["--db", str(db), "--port", "0"]) == 2
    assert not problems
    assert "not a SQLite database" in told[0]
    assert "The backend cannot start" in capsys.readouterr().err
    assert db.read_text() == "shopping list\n"


@pytest.fixture
def on_fixed_port(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int]]:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = start(tmp_path / "data" / "passline.db", "--port", str(port))
    listening_url(process)
    yield process, port
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=30)


def test_a_second_start_opens_its_window_on_the_passline_already_running(
    qapp: QApplication,
    tmp_path: Path,
    on_fixed_port: tuple[subprocess.Popen[str], int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, port = on_fixed_port
    monkeypatch.setenv("PASSLINE_STAFF_TOKEN", TOKEN)  # this database's token
    before = children()
    shown: list[str] = []

    def ready(window: MainWindow) -> bool:
        if live(window):
            shown.append(window.status.backend.text())
            return True
        return False

    problems = close_when(qapp, ready)
    db = tmp_path / "data" / "passline.db"
    assert main.main(["--db", str(db), "--port", str(port)]) == 0
    assert not problems
    url = f"http://127.0.0.1:{port}/graphql"
    assert shown == [f"Running backend · {url}"]
    assert children() - before == set()  # no second backend was started
    out, err = capsys.readouterr()
    assert f"Passline is already running on {url}" in out
    assert "Traceback" not in err and "Task was destroyed" not in err


def test_a_second_start_for_another_database_is_told_to_pass_port(
    tmp_path: Path,
    on_fixed_port: tuple[subprocess.Popen[str], int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, port = on_fixed_port
    monkeypatch.delenv("PASSLINE_STAFF_TOKEN", raising=False)
    other = tmp_path / "other" / "passline.db"
    assert main.main(["--db", str(other), "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert "another Passline, on a different database, is running" in err
    assert f"--port {port + 1}" in err
    assert "Traceback" not in err
    assert not other.exists()
