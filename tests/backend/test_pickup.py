"""The pickup board: which orders it shows, and its public subscriptions."""

from __future__ import annotations

import asyncio

from backend.pickup import PickupState, apply, state_of
from backend.states import Fulfillment, OrderStatus
from tests.graphql_client import GraphQLHTTP, GraphQLWS


def test_only_paid_orders_collected_at_the_counter_are_on_the_board() -> None:
    on_board = {status: state_of(status, Fulfillment.TAKEAWAY) for status in OrderStatus}
    assert {s: v for s, v in on_board.items() if v is not None} == {
        OrderStatus.PAID: PickupState.PREPARING,
        OrderStatus.IN_KITCHEN: PickupState.PREPARING,
        OrderStatus.READY: PickupState.READY,
    }
    # A driver collects a delivery; a dine-in order is brought to the table.
    assert state_of(OrderStatus.READY, Fulfillment.DELIVERY) is None
    assert state_of(OrderStatus.READY, Fulfillment.DINE_IN) is None


def test_apply_moves_an_order_and_says_whether_the_board_changed() -> None:
    board: dict[int, PickupState] = {}
    order = {"number": 7, "status": "PLACED", "fulfillment": "TAKEAWAY"}
    assert apply(board, order) is False
    assert apply(board, {**order, "status": "PAID"}) is True
    assert apply(board, {**order, "status": "IN_KITCHEN"}) is False  # still preparing
    assert apply(board, {**order, "status": "READY"}) is True
    assert board == {7: PickupState.READY}
    assert apply(board, {**order, "status": "COMPLETED"}) is True
    assert board == {}


async def test_the_menu_and_the_board_are_followed_without_a_token(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    menu_ws = await GraphQLWS.connect(public.url, None)
    await menu_ws.subscribe("m", "subscription { menu { id available } }")
    assert {"id": "cola", "available": True} in (await menu_ws.next_data("m"))["menu"]
    await staff.data(
        'mutation { setMenuItemAvailable(menuItemId: "cola", available: false) { id } }'
    )
    assert {"id": "cola", "available": False} in (await menu_ws.next_data("m"))["menu"]
    await menu_ws.close()

    board_ws = await GraphQLWS.connect(public.url, None)
    await board_ws.subscribe("b", "subscription { pickupBoard { number state } }")
    assert (await board_ws.next_data("b"))["pickupBoard"] == []
    placed = await public.place(("margherita", 1))
    board = (await board_ws.next_data("b"))["pickupBoard"]  # paid: the handlers took it on
    assert board == [{"number": placed["order"]["number"], "state": "PREPARING"}]
    await board_ws.close()


async def in_kitchen(staff: GraphQLHTTP, order_id: str) -> None:
    """Wait until the restaurant's handlers took the order to the kitchen."""
    status = "PLACED"
    for _ in range(400):
        query = "query($id: ID!) { order(id: $id) { status } }"
        status = (await staff.data(query, {"id": order_id}))["order"]["status"]
        if status == "IN_KITCHEN":
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"order {order_id} still {status}")


async def test_dine_in_orders_are_not_on_the_board(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    board_ws = await GraphQLWS.connect(public.url, None)
    await board_ws.subscribe("b", "subscription { pickupBoard { number state } }")
    assert (await board_ws.next_data("b"))["pickupBoard"] == []
    table = await public.place(("margherita", 1), fulfillment="DINE_IN", table=12)
    await in_kitchen(staff, table["order"]["id"])
    await staff.data(
        "mutation($id: ID!) { markReady(orderId: $id) { id } }", {"id": table["order"]["id"]}
    )
    counter = await public.place(("cola", 1))
    await in_kitchen(staff, counter["order"]["id"])
    # The first change the screen is sent is the takeaway's: the table's order never was one.
    only = [{"number": counter["order"]["number"], "state": "PREPARING"}]
    assert (await board_ws.next_data("b"))["pickupBoard"] == only
    await board_ws.close()
    assert (await public.data("{ pickupBoard { number state } }"))["pickupBoard"] == only
