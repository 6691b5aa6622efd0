"""Settling dead deliveries over the real API: resolve one, resolve or retry on a filter.

The deliveries are driven DEAD the way they die in production: a handler that raises
a permanent error for the orders a test breaks (tests/backend/test_api_deliveries.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.delivery_commands import MAX_BULK
from backend.embedded import Backend
from backend.inprocess import InProcessGraphQL
from handlers.sdk import GraphQLFailure
from tests.backend.test_api_deliveries import BROKEN, REGISTRY, deliveries, place, until
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import GraphQLHTTP

RESOLVE = """
mutation($seq: Int!, $handler: String!, $reason: String!) {
  resolveDelivery(eventSeq: $seq, handler: $handler, reason: $reason) {
    handler status resolution { reason resolvedBy resolvedAt }
  }
}
"""
RESOLVE_ALL = """
mutation($filter: DeliveryFilter!, $reason: String!) {
  resolveDeliveries(filter: $filter, reason: $reason)
}
"""
RETRY_ALL = "mutation($filter: DeliveryFilter!) { retryDeliveries(filter: $filter) }"
COUNT = "query($filter: DeliveryFilter!) { deadDeliveryCount(filter: $filter) }"
RESOLUTION = """
query($seq: Int!) { event(seq: $seq) { deliveries { handler status
  resolution { reason resolvedBy resolvedAt } } } }
