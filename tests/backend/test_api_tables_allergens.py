"""A DINE_IN order's table and the allergens a guest names, through the real server."""

from __future__ import annotations

from typing import Any

from tests.backend._api import refusal
from tests.graphql_client import GraphQLHTTP, order_input

PLACE = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    order { id table allergens items { name allergens } }
  }
}
"""
PLACE_KEYED = """
mutation Place($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) { order { id } }
}
"""
READ = "query($id: ID!) { order(id: $id) { table allergens items { name allergens } } }"


async def test_table_and_allergens_come_back_as_placed(staff: GraphQLHTTP) -> None:
    order = order_input(("margherita", 1), ("cola", 1), channel="COUNTER", fulfillment="DINE_IN")
    order["items"][0]["allergens"] = ["MILK", "GLUTEN", "MILK"]
    placed = await staff.data(
        PLACE, {"input": {**order, "table": 12, "allergens": ["TREE_NUTS", "PEANUTS"]}}
    )
    expected = {
        "table": 12,
        # Each once, in the EU list's order.
        "allergens": ["PEANUTS", "TREE_NUTS"],
        "items": [
            {"name": "Margherita", "allergens": ["GLUTEN", "MILK"]},
            {"name": "Cola", "allergens": []},
        ],
    }
    created = placed["placeOrder"]["order"]
    assert {key: created[key] for key in expected} == expected
    assert (await staff.data(READ, {"id": created["id"]}))["order"] == expected


async def test_a_takeaway_has_no_table(staff: GraphQLHTTP) -> None:
    placed = await staff.data(PLACE, {"input": order_input(("fries", 1))})
    assert placed["placeOrder"]["order"]["table"] is None
    assert placed["placeOrder"]["order"]["allergens"] == []


async def test_an_allergen_off_the_list_is_refused(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    order = {**order_input(("fries", 1)), "allergens": ["KIWI"]}
    extensions = await refusal(staff, public, PLACE, {"input": order})
    # GraphQL's own check of the enum: no field is named, the message lists the values.
    assert extensions["code"] == "BAD_USER_INPUT"


async def test_the_same_key_with_table_and_allergens_gives_the_first_order(
    staff: GraphQLHTTP,
) -> None:
    extra: dict[str, Any] = {"table": 3, "allergens": ["SESAME"]}
    first = await staff.place(("fries", 1), key="dine-1", fulfillment="DINE_IN", **extra)
    again = await staff.place(("fries", 1), key="dine-1", fulfillment="DINE_IN", **extra)
    assert again["order"]["id"] == first["order"]["id"]
    other = await staff.error(
        PLACE_KEYED,
        {
            "input": order_input(("fries", 1), fulfillment="DINE_IN", **{**extra, "table": 4}),
            "key": "dine-1",
        },
    )
    assert other["extensions"] == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}
