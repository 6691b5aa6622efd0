"""`python main.py --headless` as a real subprocess: ready line, serving, clean stop by signal."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Iterator
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
        "mutation { placeOrder(input: {channel: COUNTER, fulfillment: DINE_IN,"
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


@pytest.mark.parametrize(
    "given",
    [
        [],
        ["--host", "0.0.0.0", "--port", "9000", "--log-level", "INFO"],
        ["--gateway-latency", "0.25", "--handlers-config", "hooks.toml"],
        ["--demo", "--demo-rate", "120", "--demo-failure-rate", "0.3"],
        ["--metrics-token", "scrape-me"],
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