"""
RESOLVED_EVENTS = '{ events(type: "delivery_resolved", first: 500) { seq type orderId payload } }'
FIGURES = "{ handlers { name dead resolved } }"


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    BROKEN.clear()
    with running(db_path, REGISTRY) as server:
        yield server


@pytest.fixture
async def staff(backend: Backend) -> AsyncIterator[GraphQLHTTP]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield GraphQLHTTP(client, backend.url, STAFF_TOKEN)


async def dead_order(staff: GraphQLHTTP, *handlers: str) -> tuple[str, int]:
    """An order whose order_placed delivery to each of ``handlers`` is DEAD."""
    order_id, seq = await place(staff)
    for handler in handlers:
        await until(staff, seq, handler, "SUCCEEDED")
    BROKEN.add(order_id)
    await staff.data(
        "mutation($s: Int!, $h: [String!]) { replayEvent(eventSeq: $s, handlers: $h) { status } }",
        {"s": seq, "h": list(handlers)},
    )
    for handler in handlers:
        await until(staff, seq, handler, "DEAD")
    return order_id, seq


async def figures(staff: GraphQLHTTP) -> dict[str, tuple[int, int]]:
    rows = (await staff.data(FIGURES))["handlers"]
    return {h["name"]: (h["dead"], h["resolved"]) for h in rows}


async def statuses(staff: GraphQLHTTP, seq: int) -> dict[str, str]:
    return {name: d["status"] for name, d in (await deliveries(staff, seq)).items()}


async def test_a_dead_delivery_is_resolved_with_who_and_why(staff: GraphQLHTTP) -> None:
    order_id, seq = await dead_order(staff, "printer")
    assert (await figures(staff))["printer"] == (1, 0)

    answer = await staff.data(
        RESOLVE, {"seq": seq, "handler": "printer", "reason": "  printed by hand  "}
    )
    resolved = answer["resolveDelivery"]
    assert (resolved["status"], resolved["resolution"]["reason"]) == (
        "RESOLVED",
        "printed by hand",
    )
    assert resolved["resolution"]["resolvedBy"] == "staff"
    event_read = (await staff.data(RESOLUTION, {"seq": seq}))["event"]
    read = {d["handler"]: d for d in event_read["deliveries"]}
    assert read["printer"]["resolution"] == resolved["resolution"]
    assert read["ledger"]["resolution"] is None  # SUCCEEDED: nothing to say
    (event,) = (await staff.data(RESOLVED_EVENTS))["events"]
    assert event["payload"] == {
        "eventSeq": seq,
        "handler": "printer",
        "reason": "printed by hand",
        "resolvedBy": "staff",
    }
    assert event["orderId"] is None
    # Counted apart from the dead ones; nothing runs it, nothing delivers the event.
    assert (await figures(staff))["printer"] == (0, 1)
    assert (await deliveries(staff, event["seq"])) == {}

    # Retry does not start from RESOLVED (nor does retryDead pick it up) ...
    error = await staff.error(
        'mutation($s: Int!) { retryDelivery(eventSeq: $s, handler: "printer") { status } }',
        {"s": seq},
    )
    assert error["extensions"]["code"] == "INVALID_TRANSITION" and "RESOLVED" in error["message"]
    assert await staff.data('mutation { retryDead(handler: "printer") }') == {"retryDead": 0}
    # ... replay does: a person may change their mind.
    BROKEN.discard(order_id)
    await staff.data(
        'mutation($s: Int!) { replayEvent(eventSeq: $s, handlers: ["printer"]) { status } }',
        {"s": seq},
    )
    again = await until(staff, seq, "printer", "SUCCEEDED")
    assert again["status"] == "SUCCEEDED"
    assert (await figures(staff))["printer"] == (0, 0)


async def test_a_resolution_names_the_terminal_it_came_from(staff: GraphQLHTTP) -> None:
    _, seq = await dead_order(staff, "printer")
    named = """
    mutation($seq: Int!, $terminal: String) {
      resolveDelivery(eventSeq: $seq, handler: "printer", reason: "x", terminal: $terminal) {
        status resolution { resolvedBy }
      }
    }
    """
    for bad in ("   ", "x" * 65, "bar\npc"):
        error = await staff.error(named, {"seq": seq, "terminal": bad})
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (
            "BAD_USER_INPUT",
            "terminal",
        )
    assert await statuses(staff, seq) == {"printer": "DEAD", "ledger": "SUCCEEDED"}

    resolved = (await staff.data(named, {"seq": seq, "terminal": " bar-pc "}))["resolveDelivery"]

    assert resolved == {"status": "RESOLVED", "resolution": {"resolvedBy": "staff at bar-pc"}}


async def test_refusals_say_why_and_change_nothing(staff: GraphQLHTTP) -> None:
    _, seq = await dead_order(staff, "printer")
    refused = [
        ({"seq": seq, "handler": "nobody", "reason": "x"}, "NOT_FOUND", "handler", "nobody"),
        ({"seq": 999_999, "handler": "printer", "reason": "x"}, "NOT_FOUND", "eventSeq", None),
        ({"seq": seq, "handler": "printer", "reason": "   "}, "BAD_USER_INPUT", "reason", "empty"),
        (
            {"seq": seq, "handler": "printer", "reason": "x" * 501},
            "BAD_USER_INPUT",
            "reason",
            "shorten it to 500",
        ),
        ({"seq": seq, "handler": "ledger", "reason": "x"}, "INVALID_TRANSITION", None, "SUCCEEDED"),
    ]
    for variables, code, field, words in refused:
        error = await staff.error(RESOLVE, variables)
        assert error["extensions"]["code"] == code, error
        assert error["extensions"].get("field") == field, error
        assert words is None or words in error["message"], error
    assert await statuses(staff, seq) == {"printer": "DEAD", "ledger": "SUCCEEDED"}
    assert (await staff.data(RESOLVED_EVENTS))["events"] == []
    assert (await figures(staff))["printer"] == (1, 0)


async def test_only_staff_may_resolve_or_act_on_a_filter(
    staff: GraphQLHTTP, backend: Backend
) -> None:
    order_id, seq = await dead_order(staff, "printer")
    placed = await staff.place()
    customer = GraphQLHTTP(staff.client, backend.url, placed["accessToken"])
    public = GraphQLHTTP(staff.client, backend.url, None)
    assert backend.services is not None
    as_handler = InProcessGraphQL(backend.schema, backend.services)
    operations: list[tuple[str, dict[str, Any]]] = [
        (RESOLVE, {"seq": seq, "handler": "printer", "reason": "x"}),
        (RESOLVE_ALL, {"filter": {}, "reason": "x"}),
        (RETRY_ALL, {"filter": {}}),
        (COUNT, {"filter": {}}),
    ]
    for query, variables in operations:
        assert (await customer.error(query, variables))["extensions"]["code"] == "FORBIDDEN"
        assert (await public.error(query, variables))["extensions"]["code"] == "UNAUTHENTICATED"
        with pytest.raises(GraphQLFailure) as refused:
            backend.call(as_handler(query, variables))
        assert refused.value.code == "FORBIDDEN"
    assert await statuses(staff, seq) == {"printer": "DEAD", "ledger": "SUCCEEDED"}
    assert order_id in BROKEN


async def test_bulk_acts_on_exactly_the_dead_deliveries_matching_the_filter(
    staff: GraphQLHTTP,
) -> None:
    first_id, first = await dead_order(staff, "printer", "ledger")
    second_id, second = await dead_order(staff, "printer")
    _, healthy = await place(staff)
    await until(staff, healthy, "printer", "SUCCEEDED")

    async def count(**wanted: str) -> int:
        return int((await staff.data(COUNT, {"filter": wanted}))["deadDeliveryCount"])

    assert await count() == 3
    assert await count(handler="printer") == 2
    assert await count(orderId=first_id) == 2
    assert await count(eventType="order_cancelled") == 0

    # Resolve: the printer's dead delivery of the first order only.
    one = {"handler": "printer", "orderId": first_id}
    assert await count(**one) == 1
    answer = await staff.data(RESOLVE_ALL, {"filter": one, "reason": "reprinted"})
    assert answer == {"resolveDeliveries": 1}
    assert await statuses(staff, first) == {"printer": "RESOLVED", "ledger": "DEAD"}
    assert await statuses(staff, second) == {"printer": "DEAD", "ledger": "SUCCEEDED"}
    events = (await staff.data(RESOLVED_EVENTS))["events"]
    assert [(e["payload"]["eventSeq"], e["payload"]["handler"]) for e in events] == [
        (first, "printer")
    ]
    # Retry on a filter: every dead order_placed delivery left (the first's ledger, the
    # second's printer), fixed this time; the resolved one stays as it is.
    BROKEN.clear()
    answer = await staff.data(RETRY_ALL, {"filter": {"eventType": "order_placed"}})
    assert answer == {"retryDeliveries": 2}
    await until(staff, first, "ledger", "SUCCEEDED")
    await until(staff, second, "printer", "SUCCEEDED")
    assert (await statuses(staff, first))["printer"] == "RESOLVED"
    assert await count() == 0
    assert await staff.data(RETRY_ALL, {"filter": {}}) == {"retryDeliveries": 0}
    assert second_id != first_id

    error = await staff.error(RESOLVE_ALL, {"filter": {"handler": "nobody"}, "reason": "x"})
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("NOT_FOUND", "handler")
    error = await staff.error(RESOLVE_ALL, {"filter": {}, "reason": ""})
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "reason",
    )


async def test_bulk_acts_only_on_the_dead_deliveries_the_search_finds(
    staff: GraphQLHTTP,
) -> None:
    """The event log's search narrows the bulk commands as it narrows the rows shown:
    "resolve every dead delivery whose error says X" never acts on the others."""
    first_id, first = await dead_order(staff, "printer")
    _, second = await dead_order(staff, "printer")
    # The handler's error names the order: "cannot print order <id>".
    one = {"search": f"cannot print {first_id}"}
    assert (await staff.data(COUNT, {"filter": one}))["deadDeliveryCount"] == 1
    both = {"search": "cannot print", "handler": "printer"}
    assert (await staff.data(COUNT, {"filter": both}))["deadDeliveryCount"] == 2

    answer = await staff.data(RESOLVE_ALL, {"filter": one, "reason": "reprinted"})

    assert answer == {"resolveDeliveries": 1}
    assert (await statuses(staff, first))["printer"] == "RESOLVED"
    assert (await statuses(staff, second))["printer"] == "DEAD"
    assert await staff.data(RETRY_ALL, {"filter": {"search": "nowhere to be found"}}) == {
        "retryDeliveries": 0
    }
    assert (await statuses(staff, second))["printer"] == "DEAD"
    for bad, words in (("!!!", "no letter or digit"), ("x" * 201, "at most 200")):
        error = await staff.error(RESOLVE_ALL, {"filter": {"search": bad}, "reason": "x"})
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (
            "BAD_USER_INPUT",
            "search",
        )
        assert words in error["message"]
    assert (await statuses(staff, second))["printer"] == "DEAD"


async def test_resolving_lets_an_ordered_handler_go_on_with_the_order(
    staff: GraphQLHTTP,
) -> None:
    order_id, placed_seq = await dead_order(staff, "ledger")
    cancelled = await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "gone") { id } }',
        {"id": order_id},
    )
    assert cancelled["cancelOrder"]["id"] == order_id
    events = await staff.data(
        "query($id: ID!) { order(id: $id) { events { seq type } } }", {"id": order_id}
    )
    (cancelled_seq,) = [
        e["seq"] for e in events["order"]["events"] if e["type"] == "order_cancelled"
    ]
    held = (await deliveries(staff, cancelled_seq))["ledger"]
    assert (held["status"], held["heldBy"]) == ("PENDING", placed_seq)
    BROKEN.discard(order_id)
    await staff.data(RESOLVE, {"seq": placed_seq, "handler": "ledger", "reason": "booked by hand"})
    done = await until(staff, cancelled_seq, "ledger", "SUCCEEDED")
    assert done["heldBy"] is None


def _bury(db_path: Path, how_many: int, order_id: str) -> None:
    """``how_many`` events of ``order_id`` whose printer delivery is DEAD: a state set up
    directly in the database, as a flood of failures would leave it."""
    with sqlite3.connect(db_path) as conn:
        (top,) = conn.execute("SELECT max(seq) FROM events").fetchone()
        conn.executemany(
            "INSERT INTO events (seq, id, type, order_id, payload, created_at) "
            "VALUES (?, ?, 'order_placed', ?, '{}', '2026-12-06T04:00:00+00:00')",
            [(top + n, f"buried-{order_id}-{n}", order_id) for n in range(1, how_many + 1)],
        )
        conn.executemany(
            "INSERT INTO deliveries (event_seq, handler, status, attempts, next_attempt_at) "
            "VALUES (?, 'printer', 'DEAD', 2, 0)",
            [(top + n,) for n in range(1, how_many + 1)],
        )


async def test_bulk_commands_are_capped_and_a_narrower_filter_works(
    staff: GraphQLHTTP, db_path: Path
) -> None:
    _, seq = await place(staff)
    await until(staff, seq, "printer", "SUCCEEDED")
    _bury(db_path, MAX_BULK, "flood")
    _bury(db_path, 1, "other")
    everything: dict[str, Any] = {"handler": "printer"}
    assert (await staff.data(COUNT, {"filter": everything}))["deadDeliveryCount"] == MAX_BULK + 1
    for query, variables in (
        (RESOLVE_ALL, {"filter": everything, "reason": "flood"}),
        (RETRY_ALL, {"filter": everything}),
    ):
        error = await staff.error(query, variables)
        assert (error["extensions"]["code"], error["extensions"]["field"]) == (
            "LIMIT_EXCEEDED",
            "filter",
        )
        assert "narrow the filter" in error["message"]
    assert (await figures(staff))["printer"] == (MAX_BULK + 1, 0)
    # Exactly the cap, in one call.
    flood = {"handler": "printer", "orderId": "flood"}
    answer = await staff.data(RESOLVE_ALL, {"filter": flood, "reason": "test orders"})
    assert answer == {"resolveDeliveries": MAX_BULK}
    assert (await figures(staff))["printer"] == (1, MAX_BULK)
