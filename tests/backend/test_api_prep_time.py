"""setMenuItemPrepTime, MenuItem.prepSeconds and OrderItem.prepSeconds: staff set how long
an item takes; each order line keeps the time it was placed with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backend.embedded import Backend
from tests.backend._api import refusal, without_handlers
from tests.graphql_client import GraphQLHTTP

SET_PREP = """
mutation($id: ID!, $seconds: Int!, $key: String) {
  setMenuItemPrepTime(menuItemId: $id, prepSeconds: $seconds, idempotencyKey: $key) {
    id prepSeconds
  }
}
"""
PREP = "query($ids: [ID!]) { menu(ids: $ids) { id prepSeconds } }"
CHANGES = "{ events(first: 500) { seq type payload } }"
LINES = "query($id: ID!) { order(id: $id) { items { menuItemId prepSeconds } } }"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from without_handlers(tmp_path_factory.mktemp("prep") / "passline.db")


async def prep_events(staff: GraphQLHTTP) -> list[tuple[str, int]]:
    events = (await staff.data(CHANGES))["events"]
    return [
        (event["payload"]["menuItem"]["id"], event["payload"]["menuItem"]["prepSeconds"])
        for event in events
        if event["type"] == "menu_item_changed"
    ]


async def test_the_seed_menu_gives_every_item_a_prep_time(public: GraphQLHTTP) -> None:
    menu = (await public.data("{ menu { id category prepSeconds } }"))["menu"]
    times = {item["id"]: item["prepSeconds"] for item in menu}
    assert all(1 <= seconds <= 7200 for seconds in times.values())
    assert times["cola"] < times["margherita"] < times["steak-frites"]


async def test_staff_set_the_prep_time_and_everyone_reads_it(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    before = await prep_events(staff)
    changed = await staff.data(SET_PREP, {"id": "risotto", "seconds": 1500})
    assert changed == {"setMenuItemPrepTime": {"id": "risotto", "prepSeconds": 1500}}
    assert await public.data(PREP, {"ids": ["risotto"]}) == {
        "menu": [{"id": "risotto", "prepSeconds": 1500}]
    }
    assert (await prep_events(staff))[len(before) :] == [("risotto", 1500)]
    # The same time again is no change: no event.
    await staff.data(SET_PREP, {"id": "risotto", "seconds": 1500})
    assert (await prep_events(staff))[len(before) :] == [("risotto", 1500)]


async def test_a_key_sent_again_returns_the_first_answer_and_changes_once(
    staff: GraphQLHTTP,
) -> None:
    before = await prep_events(staff)
    variables = {"id": "brownie", "seconds": 420, "key": "prep-brownie-1"}
    first = await staff.data(SET_PREP, variables)
    # Someone else sets it meanwhile; the retried request must not set it back.
    await staff.data(SET_PREP, {"id": "brownie", "seconds": 300})
    again = await staff.data(SET_PREP, variables)
    assert again == first == {"setMenuItemPrepTime": {"id": "brownie", "prepSeconds": 420}}
    assert await staff.data(PREP, {"ids": ["brownie"]}) == {
        "menu": [{"id": "brownie", "prepSeconds": 300}]
    }
    assert (await prep_events(staff))[len(before) :] == [("brownie", 420), ("brownie", 300)]
    # The same key for another request is refused, and changes nothing.
    other = {"id": "brownie", "seconds": 600, "key": "prep-brownie-1"}
    extensions = await refusal(staff, staff, SET_PREP, other)
    assert (extensions["code"], extensions["field"]) == ("BAD_USER_INPUT", "idempotencyKey")


@pytest.mark.parametrize("seconds", [0, -60, 7201, 2**31 - 1])
async def test_a_time_out_of_range_is_refused_and_changes_nothing(
    staff: GraphQLHTTP, seconds: int
) -> None:
    extensions = await refusal(staff, staff, SET_PREP, {"id": "gelato", "seconds": seconds})
    assert (extensions["code"], extensions["field"]) == ("BAD_USER_INPUT", "prepSeconds")


async def test_the_bounds_themselves_are_prep_times(staff: GraphQLHTTP) -> None:
    for seconds in (1, 7200, 90):
        changed = await staff.data(SET_PREP, {"id": "espresso", "seconds": seconds})
        assert changed["setMenuItemPrepTime"]["prepSeconds"] == seconds


async def test_an_unknown_item_is_not_found_and_changes_nothing(staff: GraphQLHTTP) -> None:
    extensions = await refusal(staff, staff, SET_PREP, {"id": "no-such-item", "seconds": 60})
    assert (extensions["code"], extensions["field"]) == ("NOT_FOUND", "menuItemId")


async def test_only_staff_set_a_prep_time(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    variables = {"id": "fries", "seconds": 240}
    assert (await refusal(staff, public, SET_PREP, variables))["code"] == "UNAUTHENTICATED"
    placed = await public.place(("fries", 1), channel="WEB")
    customer = GraphQLHTTP(public.client, public.url, placed["accessToken"])
    assert (await refusal(staff, customer, SET_PREP, variables))["code"] == "FORBIDDEN"


async def test_an_order_line_keeps_the_prep_time_it_was_placed_with(
    staff: GraphQLHTTP,
) -> None:
    await staff.data(SET_PREP, {"id": "salmon", "seconds": 780})
    first: dict[str, Any] = (await staff.place(("salmon", 1), ("cola", 2)))["order"]
    await staff.data(SET_PREP, {"id": "salmon", "seconds": 1200})
    second: dict[str, Any] = (await staff.place(("salmon", 1)))["order"]
    lines = (await staff.data(LINES, first))["order"]["items"]
    cola = (await staff.data(PREP, {"ids": ["cola"]}))["menu"][0]["prepSeconds"]
    assert lines == [
        {"menuItemId": "salmon", "prepSeconds": 780},
        {"menuItemId": "cola", "prepSeconds": cola},
    ]
    assert (await staff.data(LINES, second))["order"]["items"] == [
        {"menuItemId": "salmon", "prepSeconds": 1200}
    ]


@pytest.mark.parametrize(
    ("menu_item_id", "code"),
    [("x" * 5000, "BAD_USER_INPUT"), ("", "NOT_FOUND"), (" gelato", "NOT_FOUND")],
    ids=["over-long", "empty", "padded"],
)
async def test_a_malformed_item_id_is_refused_and_changes_nothing(
    staff: GraphQLHTTP, menu_item_id: str, code: str
) -> None:
    extensions = await refusal(staff, staff, SET_PREP, {"id": menu_item_id, "seconds": 60})
    assert (extensions["code"], extensions["field"]) == (code, "menuItemId")
