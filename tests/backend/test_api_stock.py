"""setMenuItemStock and MenuItem.stock: staff count an item's stock, or stop counting it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from backend.embedded import Backend
from tests.backend._api import refusal, without_handlers
from tests.graphql_client import GraphQLHTTP

SET_STOCK = """
mutation($id: ID!, $stock: Int) {
  setMenuItemStock(menuItemId: $id, stock: $stock) { id available stock }
}
"""
STOCK = "query($ids: [ID!]) { menu(ids: $ids) { id stock } }"
CHANGES = "{ events(first: 500) { seq type payload } }"


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from without_handlers(tmp_path_factory.mktemp("stock") / "passline.db")


async def menu_events(staff: GraphQLHTTP) -> list[dict[str, Any]]:
    events = (await staff.data(CHANGES))["events"]
    return [event["payload"] for event in events if event["type"] == "menu_item_changed"]


async def test_staff_set_the_stock_and_everyone_reads_it(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    before = await menu_events(staff)
    changed = await staff.data(SET_STOCK, {"id": "tiramisu", "stock": 3})
    assert changed == {"setMenuItemStock": {"id": "tiramisu", "available": True, "stock": 3}}
    read = await public.data(STOCK, {"ids": ["tiramisu"]})
    assert read == {"menu": [{"id": "tiramisu", "stock": 3}]}
    after = await menu_events(staff)
    ((item_id, stock),) = [
        (e["menuItem"]["id"], e["menuItem"]["stock"]) for e in after[len(before) :]
    ]
    assert (item_id, stock) == ("tiramisu", 3)


async def test_null_stops_counting_and_the_same_value_writes_no_event(
    staff: GraphQLHTTP,
) -> None:
    await staff.data(SET_STOCK, {"id": "cola", "stock": 12})
    before = await menu_events(staff)
    await staff.data(SET_STOCK, {"id": "cola", "stock": 12})
    assert await menu_events(staff) == before
    stopped = await staff.data(SET_STOCK, {"id": "cola", "stock": None})
    assert stopped["setMenuItemStock"]["stock"] is None
    after = await menu_events(staff)
    assert [event["menuItem"]["stock"] for event in after[len(before) :]] == [None]


async def test_a_negative_stock_is_refused_and_changes_nothing(staff: GraphQLHTTP) -> None:
    await staff.data(SET_STOCK, {"id": "tiramisu", "stock": 2})
    extensions = await refusal(staff, staff, SET_STOCK, {"id": "tiramisu", "stock": -1})
    assert (extensions["code"], extensions["field"]) == ("BAD_USER_INPUT", "stock")


async def test_an_unknown_item_is_not_found_and_changes_nothing(staff: GraphQLHTTP) -> None:
    extensions = await refusal(staff, staff, SET_STOCK, {"id": "no-such-item", "stock": 4})
    assert (extensions["code"], extensions["field"]) == ("NOT_FOUND", "menuItemId")


@pytest.mark.parametrize(
    ("menu_item_id", "code"),
    [("x" * 5000, "BAD_USER_INPUT"), ("", "NOT_FOUND"), (" tiramisu", "NOT_FOUND")],
    ids=["over-long", "empty", "padded"],
)
async def test_a_malformed_item_id_is_refused_and_changes_nothing(
    staff: GraphQLHTTP, menu_item_id: str, code: str
) -> None:
    extensions = await refusal(staff, staff, SET_STOCK, {"id": menu_item_id, "stock": 4})
    assert (extensions["code"], extensions["field"]) == (code, "menuItemId")
