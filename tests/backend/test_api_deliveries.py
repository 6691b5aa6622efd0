"""What staff do about deliveries, over the real API: retry, replay, pause, figures, paging."""

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
from tests.conftest import running
from tests.graphql_client import GraphQLHTTP, GraphQLWS

BROKEN: set[str] = set()  # order ids whose deliveries fail, until a test fixes the cause


async def flaky(event: Event, ctx: Context) -> None:
    if event.order_id in BROKEN:
        raise PermanentError(f"cannot print order {event.order_id}")


async def ordered_flaky(event: Event, ctx: Context) -> None:
    await flaky(event, ctx)


REGISTRY = Registry(
    [
        HandlerDefinition("printer", ("order_placed", "order_cancelled"), flaky, max_attempts=2),
        HandlerDefinition(
            "ledger", ("order_placed", "order_cancelled"), ordered_flaky, ordered=True
        ),
    ]
)
DELIVERIES = """
query($seq: Int!) { event(seq: $seq) { deliveries {
  handler status attempts heldBy lastError invocations { attempt outcome error traceback } } } }
"""
HANDLERS = "{ handlers { name events paused ordered pending succeeded dead lastError } }"


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    BROKEN.clear()
    with running(db_path, REGISTRY) as server:
        yield server


async def deliveries(staff: GraphQLHTTP, seq: int) -> dict[str, dict[str, Any]]:
    data = await staff.data(DELIVERIES, {"seq": seq})
    return {d["handler"]: d for d in data["event"]["deliveries"]}


async def until(staff: GraphQLHTTP, seq: int, handler: str, status: str) -> dict[str, Any]:
    """Wait until the delivery has ``status`` (a wait-for-condition on the API)."""
    deadline = time.monotonic() + 10
    while (found := (await deliveries(staff, seq))[handler])["status"] != status:
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.01)
    return found


async def place(staff: GraphQLHTTP) -> tuple[str, int]:
    placed = await staff.place(channel="COUNTER")
    order_id = placed["order"]["id"]
    events = await staff.data(
        "query($id: ID!) { order(id: $id) { events { seq } } }", {"id": order_id}
    )
    return order_id, events["order"]["events"][0]["seq"]


async def cancel(staff: GraphQLHTTP, order_id: str) -> int:
    data = await staff.data(
        'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "test") { events { seq } } }',
        {"id": order_id},
    )
    seq: int = data["cancelOrder"]["events"][-1]["seq"]
    return seq


async def test_dead_delivery_shows_its_attempts_and_retry_fixes_it(staff: GraphQLHTTP) -> None:
    order_id, seq = await place(staff)
    await until(staff, seq, "printer", "SUCCEEDED")
    BROKEN.add(order_id)
    await staff.data(
        'mutation($seq: Int!) { replayEvent(eventSeq: $seq, handlers: ["printer"]) { status } }',
        {"seq": seq},
    )
    dead = await until(staff, seq, "printer", "DEAD")
    failed = dead["invocations"][-1]
    assert failed["outcome"] == "FAILED"
    assert "PermanentError" in failed["traceback"] and "cannot print order" in failed["error"]
    BROKEN.discard(order_id)  # the cause is fixed
    retried = await staff.data(
        'mutation($seq: Int!) { retryDelivery(eventSeq: $seq, handler: "printer") { status } }',
        {"seq": seq},
    )
    assert retried["retryDelivery"]["status"] == "PENDING"
    done = await until(staff, seq, "printer", "SUCCEEDED")
    assert [i["outcome"] for i in done["invocations"]] == ["SUCCEEDED", "FAILED", "SUCCEEDED"]


async def test_retry_dead_and_handler_figures(staff: GraphQLHTTP) -> None:
    placed = [await place(staff) for _ in range(3)]
    for order_id, seq in placed:
        await until(staff, seq, "printer", "SUCCEEDED")
        BROKEN.add(order_id)
    replayed = await staff.data('mutation { retryDead(handler: "printer") }')
    assert replayed == {"retryDead": 0}
    for _, seq in placed:
        await staff.data(
            'mutation($s: Int!) { replayEvent(eventSeq: $s, handlers: ["printer"]) { status } }',
            {"s": seq},
        )
    for _, seq in placed:
        await until(staff, seq, "printer", "DEAD")
    figures = {h["name"]: h for h in (await staff.data(HANDLERS))["handlers"]}
    assert figures["printer"]["dead"] == 3
    assert figures["printer"]["events"] == ["order_placed", "order_cancelled"]
    assert "cannot print order" in figures["printer"]["lastError"]
    assert figures["ledger"]["ordered"] is True
    BROKEN.clear()
    assert await staff.data('mutation { retryDead(handler: "printer") }') == {"retryDead": 3}
    for _, seq in placed:
        await until(staff, seq, "printer", "SUCCEEDED")


