"""Kitchen stations over HTTP: each category's station (setCategoryStation), where an
order's lines are made (OrderItem.station), a station's bump (markStationDone /
markStationNotDone); refusals change nothing; a database of before is upgraded."""

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
from tests.backend.test_event_payloads import KITCHEN, PAY, VALIDATE, as_handler
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import GraphQLHTTP

MENU = "{ menu { id category station } }"
SET = """
mutation($category: String!, $station: Station, $key: String) {
  setCategoryStation(category: $category, station: $station, idempotencyKey: $key) {
    id category station
  }
}
"""
STATION_DONE = """
mutation($id: ID!, $station: Station!) {
  markStationDone(orderId: $id, station: $station) { status updatedAt items { station done } }
}
"""
STATION_UNDONE = STATION_DONE.replace("markStationDone", "markStationNotDone")
ORDER = """
query($id: ID!) {
  order(id: $id) { status items { name station done } events { type payload } }
}
"""
EVENTS = "{ events(first: 500) { type payload } }"
# One line of each station, and a second pizza: lines 0 and 4 are the pizza station's.
RUSH = (("margherita", 2), ("fries", 1), ("burger", 1), ("cola", 2), ("diavola", 1))


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    yield from without_handlers(db_path)


async def stations_of(staff: GraphQLHTTP) -> dict[str, str | None]:
    return {item["id"]: item["station"] for item in (await staff.data(MENU))["menu"]}


async def cooking(backend: Backend, staff: GraphQLHTTP, *lines: tuple[str, int]) -> str:
    """An order placed, validated, paid and in the kitchen; its id."""
    order = (await staff.place(*(lines or RUSH)))["order"]
    as_handler(backend, VALIDATE, id=order["id"])
    as_handler(backend, PAY, id=order["id"], cents=order["totalCents"])
    as_handler(backend, KITCHEN, id=order["id"])
    return str(order["id"])


async def lines_of(staff: GraphQLHTTP, order_id: str) -> list[tuple[str | None, bool]]:
    found = (await staff.data(ORDER, {"id": order_id}))["order"]
    return [(item["station"], item["done"]) for item in found["items"]]


