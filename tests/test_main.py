"""`python main.py --headless` as a real subprocess: ready line, serving, clean stop by signal."""

from __future__ import annotations

import hashlib
import signal
import socket
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.headless import TOKEN, listening_url, start


@pytest.fixture
def headless(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    process = start(tmp_path / "data" / "passline.db")
    yield process
    if process.poll() is None:
        process.kill()
        process.wait()


def place_order(url: str) -> dict[str, object]:
    query = (
        "mutation { placeOrder(input: {channel: COUNTER, fulfillment: DINE_IN, table: 4,"
        ' items: [{menuItemId: "burger", quantity: 1}]}) { order { number status } } }'
    )
    response = httpx.post(url, json={"query": query}, headers={"Authorization": f"Bearer {TOKEN}"})
    body: dict[str, object] = response.json()
    return body


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_headless_serves_and_stops_cleanly_on_signal(
    headless: subprocess.Popen[str], signum: int
) -> None:
    url = listening_url(headless)
    assert place_order(url) == {
        "data": {"placeOrder": {"order": {"number": 1, "status": "PLACED"}}}
    }
    headless.send_signal(signum)
    out, err = headless.communicate(timeout=30)
    assert headless.returncode == 0, err
    assert "stopped" in out


def test_the_order_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "passline.db"
    first = start(db)
    place_order(listening_url(first))
    first.send_signal(signal.SIGTERM)
    first.communicate(timeout=30)
    second = start(db)
    try:
        url = listening_url(second)
        response = httpx.post(
            url,
            json={"query": "{ orders { number items { name } } }"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert response.json() == {
            "data": {"orders": [{"number": 1, "items": [{"name": "Smash burger"}]}]}
        }
    finally:
        second.send_signal(signal.SIGTERM)
        second.communicate(timeout=30)


def test_metrics_token_on_the_command_line_reads_metrics(tmp_path: Path) -> None:
    process = start(tmp_path / "passline.db", "--metrics-token", "scrape-token")
    try:
        url = listening_url(process).removesuffix("/graphql") + "/metrics"
        scraped = httpx.get(url, headers={"Authorization": "Bearer scrape-token"})
        assert scraped.status_code == 200
        assert "passline_websocket_connections_active 0.0" in scraped.text
        assert httpx.get(url, headers={"Authorization": "Bearer other"}).status_code == 401
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)


def test_a_file_that_is_not_a_passline_database_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("shopping list\n")
    process = start(db)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "not a SQLite database" in err and "choose another --db path" in err
    assert db.read_text() == "shopping list\n"


def sqlite_state(path: Path) -> tuple[str, str, int]:
    """The file's hash, its journal mode and the change counter in its header."""
    data = path.read_bytes()
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        mode: str = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    return hashlib.sha256(data).hexdigest(), mode, int.from_bytes(data[24:28], "big")


def refused_as_foreign(db: Path) -> None:
    """A start on ``db`` ends in the one line for another program's SQLite file."""
    process = start(db)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert err == (
        f"passline: cannot start: {db} is a SQLite database but not a Passline one. "
        "Passline left it untouched: choose another --db path.\n"
    )


def test_another_programs_sqlite_database_is_refused_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "recipes.db"
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("CREATE TABLE foo (name TEXT)")
        conn.execute("INSERT INTO foo VALUES ('bread')")
    conn.close()
    before = sqlite_state(db)
    assert before[1] == "delete"
    refused_as_foreign(db)
    assert sqlite_state(db) == before
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["recipes.db"]


def wal_copy(source: Path, target: Path, *, checkpointed: bool) -> None:
    """``target``: another program's WAL database copied while it runs, its -wal with it
    (as a crash leaves it). Its tables are in the main file only if ``checkpointed``;
    else the main file's header is still that of an empty database."""
    conn = sqlite3.connect(source)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    with conn:
        conn.execute("CREATE TABLE foo (name TEXT)")
    if checkpointed:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    with conn:
        conn.execute("INSERT INTO foo VALUES ('bread')")
    for suffix in ("", "-wal"):
        target.with_name(target.name + suffix).write_bytes(
            source.with_name(source.name + suffix).read_bytes()
        )
    conn.close()


@pytest.mark.parametrize("checkpointed", [True, False])
def test_another_programs_wal_database_is_refused_with_nothing_made_beside_it(
    tmp_path: Path, checkpointed: bool
) -> None:
    """Issue 11.8: the check opened it read-only, which made a -shm beside its -wal."""
    folder = tmp_path / "recipes"
    folder.mkdir()
    db = folder / "recipes.db"
    wal_copy(tmp_path / "running.db", db, checkpointed=checkpointed)
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert sorted(before) == ["recipes.db", "recipes.db-wal"]
    assert before["recipes.db"][18:20] == b"\x02\x02"  # WAL mode
    refused_as_foreign(db)
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


def test_torn_sandbox_journals_are_repaired_at_start_and_said_so(tmp_path: Path) -> None:
    """A charge cut short by a full disk, glued to the next one, and a torn last line:
    the backend starts, keeps the whole charges, and says what it dropped."""
    sandbox = tmp_path / "sandbox"
    sandbox.mkdir()
    whole = (
        b'{"amountCents":700,"id":"ch_1","idempotencyKey":"e1:charge_payment",'
        b'"orderId":"order-1","status":"APPROVED"}'
    )
    (sandbox / "charges.jsonl").write_bytes(b'{"amountCents":700,"id":"ch_0","ord' + whole + b"\n")
    (sandbox / "sms-outbox.jsonl").write_bytes(b'{"key":"a","phone":"+1 555 0100","te')
    process = start(tmp_path / "passline.db", "--log-level", "WARNING")
    try:
        url = listening_url(process)
        assert place_order(url)["data"] == {
            "placeOrder": {"order": {"number": 1, "status": "PLACED"}}
        }
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "charges.jsonl, line 1, is not a record and was skipped" in err
    assert "the whole record at its end is kept" in err
    assert "sms-outbox.jsonl: cut off a torn last line" in err
    assert "Traceback" not in err
    assert (sandbox / "sms-outbox.jsonl").read_bytes() == b""


@pytest.mark.parametrize(
    ("prepare", "said"),
    [
        (
            lambda folder: (folder / "sandbox" / "charges.jsonl").mkdir(parents=True),
            "Is a directory ({folder}/sandbox/charges.jsonl): check that Passline may read "
            "and write {folder} and the files in it, or choose another --db path",
        ),
        (
            lambda folder: (folder / "passline.db").write_bytes(
                b"SQLite format 3\x00" + b"\x00" * 200
            ),
            "{folder}/passline.db is damaged or is not a SQLite database",
        ),
    ],
    ids=["journal-is-a-folder", "damaged-database"],
)
def test_a_failed_start_ends_in_one_line_saying_what_to_do(
    tmp_path: Path, prepare: Callable[[Path], object], said: str
) -> None:
    prepare(tmp_path)
    process = start(tmp_path / "passline.db")
    out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert out == ""
    [line] = err.splitlines()  # no traceback, no "Task was destroyed" either
    assert line.startswith("passline: cannot start: " + said.format(folder=tmp_path)), err


def test_a_port_in_use_ends_in_one_line_and_leaves_no_task_pending(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = start(tmp_path / "passline.db", "--port", str(port))
        out, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert out == ""
    assert err == (
        f"passline: cannot start: 127.0.0.1:{port} is already in use by another program: "
        "choose another --port (0 = any free port) or stop that program\n"
    )


@pytest.mark.parametrize(
    "given",
    [
        [],
        ["--host", "0.0.0.0", "--port", "9000", "--log-level", "INFO"],
        ["--gateway-latency", "0.25", "--handlers-config", "hooks.toml"],
        ["--gateway-decline-rate", "0.3"],
        ["--backup-dir", "copies"],
        ["--demo", "--demo-rate", "120", "--demo-failure-rate", "0.3"],
    ],
)
def test_the_dashboard_hands_its_backend_options_on_to_the_child(
    given: list[str], tmp_path: Path
) -> None:
    import main

    db = ["--db", str(tmp_path / "passline.db")]
    dashboard = main.parse_args([*db, *given])
    child = main.parse_args(["--headless", *db, *main.headless_options(dashboard)])

    def value(args: object, option: str) -> object:
        found = getattr(args, option)
        # A relative path is handed on resolved: the child may start elsewhere.
        return found.resolve() if isinstance(found, Path) else found

    for option in vars(dashboard):
        if option != "headless":
            assert value(child, option) == value(dashboard, option), option


def test_the_dashboard_hands_the_metrics_token_on_out_of_sight_of_ps(tmp_path: Path) -> None:
    import main
    from backend.child import ChildBackend

    dashboard = main.parse_args(["--metrics-token", "scrape-me"])
    options = main.headless_options(dashboard)
    assert "scrape-me" not in options  # every user on the machine can read a command line
    child = ChildBackend(
        tmp_path / "passline.db", ["--port", "0", *options], main.headless_environment(dashboard)
    )
    url, _ = child.start()
    try:
        assert child.process is not None
        assert b"scrape-me" not in Path(f"/proc/{child.process.pid}/cmdline").read_bytes()
        metrics = url.removesuffix("/graphql") + "/metrics"
        assert httpx.get(metrics, headers={"Authorization": "Bearer scrape-me"}).status_code == 200
        assert httpx.get(metrics, headers={"Authorization": "Bearer other"}).status_code == 401
    finally:
        child.stop()


def test_the_demo_has_its_own_database_and_reset_empties_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import main

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    demo = tmp_path / "passline" / "demo" / "demo.db"
    assert main.database_path(main.parse_args([])) == tmp_path / "passline" / "passline.db"
    assert main.database_path(main.parse_args(["--demo"])) == demo
    # A demo run left its database and made-up text messages behind.
    (demo.parent / "sandbox").mkdir(parents=True)
    demo.write_bytes(b"demo orders")
    (demo.parent / "sandbox" / "sms-outbox.jsonl").write_text("{}\n")
    real = tmp_path / "passline" / "passline.db"
    real.write_bytes(b"the restaurant's orders")

    main.reset_demo(main.database_path(main.parse_args(["--demo", "--reset"])))

    assert not demo.parent.exists()
    assert real.read_bytes() == b"the restaurant's orders"


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (["--reset"], "it goes with --demo"),
        (["--demo", "--reset", "--db", "x.db"], "leave out --db to reset it"),
        (["--demo", "--db", "{real}"], "into the restaurant's database"),
    ],
)
def test_the_demo_refuses_to_touch_the_restaurants_data(
    given: list[str],
    said: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import main

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    real = str(tmp_path / "passline" / "passline.db")
    with pytest.raises(SystemExit) as exited:
        main.parse_args([option.replace("{real}", real) for option in given])
    assert exited.value.code == 2
    assert said in capsys.readouterr().err


def test_an_unknown_log_level_is_a_usage_error_not_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import main

    with pytest.raises(SystemExit) as exit_:
        main.parse_args(["--headless", "--log-level", "LOUD"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "--log-level LOUD is not a level; use one of DEBUG, INFO, WARNING" in err


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (["--station", "wok"], "--station wok is not a station; use one of expo, grill, fryer, "),
        (["--station", ""], "is not a station; use one of expo, grill, fryer, pizza, cold, bar"),
        (["--headless", "--station", "grill"], "leave it out with --headless"),
    ],
)
def test_a_bad_station_is_one_line_naming_the_stations(
    given: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import main

    with pytest.raises(SystemExit) as exit_:
        main.parse_args(given)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert said in err
    assert err.splitlines()[-1].startswith("passline: error: --station")


def test_a_station_is_named_in_any_case() -> None:
    import main

    assert main.parse_args(["--station", " Grill "]).station == "grill"
    assert main.parse_args([]).station is None


@pytest.mark.parametrize("rate", ["-0.1", "1.5"])
def test_a_decline_rate_outside_0_to_1_is_a_usage_error(
    rate: str, capsys: pytest.CaptureFixture[str]
) -> None:
    import main

    with pytest.raises(SystemExit) as exit_:
        main.parse_args(["--headless", "--gateway-decline-rate", rate])
    assert exit_.value.code == 2
    assert (
        f"--gateway-decline-rate {float(rate):g} is out of range; use a fraction from 0 "
        "(no card declined) to 1 (every card declined)"
    ) in capsys.readouterr().err


def test_a_headless_backend_declines_cards_at_the_decline_rate(tmp_path: Path) -> None:
    process = start(tmp_path / "passline.db", "--gateway-decline-rate", "1")
    try:
        url = listening_url(process)
        place = (
            "mutation { placeOrder(input: {channel: WEB, fulfillment: TAKEAWAY,"
            ' items: [{menuItemId: "margherita", quantity: 1}]}) { order { id } } }'
        )
        order_id = httpx.post(url, json={"query": place}).json()["data"]["placeOrder"]["order"][
            "id"
        ]
        read = {
            "query": "query($id: ID!) { order(id: $id) { status } }",
            "variables": {"id": order_id},
        }
        deadline = time.monotonic() + 30  # the pipeline charges the card within moments
        with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}) as client:
            statuses = [client.post(url, json=read).json()["data"]["order"]["status"]]
            while statuses[-1] in ("PLACED", "VALIDATED") and time.monotonic() < deadline:
                time.sleep(0.05)
                statuses.append(client.post(url, json=read).json()["data"]["order"]["status"])
        assert statuses[-1] == "PAYMENT_FAILED", statuses
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_reset_refuses_while_the_demo_runs_and_deletes_nothing(tmp_path: Path) -> None:
    import os
    import sys

    from tests.headless import ROOT

    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    env.pop("PASSLINE_STAFF_TOKEN", None)
    main_py = str(ROOT / "main.py")
    stop_at_eof = ["--port", "0", "--until-stdin-closes"]
    demo = subprocess.Popen(
        [sys.executable, main_py, "--headless", "--demo", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    try:
        url = listening_url(demo)
        folder = tmp_path / "passline" / "demo"
        before = {path.name for path in folder.iterdir()}
        assert "demo.db" in before

        reset = subprocess.run(
            # Without the refusal this backend would start: it stops at once on stdin's end.
            [sys.executable, main_py, "--headless", "--demo", "--reset", *stop_at_eof],
            input="",
            check=False,
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=60,
        )

        assert reset.returncode == 2
        assert reset.stdout == ""
        lines = reset.stderr.splitlines()
        assert len(lines) == 1, reset.stderr
        assert "a demo is running" in lines[0] and "close" in lines[0] and "first" in lines[0]
        assert before <= {path.name for path in folder.iterdir()}
        # The running demo still serves from the database it has open.
        assert httpx.post(url, json={"query": "{ __typename }"}).status_code == 200
    finally:
        demo.send_signal(signal.SIGTERM)
        _, err = demo.communicate(timeout=30)
    assert demo.returncode == 0, err


def _closed_port() -> int:
    """A port nothing listens on (it was free a moment ago)."""
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port: int = probe.getsockname()[1]
    return port


QT_OFFSCREEN_NOTES = ("This plugin does not support propagateSizeHints()",)


@pytest.mark.parametrize("run", range(4))
def test_closing_a_connect_window_that_cannot_reach_its_backend_prints_no_noise(
    tmp_path: Path, run: int
) -> None:
    """SIGTERM while the window's requests are out to a dead port: no asyncio
    "coroutine … was never awaited" nor any traceback (one run in four printed one)."""
    import os
    import sys

    from tests.headless import ROOT

    options = ["--connect", f"127.0.0.1:{_closed_port()}", "--token", "any", "--log-level", "info"]
    window = subprocess.Popen(
        [sys.executable, str(ROOT / "main.py"), *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path)},
    )
    assert window.stderr is not None
    said = []
    try:
        # The window is up and its requests are out once the live connection failed once.
        for line in window.stderr:
            said.append(line)
            if "backend connection down" in line:
                break
        window.send_signal(signal.SIGTERM)
        out, err = window.communicate(timeout=30)
    finally:
        if window.poll() is None:
            window.kill()
            window.wait()
    assert window.returncode == 0, err
    noise = [
        line
        for line in [*said, *err.splitlines(keepends=True)]
        if line.strip() not in QT_OFFSCREEN_NOTES and " INFO clients.live: " not in line
    ]
    assert noise == []
    assert out == ""


def test_a_second_window_on_a_running_demo_says_demo() -> None:
    import main

    demo = main.window_on_running("http://127.0.0.1:8765/graphql", "t", demo=True, station=None)
    assert "demo" in demo.title and "demo" in demo.backend_label.lower()
    assert demo.title == main.DEMO_TITLE  # as the demo's first window
    real = main.window_on_running("http://127.0.0.1:8765/graphql", "t", demo=False, station=None)
    assert "demo" not in real.title.lower() and "demo" not in real.backend_label.lower()
