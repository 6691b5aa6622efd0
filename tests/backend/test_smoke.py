from __future__ import annotations

from tests.graphql_client import GraphQLHTTP, GraphQLWS


async def test_place_order_and_follow_it_live(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("1", "subscription { orderChanges { seq type order { number status } } }")
    placed = await public.place(("margherita", 2))
    assert placed["order"]["totalCents"] == 2 * 1200
    change = await ws.next_data("1")
    assert change["orderChanges"]["type"] == "order_placed"
    assert change["orderChanges"]["order"]["number"] == placed["order"]["number"]
    await ws.close()