async def test_pause_grows_pending_and_resume_drains(staff: GraphQLHTTP) -> None:
    paused = await staff.data('mutation { pauseHandler(name: "printer") { paused pending } }')
    assert paused["pauseHandler"] == {"paused": True, "pending": 0}
    seqs = [(await place(staff))[1] for _ in range(3)]
    figures = {h["name"]: h for h in (await staff.data(HANDLERS))["handlers"]}
    assert figures["printer"]["pending"] == 3
    assert figures["ledger"]["pending"] == 0 or figures["ledger"]["succeeded"] > 0
    resumed = await staff.data('mutation { resumeHandler(name: "printer") { paused } }')
    assert resumed["resumeHandler"] == {"paused": False}
    for seq in seqs:
        await until(staff, seq, "printer", "SUCCEEDED")


async def test_an_ordered_handler_shows_what_holds_a_delivery(staff: GraphQLHTTP) -> None:
    order_id, placed_seq = await place(staff)
    await until(staff, placed_seq, "ledger", "SUCCEEDED")
    BROKEN.add(order_id)
    await staff.data(
        'mutation($s: Int!) { replayEvent(eventSeq: $s, handlers: ["ledger"]) { status } }',
        {"s": placed_seq},
    )
    await until(staff, placed_seq, "ledger", "DEAD")
    cancelled_seq = await cancel(staff, order_id)
    held = (await deliveries(staff, cancelled_seq))["ledger"]
    assert (held["status"], held["heldBy"]) == ("PENDING", placed_seq)
    BROKEN.discard(order_id)
    await staff.data(
        'mutation($s: Int!) { retryDelivery(eventSeq: $s, handler: "ledger") { status } }',
        {"s": placed_seq},
    )
    done = await until(staff, cancelled_seq, "ledger", "SUCCEEDED")
    assert done["heldBy"] is None


async def test_runner_mutations_are_for_staff_only(staff: GraphQLHTTP, backend: Backend) -> None:
    placed = await staff.place()
    customer = GraphQLHTTP(staff.client, backend.url, placed["accessToken"])
    error = await customer.error('mutation { retryDead(handler: "printer") }')
    assert error["extensions"]["code"] == "FORBIDDEN"
    error = await staff.error('mutation { pauseHandler(name: "nobody") { paused } }')
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("NOT_FOUND", "handler")
    error = await staff.error("mutation { replayEvent(eventSeq: 999999) { status } }")
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_events_page_back_in_time(staff: GraphQLHTTP) -> None:
    seqs = [(await place(staff))[1] for _ in range(5)]
    newest = await staff.data(
        "query($b: Int!) { events(beforeSeq: $b, first: 2) { seq } }", {"b": 1_000_000}
    )
    page = [e["seq"] for e in newest["events"]]
    assert page == sorted(page, reverse=True) and page[0] >= seqs[-1]
    older = await staff.data(
        "query($b: Int!) { events(beforeSeq: $b, first: 100) { seq } }", {"b": page[-1]}
    )
    assert [e["seq"] for e in older["events"]] == sorted(
        (s for s in range(1, page[-1])), reverse=True
    )


async def test_delivery_changes_flow_through_the_event_log_and_handler_stats(
    staff: GraphQLHTTP,
) -> None:
    ws = await GraphQLWS.connect(staff.url, staff.token)
    await ws.subscribe("s", "subscription { handlerStats { name succeeded } }")
    first = {h["name"]: h["succeeded"] for h in (await ws.next_data("s"))["handlerStats"]}
    await ws.subscribe(
        "l", "subscription { eventLog { cursor event { seq deliveries { handler status } } } }"
    )
    _, seq = await place(staff)
    # The new event, then its delivery's progress: an entry each. An entry shows the
    # deliveries as they are when it is sent, so the first may already say SUCCEEDED.
    entries = 0
    statuses: list[str] = []
    while entries < 2 or "SUCCEEDED" not in statuses:
        message = await ws.receive()
        if message["id"] == "l":
            entry = message["payload"]["data"]["eventLog"]
            if entry["event"]["seq"] == seq:
                entries += 1
                statuses += [
                    d["status"] for d in entry["event"]["deliveries"] if d["handler"] == "printer"
                ]
    while True:
        message = await ws.receive()
        if message["id"] == "s":
            now = {h["name"]: h["succeeded"] for h in message["payload"]["data"]["handlerStats"]}
            if now["printer"] > first["printer"]:
                break
    await ws.close()
