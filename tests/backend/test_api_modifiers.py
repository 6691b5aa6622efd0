"""Modifiers through the real server: the menu's groups, placeOrder's modifierIds priced
and checked by the server, idempotent, and the pipeline taking such an order to the kitchen."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend import menu
from backend.embedded import Backend
from backend.registry import Registry
from backend.settings import resource_path
from backend.sql_blocks import SQL, migrations
from tests.backend._api import refusal, without_handlers
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import GraphQLHTTP, GraphQLWS, order_input

MENU = """
query($ids: [ID!]) {
  menu(ids: $ids) {
    id modifierGroups { id name minChoices maxChoices modifiers { id name priceCents } }
  }
}
"""
PLACE = """
mutation Place($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) {
    order {
      id totalCents
      items { menuItemId quantity unitPriceCents modifiers { modifierId name priceCents } }
    }
  }
}
"""
READ = """
query($id: ID!) {
  order(id: $id) {
    totalCents items { menuItemId quantity unitPriceCents modifiers { modifierId name priceCents } }
  }
}
"""


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    """No handlers: an order stays as placed, so "nothing changed" can be checked."""
    yield from without_handlers(db_path)


# The burger (14.50) with bacon (+2.00), extra cheese (+1.50) and no onion (+0.00),
# named in no particular order.
BURGER = ["burger-no-onion", "burger-bacon", "burger-extra-cheese"]


def with_modifiers(*lines: tuple[str, int, list[str]], **extra: Any) -> dict[str, Any]:
    order = order_input(*((item, quantity) for item, quantity, _ in lines), **extra)
    for line, (_, _, chosen) in zip(order["items"], lines, strict=True):
        line["modifierIds"] = chosen
    return order


async def test_the_seed_menus_groups_are_queryable(public: GraphQLHTTP) -> None:
    found = await public.data(MENU, {"ids": ["steak-frites", "burger", "fries"]})
    steak, burger, fries = found["menu"]
    assert steak["modifierGroups"][0] == {
        "id": "steak-doneness",
        "name": "Doneness",
        "minChoices": 1,
        "maxChoices": 1,
        "modifiers": [
            {"id": "steak-rare", "name": "rare", "priceCents": 0},
            {"id": "steak-medium-rare", "name": "medium rare", "priceCents": 0},
            {"id": "steak-medium", "name": "medium", "priceCents": 0},
            {"id": "steak-well-done", "name": "well done", "priceCents": 0},
        ],
    }
    assert [group["name"] for group in burger["modifierGroups"]] == ["Cook", "Extras", "Without"]
    extras = burger["modifierGroups"][1]["modifiers"]
    assert {m["name"]: m["priceCents"] for m in extras}["extra cheese"] == 150
    assert fries["modifierGroups"] == []
    # The whole menu reads them too, every item's in one go.
    whole = (await public.data(MENU))["menu"]
    assert sum(1 for item in whole if item["modifierGroups"]) == 9


async def test_modifiers_are_priced_by_the_server_and_come_back_in_menu_order(
    staff: GraphQLHTTP,
) -> None:
    order = with_modifiers(
        ("burger", 2, BURGER), ("steak-frites", 1, ["steak-medium-rare"]), ("cola", 1, [])
    )
    placed = (await staff.data(PLACE, {"input": order}))["placeOrder"]["order"]
    burger, steak, cola = placed["items"]
    assert burger["unitPriceCents"] == 1450 + 200 + 150
    assert burger["modifiers"] == [
        {"modifierId": "burger-extra-cheese", "name": "extra cheese", "priceCents": 150},
        {"modifierId": "burger-bacon", "name": "bacon", "priceCents": 200},
        {"modifierId": "burger-no-onion", "name": "no onion", "priceCents": 0},
    ]
    assert steak["unitPriceCents"] == 2650
    assert steak["modifiers"] == [
        {"modifierId": "steak-medium-rare", "name": "medium rare", "priceCents": 0}
    ]
    assert cola["modifiers"] == []
    assert placed["totalCents"] == 2 * 1800 + 2650 + 350
    read = (await staff.data(READ, {"id": placed["id"]}))["order"]
    assert read == {"totalCents": placed["totalCents"], "items": placed["items"]}


async def test_a_web_customer_may_choose_modifiers(public: GraphQLHTTP) -> None:
    order = with_modifiers(("margherita", 1, ["margherita-gluten-free"]))
    placed = (await public.data(PLACE, {"input": order}))["placeOrder"]["order"]
    assert placed["totalCents"] == 1200 + 250


BAD = {
    "an unknown modifier": (("burger", ["burger-truffle"]), "Smash burger has no modifier"),
    "another item's modifier": (
        ("burger", ["margherita-extra-mozzarella"]),
        "Smash burger has no modifier 'margherita-extra-mozzarella'",
    ),
    "a modifier of an item that has none": (("fries", ["burger-bacon"]), "Fries has no modifier"),
    "a required group left out": (
        ("steak-frites", []),
        "Steak frites needs one Doneness choice (rare, medium rare, medium, well done)",
    ),
    "a single choice chosen twice": (
        ("steak-frites", ["steak-rare", "steak-well-done"]),
        "Steak frites takes at most 1 Doneness choice, 2 were chosen (rare, well done)",
    ),
    "an optional single choice chosen twice": (
        ("burger", ["burger-medium", "burger-well-done"]),
        "Smash burger takes at most 1 Cook choice",
    ),
    "the same modifier twice": (
        ("burger", ["burger-bacon", "burger-bacon"]),
        "modifier 'burger-bacon' is named twice on one line",
    ),
    "too many modifiers": (("burger", [f"m{n}" for n in range(21)]), "at most 20 modifiers"),
    "an over-long id": (("burger", ["x" * 501]), "that modifier id is too long"),
}


@pytest.mark.parametrize("case", sorted(BAD))
async def test_bad_modifiers_are_refused_naming_the_line_and_change_nothing(
    staff: GraphQLHTTP, public: GraphQLHTTP, case: str
) -> None:
    (item, chosen), message = BAD[case]
    # The bad line is the second: the field names it by its index.
    order = with_modifiers(("cola", 1, []), (item, 1, chosen))
    for client in (staff, public):
        extensions = await refusal(staff, client, PLACE, {"input": order})
        assert extensions == {"code": "BAD_USER_INPUT", "field": "items.1.modifierIds"}
    error = await public.error(PLACE, {"input": order})
    assert message in error["message"], error["message"]


async def test_the_same_key_and_modifiers_in_another_order_give_the_first_order(
    staff: GraphQLHTTP,
) -> None:
    first = await staff.data(
        PLACE, {"input": with_modifiers(("burger", 1, BURGER)), "key": "burger-1"}
    )
    again = await staff.data(
        PLACE, {"input": with_modifiers(("burger", 1, BURGER[::-1])), "key": "burger-1"}
    )
    assert again == first
    other = with_modifiers(("burger", 1, ["burger-bacon"]))
    extensions = await refusal(staff, staff, PLACE, {"input": other, "key": "burger-1"})
    assert extensions == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}


async def test_the_same_key_without_modifiers_keeps_its_fingerprint(staff: GraphQLHTTP) -> None:
    """An order without modifiers is asked as before schema 7 (a key used before the
    upgrade still matches): sending ``modifierIds: []`` is the same request as leaving it out."""
    plain = order_input(("fries", 1))
    first = await staff.data(PLACE, {"input": plain, "key": "fries-1"})
    explicit = with_modifiers(("fries", 1, []))
    assert await staff.data(PLACE, {"input": explicit, "key": "fries-1"}) == first


FOLLOW = """
subscription($id: ID!) {
  order(id: $id) { status totalCents items { unitPriceCents modifiers { name } } }
}
"""
PAID = """
query($id: ID!) { order(id: $id) { events { type payload } } }
"""


async def test_the_pipeline_takes_an_order_with_priced_modifiers_to_the_kitchen(
    tmp_path: Path,
) -> None:
    with running(tmp_path / "kitchen.db") as kitchen:  # the restaurant's handlers
        async with httpx.AsyncClient(timeout=10.0) as http:
            await _to_the_kitchen(GraphQLHTTP(http, kitchen.url, STAFF_TOKEN))


async def _to_the_kitchen(staff: GraphQLHTTP) -> None:
    order = with_modifiers(("burger", 1, BURGER), ("margherita", 2, ["margherita-gluten-free"]))
    placed = (await staff.data(PLACE, {"input": order}))["placeOrder"]["order"]
    total = 1800 + 2 * (1200 + 250)
    assert placed["totalCents"] == total
    ws = await GraphQLWS.connect(staff.url, staff.token)
    try:
        await ws.subscribe("1", FOLLOW, {"id": placed["id"]})
        status = ""
        while status != "IN_KITCHEN":
            status = (await ws.next_data("1"))["order"]["status"]
            assert status in ("PLACED", "VALIDATED", "PAID", "IN_KITCHEN"), status
    finally:
        await ws.close()
    events = (await staff.data(PAID, {"id": placed["id"]}))["order"]["events"]
    paid = next(event["payload"] for event in events if event["type"] == "order_paid")
    assert paid["payment"]["amountCents"] == total
    placed_event = events[0]["payload"]["order"]
    assert [m["name"] for m in placed_event["items"][1]["modifiers"]] == ["gluten-free base"]


def before_modifiers(path: Path) -> None:
    """A database as Passline left it just before modifiers: the seed menu and an order."""
    scripts = migrations()
    first = next(n for n, script in scripts if "CREATE TABLE modifier_groups" in script)
    with sqlite3.connect(path, isolation_level=None) as conn:
        for _number, script in scripts[: first - 1]:
            conn.executescript("BEGIN;\n" + script + "\nCOMMIT;")
        conn.executemany(SQL.insert_menu_item, menu.seed_rows(resource_path("menu.json")))
        at = "2026-01-01T12:00:00+00:00"
        conn.execute(
            "INSERT INTO orders (id, number, status, channel, fulfillment, total_cents, "
            "created_at, updated_at) VALUES ('o1', 41, 'IN_KITCHEN', 'WEB', 'TAKEAWAY', "
            "2900, ?, ?)",
            (at, at),
        )
        conn.execute(
            "INSERT INTO order_items (order_id, line, menu_item_id, name, quantity, "
            "unit_price_cents, notes) VALUES ('o1', 0, 'burger', 'Smash burger', 2, 1450, "
            "'no onion')"
        )
    conn.close()


async def test_an_upgraded_database_keeps_its_orders_and_gets_the_seed_groups(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    before_modifiers(path)
    with running(path, Registry([])) as upgraded:
        async with httpx.AsyncClient(timeout=10.0) as http:
            staff = GraphQLHTTP(http, upgraded.url, STAFF_TOKEN)
            old = (await staff.data(READ, {"id": "o1"}))["order"]
            assert old == {
                "totalCents": 2900,
                "items": [
                    {
                        "menuItemId": "burger",
                        "quantity": 2,
                        "unitPriceCents": 1450,
                        "modifiers": [],
                    }
                ],
            }
            found = await staff.data(MENU, {"ids": ["burger", "steak-frites"]})
            assert [len(item["modifierGroups"]) for item in found["menu"]] == [3, 2]
            order = with_modifiers(("burger", 1, BURGER))
            placed = (await staff.data(PLACE, {"input": order}))["placeOrder"]["order"]
            assert placed["totalCents"] == 1800
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone() == (len(migrations()),)
        # Seeded once: a second start finds the groups and adds none.
        groups = conn.execute("SELECT count(*) FROM modifier_groups").fetchone()
    conn.close()
    with running(path, Registry([])):
        pass
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM modifier_groups").fetchone() == groups
    conn.close()
