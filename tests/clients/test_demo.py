"""``--demo``: simulated customers and staff against a real backend over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import httpx
import pytest

import main
from backend.embedded import Backend
from backend.settings import Settings, resource_path
from clients._customers import FULFILLMENTS, MenuChoice, random_order
from clients.demo import Demo, DemoSettings, DemoThread, client_url
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import GraphQLHTTP

WAIT_SECONDS = 10.0
QUICK = DemoSettings(
    orders_per_minute=3_000.0,
    cook_seconds=(0.01, 0.05),
    serve_seconds=(0.01, 0.05),
    sweep_seconds=3_600.0,  # only the first sweep: what the staff do later, the feed caused
    seed=7,
)
ORDERS = """{ orders { id number status channel fulfillment customerName phone address
                       items { menuItemId quantity } } }"""


async def until_orders(
    backend: Backend, done: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """The staff's view of the orders, once ``done`` holds for it (a wait-for-condition)."""
    deadline = time.monotonic() + WAIT_SECONDS
    async with httpx.AsyncClient(timeout=WAIT_SECONDS) as http:
        staff = GraphQLHTTP(http, backend.url, STAFF_TOKEN)
        while True:
            found: list[dict[str, Any]] = (await staff.data(ORDERS))["orders"]
            if done(found):
                return found
            assert time.monotonic() < deadline, f"still {found}"
            await asyncio.sleep(0.02)


async def test_customers_order_and_staff_complete_every_order(backend: Backend) -> None:
    demo = Demo(backend.url, STAFF_TOKEN, replace(QUICK, max_orders=4))
    thread = DemoThread(demo)
    thread.start()
    try:
        placed = await until_orders(
            backend,
            lambda found: len(found) == 4 and all(o["status"] == "COMPLETED" for o in found),
        )
    finally:
        thread.stop()
    assert not thread.is_alive()
    assert demo.placed == 4
    for order in placed:
        assert order["items"] and order["customerName"]
        assert order["fulfillment"] in FULFILLMENTS[order["channel"]]
        if order["fulfillment"] == "DELIVERY":
            assert order["address"] and order["phone"]


async def test_staff_pick_up_orders_that_were_waiting_before_the_demo(
    backend: Backend,
) -> None:
    async with httpx.AsyncClient(timeout=WAIT_SECONDS) as http:
        waiting = await GraphQLHTTP(http, backend.url, STAFF_TOKEN).place(
            ("burger", 1), channel="COUNTER", fulfillment="DINE_IN"
        )
    await until_orders(backend, lambda found: found[0]["status"] == "IN_KITCHEN")
    thread = DemoThread(Demo(backend.url, STAFF_TOKEN, replace(QUICK, max_orders=0)))
    thread.start()
    try:
        [order] = await until_orders(backend, lambda found: found[0]["status"] == "COMPLETED")
    finally:
        thread.stop()
    assert order["id"] == waiting["order"]["id"]


def test_stop_ends_the_demo_even_when_the_backend_is_gone() -> None:
    thread = DemoThread(Demo("http://127.0.0.1:9/graphql", STAFF_TOKEN, QUICK))
    thread.start()
    thread.stop()
    assert not thread.is_alive()


# -- the customers (pure) --------------------------------------------------------------


def seed_menu() -> list[MenuChoice]:
    categories = json.loads(resource_path("menu.json").read_text(encoding="utf-8"))
    return [
        MenuChoice.of({**item, "category": c["category"]})
        for c in categories
        for item in c["items"]
    ]


def test_random_orders_are_valid_and_varied() -> None:
    menu = seed_menu()
    ids = {choice.id for choice in menu}
    rng = random.Random(1)
    made = [random_order(rng, menu) for _ in range(400)]
    for order in made:
        assert order["fulfillment"] in FULFILLMENTS[order["channel"]]
        assert order["items"] and {line["menuItemId"] for line in order["items"]} <= ids
        assert all(1 <= line["quantity"] <= 99 for line in order["items"])
        assert len({line["menuItemId"] for line in order["items"]}) == len(order["items"])
        assert ("address" in order) == (order["fulfillment"] == "DELIVERY")
        assert ("table" in order) == (order["fulfillment"] == "DINE_IN")
        if order["fulfillment"] == "DELIVERY":
            assert "phone" in order
    # The steak's doneness is required (min 1, max 1): every steak line names one.
    steaks = [line for o in made for line in o["items"] if line["menuItemId"] == "steak-frites"]
    assert steaks
    assert all(
        len(line.get("modifierIds", [])) == 1 and line["modifierIds"][0].startswith("steak-")
        for line in steaks
    )
    assert {o["channel"] for o in made} == {"WEB", "KIOSK", "PHONE", "COUNTER"}
    assert {o["fulfillment"] for o in made} == {"DINE_IN", "TAKEAWAY", "DELIVERY"}
    assert max(sum(line["quantity"] for line in o["items"]) for o in made) > 3


def test_a_menu_without_mains_still_gives_orders() -> None:
    order = random_order(random.Random(3), [MenuChoice("cola", "Drinks")])
    assert [line["menuItemId"] for line in order["items"]] == ["cola"]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:8787/graphql", "http://127.0.0.1:8787/graphql"),
        ("http://0.0.0.0:8787/graphql", "http://127.0.0.1:8787/graphql"),
        ("http://[::]:8787/graphql", "http://[::1]:8787/graphql"),
        ("http://[::1]:8787/graphql", "http://[::1]:8787/graphql"),
    ],
)
def test_the_demo_connects_to_loopback_for_a_wildcard_address(url: str, expected: str) -> None:
    assert client_url(url) == expected


# -- the command line ------------------------------------------------------------------


def test_the_command_line_takes_the_demo_options(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[tuple[Settings, DemoSettings | None]] = []

    def run_headless(
        settings: Settings, demo: DemoSettings | None = None, until_stdin_closes: bool = False
    ) -> int:
        started.append((settings, demo))
        return 0

    monkeypatch.setattr(main, "run_headless", run_headless)
    argv = ["--headless", "--db", "x.db", "--demo", "--demo-rate", "30"]
    assert main.main([*argv, "--demo-failure-rate", "0.25"]) == 0
    assert main.main(["--headless", "--db", "x.db"]) == 0
    (with_demo, demo), (without, no_demo) = started
    assert demo is not None and demo.orders_per_minute == 30.0
    assert with_demo.gateway_failure_rate == 0.25
    assert no_demo is None and without.gateway_failure_rate == 0.0
    assert main.parse_args(["--demo"]).demo_rate is None  # the demo's default rate


@pytest.mark.parametrize(
    ("argv", "complaint"),
    [
        (["--demo-rate", "10"], "only apply with --demo; add --demo"),
        (["--demo-failure-rate", "0.1"], "only apply with --demo; add --demo"),
        (["--demo", "--demo-rate", "0"], "--demo-rate 0 is out of range"),
        (["--demo", "--demo-rate", "nan"], "--demo-rate nan is out of range"),
        (["--demo", "--demo-failure-rate", "1.5"], "--demo-failure-rate 1.5 is out of range"),
        (["--demo", "--connect", "http://x/graphql"], "leave out --connect"),
    ],
)
def test_bad_demo_options_are_refused(
    argv: list[str], complaint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main.parse_args(argv)
    assert exit.value.code == 2
    assert complaint in capsys.readouterr().err
