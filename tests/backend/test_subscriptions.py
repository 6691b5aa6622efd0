"""Subscriptions over a real WebSocket: resume from a cursor, catch up under load, one order."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.embedded import Backend
from tests.conftest import running
from tests.graphql_client import GraphQLHTTP, GraphQLWS

ORDER_CHANGES = """
subscription Changes($after: Int) {
  orderChanges(afterSeq: $after) { seq type order { id number status } }
}
"""
EVENT_LOG = """
subscription Log($after: String) {
  eventLog(after: $after) { cursor event { seq type orderId deliveries { handler status } } }
}
"""


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    """The restaurant's handlers subscribe but are paused: only these tests' changes flow."""
    with running(db_path) as server:
        assert server.runner is not None
        for definition in server.registry:
            server.call(server.runner.set_paused(definition.name, True))
        yield server


async def changes(ws: GraphQLWS, op_id: str, count: int) -> list[dict[str, Any]]:
    return [(await ws.next_data(op_id))["orderChanges"] for _ in range(count)]


async def test_resume_from_cursor_gets_exactly_the_missed_changes_then_live(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("a", ORDER_CHANGES, {"after": 0})
    seen = [(await public.place())["order"]["number"] for _ in range(2)]
    first = await changes(ws, "a", 2)
    assert [c["order"]["number"] for c in first] == seen
    cursor = first[-1]["seq"]
    await ws.close()

    missed = [(await public.place())["order"]["number"] for _ in range(3)]
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("b", ORDER_CHANGES, {"after": cursor})
    resumed = await changes(ws, "b", 3)
    assert [c["order"]["number"] for c in resumed] == missed
    assert all(c["type"] == "order_placed" for c in resumed)
    assert [c["seq"] for c in resumed] == sorted(c["seq"] for c in resumed)
    assert resumed[0]["seq"] > cursor

    live = await public.place()
    (after_live,) = await changes(ws, "b", 1)  # the next message is the live one: no duplicate
    assert after_live["order"]["id"] == live["order"]["id"]
    await ws.close()


async def test_catch_up_while_orders_are_placed_has_no_gap_and_no_duplicate(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    before = await asyncio.gather(*(public.place() for _ in range(40)))
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("c", ORDER_CHANGES, {"after": 0})
    during = asyncio.gather(*(public.place() for _ in range(40)))
    received = await changes(ws, "c", 80)
    placed = [*before, *(await during)]
    seqs = [change["seq"] for change in received]
    assert seqs == sorted(set(seqs))
    assert {change["order"]["id"] for change in received} == {p["order"]["id"] for p in placed}
    await ws.close()


async def test_live_subscription_starts_now_and_sees_staff_transitions(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    old = await public.place()
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("d", ORDER_CHANGES)
    cancelled = await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "out of dough") { status } }',
        {"id": old["order"]["id"]},
    )
    assert cancelled["cancelOrder"]["status"] == "CANCELLED"
    (change,) = await changes(ws, "d", 1)
    assert (change["type"], change["order"]["status"]) == ("order_cancelled", "CANCELLED")
    await ws.close()


async def test_event_log_resumes_from_its_cursor(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("e", EVENT_LOG, {"after": "0"})
    await public.place()
    entry = (await ws.next_data("e"))["eventLog"]
    assert entry["event"]["type"] == "order_placed"
    assert entry["event"]["deliveries"] == [{"handler": "validate_order", "status": "PENDING"}]
    await ws.close()

    await staff.data(
        'mutation { setMenuItemAvailable(menuItemId: "cola", available: false) { available } }'
    )
    missed = await public.place()
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("f", EVENT_LOG, {"after": entry["cursor"]})
    resumed = [(await ws.next_data("f"))["eventLog"] for _ in range(2)]
    assert [r["event"]["type"] for r in resumed] == ["menu_item_changed", "order_placed"]
    assert resumed[1]["event"]["orderId"] == missed["order"]["id"]
    assert int(resumed[0]["cursor"]) < int(resumed[1]["cursor"])
    await ws.close()


async def test_customer_follows_their_order_current_state_first(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    placed = await public.place(("tiramisu", 2))
    ws = await GraphQLWS.connect(staff.url, placed["accessToken"])
    query = "subscription($id: ID!) { order(id: $id) { number status totalCents } }"
    await ws.subscribe("g", query, {"id": placed["order"]["id"]})
    current = (await ws.next_data("g"))["order"]
    assert current == {"number": placed["order"]["number"], "status": "PLACED", "totalCents": 1580}
    await public.place()  # another order's change must not reach this subscription
    await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "closing early") { status } }',
        {"id": placed["order"]["id"]},
    )
    assert (await ws.next_data("g"))["order"]["status"] == "CANCELLED"
    await ws.close()


async def test_event_log_can_follow_only_some_event_types(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    query = 'subscription { eventLog(types: ["menu_item_changed"]) { event { type payload } } }'
    await ws.subscribe("m", query)
    await public.place()  # an order event: not for this subscription
    await staff.data(
        'mutation { setMenuItemAvailable(menuItemId: "cola", available: false) { available } }'
    )
    entry = (await ws.next_data("m"))["eventLog"]["event"]
    assert entry["type"] == "menu_item_changed"
    assert entry["payload"]["menuItem"]["id"] == "cola"
    await ws.close()


async def test_a_customer_subscription_that_ends_leaves_no_watch_behind(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    placed = await public.place(("tiramisu", 1))
    ws = await GraphQLWS.connect(staff.url, placed["accessToken"])
    query = "subscription($id: ID!) { order(id: $id) { status } }"
    await ws.subscribe("w", query, {"id": placed["order"]["id"]})
    assert (await ws.next_data("w"))["order"]["status"] == "PLACED"
    notifier = backend.notifier
    assert notifier is not None
    assert placed["order"]["id"] in notifier._order_watchers
    await ws.close()
    for _ in range(200):
        if not notifier._order_watchers:
            break
        await asyncio.sleep(0.01)
    assert notifier._order_watchers == {}
