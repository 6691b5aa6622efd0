"""The handler role's mutations over the API: refused to everyone else, clear about bad input."""

from __future__ import annotations

from typing import Any

import pytest

from backend.embedded import Backend
from backend.inprocess import InProcessGraphQL
from handlers.sdk import GraphQLFailure
from tests.graphql_client import GraphQLHTTP

ORDER = "00000000-0000-0000-0000-000000000000"
# Every handler-role mutation, with arguments valid enough to reach the resolver.
HANDLER_MUTATIONS = {
    "markValidated": 'markValidated(orderId: "%s", idempotencyKey: "k") { status }',
    "rejectOrder": 'rejectOrder(orderId: "%s", reason: "r", idempotencyKey: "k") { status }',
    "recordPayment": (
        'recordPayment(orderId: "%s", amountCents: 100, method: CARD, idempotencyKey: "k")'
        " { status }"
    ),
    "failPayment": 'failPayment(orderId: "%s", reason: "r", idempotencyKey: "k") { status }',
    "markInKitchen": 'markInKitchen(orderId: "%s", idempotencyKey: "k") { status }',
    "applyInventory": 'applyInventory(orderId: "%s", idempotencyKey: "k") { stock }',
    "dispatchOrder": 'dispatchOrder(orderId: "%s", idempotencyKey: "k") { driver { name } }',
    "awardLoyalty": 'awardLoyalty(orderId: "%s", idempotencyKey: "k") { points }',
}


def document(name: str, order_id: str = ORDER) -> str:
    return "mutation { " + HANDLER_MUTATIONS[name] % order_id + " }"


@pytest.mark.parametrize("name", sorted(HANDLER_MUTATIONS))
async def test_staff_may_not_call_handler_mutations(staff: GraphQLHTTP, name: str) -> None:
    error = await staff.error(document(name))
    assert error["extensions"]["code"] == "FORBIDDEN"
    assert name in error["message"]


@pytest.mark.parametrize("name", sorted(HANDLER_MUTATIONS))
async def test_the_public_may_not_call_handler_mutations(public: GraphQLHTTP, name: str) -> None:
    error = await public.error(document(name))
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_customer_may_not_move_their_own_order(
    public: GraphQLHTTP, staff: GraphQLHTTP
) -> None:
    placed = await public.place()
    customer = GraphQLHTTP(public.client, public.url, placed["accessToken"])
    error = await customer.error(document("markValidated", placed["order"]["id"]))
    assert error["extensions"]["code"] == "FORBIDDEN"


def failure(backend: Backend, query: str) -> dict[str, Any]:
    """The one error of ``query`` run as the handler role, on the backend's own loop."""
    assert backend.services is not None
    with pytest.raises(GraphQLFailure) as caught:
        backend.call(InProcessGraphQL(backend.schema, backend.services)(query))
    (error,) = caught.value.errors
    return error


async def test_the_handler_role_gets_clear_errors(backend: Backend, public: GraphQLHTTP) -> None:
    missing = failure(backend, document("markInKitchen"))
    assert (missing["extensions"]["code"], missing["extensions"]["field"]) == (
        "NOT_FOUND",
        "orderId",
    )
    order_id = (await public.place())["order"]["id"]
    empty_key = failure(
        backend,
        f'mutation {{ markValidated(orderId: "{order_id}", idempotencyKey: " ") {{ status }} }}',
    )
    assert empty_key["extensions"]["field"] == "idempotencyKey"
    assert "empty" in empty_key["message"]
    empty_reason = failure(
        backend,
        f'mutation {{ rejectOrder(orderId: "{order_id}", reason: "", idempotencyKey: "k")'
        " { status } }",
    )
    assert empty_reason["extensions"]["field"] == "reason"
