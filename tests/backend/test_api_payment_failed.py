"""An order whose card was declined, over HTTP: staff charge it again (retryPayment) or
take cash (takeCash); each is guarded by the transition table and refuses bad input
with nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.embedded import Backend
from tests.backend._api import refusal, without_handlers
from tests.backend.test_event_payloads import FAIL, KITCHEN, PAY, VALIDATE, as_handler
from tests.graphql_client import GraphQLHTTP

RETRY = "mutation($id: ID!) { retryPayment(orderId: $id) { status } }"
TAKE_CASH = """
mutation($id: ID!, $cents: Int!, $key: String) {
  takeCash(orderId: $id, amountCents: $cents, idempotencyKey: $key) { status }
}
"""
EVENTS = "query($id: ID!) { order(id: $id) { events { type payload } } }"


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    yield from without_handlers(db_path)


async def declined(backend: Backend, staff: GraphQLHTTP) -> dict[str, Any]:
    """An order the pipeline validated and whose card was then declined."""
    order: dict[str, Any] = (await staff.place(("margherita", 2)))["order"]
    as_handler(backend, VALIDATE, id=order["id"])
    as_handler(backend, FAIL, id=order["id"])
    return order


async def events(staff: GraphQLHTTP, order_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = (await staff.data(EVENTS, {"id": order_id}))["order"]["events"]
    return found


async def test_charge_again_validates_the_order_again_with_its_event(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order = await declined(backend, staff)
    moved = await staff.data(RETRY, {"id": order["id"]})
    assert moved == {"retryPayment": {"status": "VALIDATED"}}
    types = [event["type"] for event in await events(staff, order["id"])]
    # order_validated again: charge_payment (subscribed to it) charges the card again.
    assert types == ["order_placed", "order_validated", "payment_failed", "order_validated"]
    # The pipeline goes on from there as the first time.
    as_handler(backend, PAY, id=order["id"], cents=order["totalCents"], key="second charge")
    assert (await staff.data("query($id: ID!) { order(id: $id) { status } }", order))["order"][
        "status"
    ] == "PAID"


async def test_take_cash_pays_the_order_and_sends_it_on_with_order_paid(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order = await declined(backend, staff)
    variables = {"id": order["id"], "cents": order["totalCents"], "key": "till-1"}
    assert await staff.data(TAKE_CASH, variables) == {"takeCash": {"status": "PAID"}}
    # The same key again (a double click): the same answer, paid once.
    assert await staff.data(TAKE_CASH, variables) == {"takeCash": {"status": "PAID"}}
    found = await events(staff, order["id"])
    assert [event["type"] for event in found].count("order_paid") == 1
    payment = found[-1]["payload"]["payment"]
    assert (found[-1]["type"], payment["method"], payment["amountCents"]) == (
        "order_paid",
        "CASH",
        order["totalCents"],
    )
    as_handler(backend, KITCHEN, id=order["id"])  # the kitchen takes it as any paid order


@pytest.mark.parametrize("status", ["PLACED", "VALIDATED", "PAID", "CANCELLED"])
async def test_both_are_refused_unless_the_payment_failed(
    backend: Backend, staff: GraphQLHTTP, status: str
) -> None:
    order = (await staff.place(("margherita", 1)))["order"]
    if status in ("VALIDATED", "PAID"):
        as_handler(backend, VALIDATE, id=order["id"])
    if status == "PAID":
        as_handler(backend, PAY, id=order["id"], cents=order["totalCents"])
    if status == "CANCELLED":
        await staff.data(
            'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "x") { id } }', order
        )
    retry = await refusal(staff, staff, RETRY, {"id": order["id"]})
    cash = await refusal(staff, staff, TAKE_CASH, {"id": order["id"], "cents": order["totalCents"]})
    assert retry["code"] == cash["code"] == "INVALID_TRANSITION"


async def test_take_cash_of_another_amount_is_bad_input(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order = await declined(backend, staff)
    for cents in (order["totalCents"] - 1, 0, -5):
        extensions = await refusal(staff, staff, TAKE_CASH, {"id": order["id"], "cents": cents})
        assert extensions == {"code": "BAD_USER_INPUT", "field": "amountCents"}


@pytest.mark.parametrize("query", [RETRY, TAKE_CASH], ids=["retryPayment", "takeCash"])
async def test_an_id_that_cannot_be_one_is_bad_input(
    backend: Backend, staff: GraphQLHTTP, query: str
) -> None:
    await declined(backend, staff)
    extensions = await refusal(staff, staff, query, {"id": "x" * 5000, "cents": 100})
    assert extensions["code"] == "BAD_USER_INPUT"
    missing = await refusal(staff, staff, query, {"id": "no-such-order", "cents": 100})
    assert missing["code"] == "NOT_FOUND"


async def test_take_cash_with_an_over_long_key_is_bad_input(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    order = await declined(backend, staff)
    variables = {"id": order["id"], "cents": order["totalCents"], "key": "k" * 5000}
    extensions = await refusal(staff, staff, TAKE_CASH, variables)
    assert extensions == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}
    assert "shorten it" in (await staff.error(TAKE_CASH, variables))["message"]


async def test_take_cash_with_a_key_used_for_another_order_is_bad_input(
    backend: Backend, staff: GraphQLHTTP
) -> None:
    first = await declined(backend, staff)
    await staff.data(TAKE_CASH, {"id": first["id"], "cents": first["totalCents"], "key": "till-1"})
    second = await declined(backend, staff)
    variables = {"id": second["id"], "cents": second["totalCents"], "key": "till-1"}
    extensions = await refusal(staff, staff, TAKE_CASH, variables)
    assert extensions == {"code": "BAD_USER_INPUT", "field": "idempotencyKey"}
    assert "send a new key" in (await staff.error(TAKE_CASH, variables))["message"]
    # The second order was not paid by the first's answer: it still waits for its payment.
    assert "order_paid" not in [event["type"] for event in await events(staff, second["id"])]