def of_type(events: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"].startswith(prefix)]


# -- where things are made -------------------------------------------------------------


async def test_the_seed_menu_sends_each_category_to_a_station(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    found = await stations_of(staff)
    assert found["margherita"] == "PIZZA"
    assert found["burger"] == "GRILL"
    assert found["fries"] == "FRYER"
    assert found["tiramisu"] == found["bruschetta"] == "COLD"
    assert found["cola"] == "BAR"
    assert None not in found.values()
    order_id = await cooking(backend, staff)
    assert await lines_of(staff, order_id) == [
        ("PIZZA", False),
        ("FRYER", False),
        ("GRILL", False),
        ("BAR", False),
        ("PIZZA", False),
    ]


async def test_a_category_moves_for_the_orders_placed_afterwards(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    before = await cooking(backend, staff, ("cola", 1), ("ipa", 1))
    moved = await staff.data(SET, {"category": "Drinks", "station": "COLD"})
    drinks = moved["setCategoryStation"]
    assert {item["category"] for item in drinks} == {"Drinks"}
    assert len(drinks) == 6 and {item["station"] for item in drinks} == {"COLD"}
    assert (await stations_of(staff))["cola"] == "COLD"
    assert (await stations_of(staff))["margherita"] == "PIZZA"  # other categories stay
    # Each item of the category wrote menu_item_changed with its new station.
    changed = of_type((await staff.data(EVENTS))["events"], "menu_item_changed")
    assert sorted(event["payload"]["menuItem"]["id"] for event in changed) == sorted(
        item["id"] for item in drinks
    )
    assert {event["payload"]["menuItem"]["station"] for event in changed} == {"COLD"}
    # The ticket already in the kitchen keeps its lines where they are being made.
    assert await lines_of(staff, before) == [("BAR", False), ("BAR", False)]
    after = await cooking(backend, staff, ("cola", 1))
    assert await lines_of(staff, after) == [("COLD", False)]


async def test_the_same_station_again_writes_nothing_and_null_takes_it_away(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    await staff.data(SET, {"category": "Sides", "station": "FRYER"})
    assert of_type((await staff.data(EVENTS))["events"], "menu_item_changed") == []
    cleared = await staff.data(SET, {"category": " Sides ", "station": None})
    assert {item["station"] for item in cleared["setCategoryStation"]} == {None}
    assert len(of_type((await staff.data(EVENTS))["events"], "menu_item_changed")) == 4
    order_id = await cooking(backend, staff, ("fries", 1), ("margherita", 1))
    assert await lines_of(staff, order_id) == [(None, False), ("PIZZA", False)]
    # A station's bump does not reach a line of no station.
    extensions = await refusal(staff, staff, STATION_DONE, {"id": order_id, "station": "FRYER"})
    assert extensions["code"] == "BAD_USER_INPUT" and extensions["field"] == "station"


async def test_an_idempotency_key_returns_the_first_result(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    asked = {"category": "Desserts", "station": "BAR", "key": "k-1"}
    first = await staff.data(SET, asked)
    await staff.data(SET, {"category": "Desserts", "station": "COLD"})  # moved back since
    events = len((await staff.data(EVENTS))["events"])
    assert await staff.data(SET, asked) == first  # the first answer, nothing redone
    assert len((await staff.data(EVENTS))["events"]) == events
    assert (await stations_of(staff))["tiramisu"] == "COLD"
    # The same key for another request is refused.
    extensions = await refusal(staff, staff, SET, {**asked, "station": "GRILL"})
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["field"] == "idempotencyKey"


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"category": "Soups", "station": "COLD"}, "category"),
        ({"category": "pizza", "station": "COLD"}, "category"),  # names are exact
        ({"category": "   ", "station": "COLD"}, "category"),
        ({"category": "x" * 501, "station": "COLD"}, "category"),
        ({"category": "Pizza", "station": "WOK"}, None),
        ({"category": "Pizza", "station": "pizza"}, None),
        ({"category": "Pizza", "station": "COLD", "key": "k" * 501}, "idempotencyKey"),
    ],
)
async def test_a_bad_category_or_station_is_refused_and_changes_nothing(
    backend: Backend, staff: GraphQLHTTP, variables: dict[str, Any], field: str | None
) -> None:
    extensions = await refusal(staff, staff, SET, variables)
    assert extensions["code"] == "BAD_USER_INPUT"
    if field is not None:
        assert extensions["field"] == field


async def test_an_unknown_category_names_the_known_ones(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    error = await staff.error(SET, {"category": "Soups", "station": "COLD"})
    assert "Starters, Pizza, Mains, Sides, Desserts, Drinks" in error["message"]


async def test_the_public_may_not_move_a_category(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    extensions = await refusal(staff, public, SET, {"category": "Pizza", "station": "GRILL"})
    assert extensions["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}


# -- a station's bump -------------------------------------------------------------------


async def test_a_station_bump_strikes_its_lines_and_leaves_the_status(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order_id = await cooking(backend, staff)
    bumped = (await staff.data(STATION_DONE, {"id": order_id, "station": "PIZZA"}))[
        "markStationDone"
    ]
    assert bumped["status"] == "IN_KITCHEN"
    assert [item["done"] for item in bumped["items"]] == [True, False, False, False, True]
    await staff.data(STATION_DONE, {"id": order_id, "station": "BAR"})
    assert [done for _, done in await lines_of(staff, order_id)] == [
        True,
        False,
        False,
        True,
        True,
    ]
    await staff.data(STATION_UNDONE, {"id": order_id, "station": "PIZZA"})
    found = (await staff.data(ORDER, {"id": order_id}))["order"]
    assert [item["done"] for item in found["items"]] == [False, False, False, True, False]
    assert found["status"] == "IN_KITCHEN"
    stations = of_type(found["events"], "order_station_")
    assert [(e["type"], e["payload"]["station"], e["payload"]["lines"]) for e in stations] == [
        ("order_station_done", "PIZZA", [0, 4]),
        ("order_station_done", "BAR", [3]),
        ("order_station_undone", "PIZZA", [0, 4]),
    ]
    # The event carries the order as it is after the bump.
    last = stations[-1]["payload"]["order"]
    assert [line["done"] for line in last["items"]] == [False, False, False, True, False]


async def test_a_station_bump_changes_only_the_lines_not_yet_so(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order_id = await cooking(backend, staff)
    await staff.data(
        "mutation($id: ID!) { markItemDone(orderId: $id, line: 4) { id } }", {"id": order_id}
    )
    first = await staff.data(STATION_DONE, {"id": order_id, "station": "PIZZA"})
    again = await staff.data(STATION_DONE, {"id": order_id, "station": "PIZZA"})
    assert again == first  # nothing left to strike: same order, same updatedAt
    await staff.data(STATION_UNDONE, {"id": order_id, "station": "GRILL"})  # none done
    found = (await staff.data(ORDER, {"id": order_id}))["order"]
    stations = of_type(found["events"], "order_station_")
    assert [(e["type"], e["payload"]["lines"]) for e in stations] == [("order_station_done", [0])]


@pytest.mark.parametrize("where", ["PLACED", "READY", "CANCELLED"])
async def test_a_station_bumps_only_an_order_in_the_kitchens_hands(
    backend: Backend, staff: GraphQLHTTP, where: str
) -> None:
    if where == "PLACED":
        order_id = str((await staff.place(("margherita", 1)))["order"]["id"])
    else:
        order_id = await cooking(backend, staff)
        if where == "READY":
            await staff.data(
                "mutation($id: ID!) { markReady(orderId: $id) { id } }", {"id": order_id}
            )
        else:
            await staff.data(
                'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "x") { id } }',
                {"id": order_id},
            )
    for mutation in (STATION_DONE, STATION_UNDONE):
        extensions = await refusal(staff, staff, mutation, {"id": order_id, "station": "PIZZA"})
        assert extensions["code"] == "INVALID_TRANSITION"


async def test_a_bad_order_or_station_is_refused_and_changes_nothing(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    order_id = await cooking(backend, staff, ("margherita", 1), ("cola", 1))
    for mutation in (STATION_DONE, STATION_UNDONE):
        # A station with no line on this ticket.
        extensions = await refusal(staff, staff, mutation, {"id": order_id, "station": "GRILL"})
        assert extensions["code"] == "BAD_USER_INPUT" and extensions["field"] == "station"
        error = await staff.error(mutation, {"id": order_id, "station": "GRILL"})
        assert "BAR, PIZZA" in error["message"]
        for station in ("WOK", "grill", ""):
            extensions = await refusal(staff, staff, mutation, {"id": order_id, "station": station})
            assert extensions["code"] == "BAD_USER_INPUT"
        extensions = await refusal(staff, staff, mutation, {"id": "x" * 5000, "station": "BAR"})
        assert extensions["code"] == "BAD_USER_INPUT"
        extensions = await refusal(staff, staff, mutation, {"id": "nope", "station": "BAR"})
        assert extensions["code"] == "NOT_FOUND"
        extensions = await refusal(staff, public, mutation, {"id": order_id, "station": "BAR"})
        assert extensions["code"] in {"UNAUTHENTICATED", "FORBIDDEN"}


# -- the upgrade --------------------------------------------------------------------------


def before_stations(path: Path) -> int:
    """A database of the schema before stations: the seed menu and a category of the
    restaurant's own, an order in the kitchen with a line of each; the schema's number."""
    version = next(number for number, script in migrations() if "category_stations" in script)
    at = "2026-01-01T12:00:00+00:00"
    with sqlite3.connect(path, isolation_level=None) as conn:
        for _number, script in migrations()[: version - 1]:
            conn.executescript("BEGIN;\n" + script + "\nCOMMIT;")
        rows = menu.seed_rows(resource_path("menu.json"))
        rows.append({**rows[0], "id": "oysters", "name": "Oysters", "category": "Raw bar"})
        rows[-1]["position"] = len(rows)
        conn.executemany(SQL.insert_menu_item, rows)
        conn.execute(
            "INSERT INTO orders (id, number, status, channel, fulfillment, total_cents, "
            "created_at, updated_at) VALUES ('o1', 1, 'IN_KITCHEN', 'WEB', 'TAKEAWAY', 0, ?, ?)",
            (at, at),
        )
        conn.executemany(
            "INSERT INTO order_items (order_id, line, menu_item_id, name, quantity, "
            "unit_price_cents, done) VALUES ('o1', ?, ?, ?, 1, 100, ?)",
            [(0, "margherita", "Margherita", 1), (1, "cola", "Cola", 0), (2, "oysters", "O", 0)],
        )
    conn.close()
    return version - 1


async def test_a_database_with_orders_is_upgraded_to_stations(db_path: Path) -> None:
    old = before_stations(db_path)
    query = '{ order(id: "o1") { items { station done } } menu { id station } }'
    with running(db_path, Registry([])) as backend:
        async with httpx.AsyncClient(timeout=10.0) as http:
            found = await GraphQLHTTP(http, backend.url, STAFF_TOKEN).data(query)
    assert found["order"]["items"] == [
        {"station": "PIZZA", "done": True},
        {"station": "BAR", "done": False},
        {"station": None, "done": False},  # the restaurant's own category waits for staff
    ]
    menu_stations = {item["id"]: item["station"] for item in found["menu"]}
    assert menu_stations["burger"] == "GRILL" and menu_stations["oysters"] is None
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == len(migrations()) > old
    conn.close()
