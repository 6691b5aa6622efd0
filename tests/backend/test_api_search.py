"""The event log's search over the whole history, over the real API (migration 0004)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.embedded import Backend
from backend.registry import Registry
from handlers.sdk import Context, Event, HandlerDefinition, PermanentError
from tests.backend._api import refusal
from tests.conftest import running
from tests.graphql_client import GraphQLHTTP

JAMMED: set[str] = set()  # order ids the printer fails on


async def printer(event: Event, ctx: Context) -> None:
    if event.order_id in JAMMED:
        raise PermanentError(f"paper jam in tray 3 for order {event.order_id}")


REGISTRY = Registry(
    [HandlerDefinition("printer", ("order_placed", "order_cancelled"), printer, max_attempts=1)]
)
SEARCH = """
query($search: String, $first: Int! = 100, $after: Int, $before: Int, $type: String,
      $handler: String, $status: DeliveryStatus) {
  events(search: $search, first: $first, afterSeq: $after, beforeSeq: $before, type: $type,
         handler: $handler, deliveryStatus: $status) { seq type orderId }
}
"""
EVENTS_OF = "query($id: ID!) { order(id: $id) { number events { seq type } } }"


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    JAMMED.clear()
    with running(db_path, REGISTRY) as server:
        yield server


async def found(staff: GraphQLHTTP, search: str | None, **arguments: Any) -> list[int]:
    data = await staff.data(SEARCH, {"search": search, **arguments})
    return [e["seq"] for e in data["events"]]


async def place(staff: GraphQLHTTP, name: str) -> tuple[str, int, list[int]]:
    """An order placed for ``name``: its id, number and event seqs once the printer ran."""
    order_id = (await staff.place(customerName=name))["order"]["id"]
    deadline = time.monotonic() + 10
    while True:
        data = await staff.data(
            "query($id: ID!) { order(id: $id) { number events { seq deliveries { status } } } }",
            {"id": order_id},
        )
        order = data["order"]
        statuses = [d["status"] for e in order["events"] for d in e["deliveries"]]
        if all(s in ("SUCCEEDED", "DEAD") for s in statuses):
            return order_id, order["number"], [e["seq"] for e in order["events"]]
        assert time.monotonic() < deadline, order
        await asyncio.sleep(0.01)


async def test_a_search_finds_the_customer_the_order_number_and_the_type(
    staff: GraphQLHTTP,
) -> None:
    zoe_id, zoe_number, zoe_seqs = await place(staff, "Zoë Quartermaine")
    bob_id, bob_number, bob_seqs = await place(staff, "Bob Stone")
    cancelled = await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "oven on fire") '
        "{ events { seq } } }",
        {"id": bob_id},
    )
    cancel_seq = cancelled["cancelOrder"]["events"][-1]["seq"]

    # Oldest first, as events() pages without beforeSeq.
    assert await found(staff, "quarter") == zoe_seqs  # a word's beginning
    assert await found(staff, "ZOE") == zoe_seqs  # case and accents aside
    assert await found(staff, "zoë quartermaine") == zoe_seqs  # every word
    assert await found(staff, "zoe stone") == []
    assert await found(staff, f"zoe #{zoe_number}") == zoe_seqs
    assert await found(staff, f"zoe #{bob_number}") == []
    for number in (f"#{zoe_number}", str(zoe_number)):
        assert await found(staff, number) == zoe_seqs
    assert cancel_seq in await found(staff, f"#{bob_number}")
    assert await found(staff, "fire") == [cancel_seq]  # the reason in its payload
    assert await found(staff, "cancelled") == [cancel_seq]  # its type, order_cancelled
    assert set(await found(staff, "margherita")) == {*zoe_seqs, *bob_seqs, cancel_seq}
    assert zoe_id != bob_id


async def test_a_search_finds_a_handler_and_its_error(staff: GraphQLHTTP) -> None:
    _, _, fine = await place(staff, "Ann Fine")
    jammed_id, _, jammed = await place(staff, "Carl Jam")
    assert await found(staff, "tray") == []
    JAMMED.add(jammed_id)
    await staff.data(
        'mutation($seq: Int!) { replayEvent(eventSeq: $seq, handlers: ["printer"]) { status } }',
        {"seq": jammed[0]},
    )
    deadline = time.monotonic() + 10
    while not await found(staff, None, handler="printer", status="DEAD"):
        assert time.monotonic() < deadline, "the jammed order's delivery never failed"
        await asyncio.sleep(0.01)
    assert await found(staff, "tray") == [jammed[0]]  # its error, kept by the attempt
    assert await found(staff, "paper jam") == [jammed[0]]
    assert await found(staff, "tray 3") == [jammed[0]]  # a number among words is a word
    assert await found(staff, "printer") == sorted({*fine, *jammed})


async def test_a_search_pages_both_ways(staff: GraphQLHTTP) -> None:
    seqs: list[int] = []
    for _ in range(5):
        seqs += (await place(staff, "Paige Turner"))[2]
    newest_first, before = [], 2**31 - 1
    while page := await found(staff, "paige", first=2, before=before):
        assert len(page) <= 2
        newest_first += page
        before = page[-1]
    assert newest_first == sorted(seqs, reverse=True)
    oldest_first, after = [], None
    while page := await found(staff, "turner", first=2, after=after):
        oldest_first += page
        after = page[-1]
    assert oldest_first == sorted(seqs)
    assert await found(staff, "paige", after=seqs[1], before=seqs[3]) == [seqs[2]]


async def test_a_search_combines_with_the_other_filters(staff: GraphQLHTTP) -> None:
    order_id, _, placed = await place(staff, "Fay Filter")
    cancelled = await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "changed mind") '
        "{ events { seq } } }",
        {"id": order_id},
    )
    cancel_seq = cancelled["cancelOrder"]["events"][-1]["seq"]
    assert await found(staff, "fay", type="order_cancelled") == [cancel_seq]
    assert await found(staff, "fay", type="order_placed") == placed
    deadline = time.monotonic() + 10
    while (done := await found(staff, "fay", handler="printer", status="SUCCEEDED")) != [
        *placed,
        cancel_seq,
    ]:  # the printer prints the cancellation too
        assert time.monotonic() < deadline, done
        await asyncio.sleep(0.01)
    assert await found(staff, "fay", status="DEAD") == []
    # The index is asked for the type's words too; the type itself is matched exactly.
    assert await found(staff, "fay", type="order") == []
    assert await found(staff, "fay", type="!!") == []
    assert await found(staff, "fay", handler="print") == []


async def test_search_syntax_is_taken_as_words(staff: GraphQLHTTP) -> None:
    _, _, seqs = await place(staff, 'Near Gil "AND" O\'Hara')
    for text in ('near"', "o'hara", "NEAR(gil)", "gil OR", "-gil", "*gil*", "gil AND", 'and"'):
        assert await found(staff, text) == seqs, text


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"search": ""}, "search"),
        ({"search": "   "}, "search"),
        ({"search": "# - *"}, "search"),
        ({"search": "x" * 201}, "search"),
        ({"search": " ".join("abcdefghijk")}, "search"),
        ({"search": "pizza", "first": 501}, "first"),
    ],
)
async def test_a_bad_search_is_refused(
    staff: GraphQLHTTP, variables: dict[str, Any], field: str
) -> None:
    extensions = await refusal(staff, staff, SEARCH, variables)
    assert extensions["code"] == "BAD_USER_INPUT"
    assert extensions["field"] == field


async def test_a_nul_in_a_search_or_a_filter_is_no_internal_error(staff: GraphQLHTTP) -> None:
    # A NUL ended FTS5's query string inside its quotes: "unterminated string", masked.
    await place(staff, "Nul")
    assert await found(staff, "Nu\x00l") == await found(staff, "Nul")
    answer = await staff.run(SEARCH, {"search": "Nul", "type": "order_\x00placed"})
    assert "errors" not in answer, answer
