"""In-process GraphQL: the handler role's checks and errors, the same on every call."""

from __future__ import annotations

import gc
from typing import Any

import pytest

from backend.embedded import Backend
from backend.inprocess import InProcessGraphQL
from backend.settings import MAX_QUERY_TOKENS
from handlers.sdk import GraphQLFailure
from handlers.validate_order import MENU_QUERY


@pytest.fixture
def graphql(backend: Backend) -> InProcessGraphQL:
    assert backend.services is not None
    return InProcessGraphQL(backend.schema, backend.services)


def run(
    backend: Backend, graphql: InProcessGraphQL, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    return backend.call(graphql(query, variables))


def error(backend: Backend, graphql: InProcessGraphQL, query: str) -> dict[str, Any]:
    """The one error of ``query``; asked twice, so the second answer comes from the cache."""
    answers = []
    for _ in range(2):
        with pytest.raises(GraphQLFailure) as caught:
            run(backend, graphql, query)
        (found,) = caught.value.errors
        answers.append(found)
    assert answers[0] == answers[1]
    return answers[0]


def test_a_query_runs_with_its_variables(backend: Backend, graphql: InProcessGraphQL) -> None:
    menu = run(backend, graphql, "{ menu { id available } }")["menu"]
    assert {"id": "margherita", "available": True} in menu
    query = "query Q($id: ID!) { order(id: $id) { id } }"
    missing = "00000000-0000-0000-0000-000000000000"
    assert run(backend, graphql, query, {"id": missing}) == {"order": None}


def test_a_staff_only_field_is_refused_and_changes_nothing(
    backend: Backend, graphql: InProcessGraphQL
) -> None:
    refused = error(backend, graphql, 'mutation { pauseHandler(name: "validate_order") { name } }')
    assert refused["extensions"]["code"] == "FORBIDDEN"
    assert "pauseHandler" in refused["message"]
    handlers = run(backend, graphql, "{ handlers { name paused } }")["handlers"]
    assert {"name": "validate_order", "paused": False} in handlers


def test_a_resolver_error_keeps_its_contract_code(
    backend: Backend, graphql: InProcessGraphQL
) -> None:
    missing = error(
        backend,
        graphql,
        'mutation { markInKitchen(orderId: "00000000-0000-0000-0000-000000000000",'
        ' idempotencyKey: "k") { status } }',
    )
    assert (missing["extensions"]["code"], missing["path"]) == ("NOT_FOUND", ["markInKitchen"])


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("{ menu { id ", "BAD_USER_INPUT"),
        ("{ menu { price } }", "BAD_USER_INPUT"),
        ("query Q($id: ID!) { order(id: $id) { id } }", "BAD_USER_INPUT"),  # $id not given
        (
            'mutation { a: markValidated(orderId: "x", idempotencyKey: "k") { status } '
            'b: markValidated(orderId: "y", idempotencyKey: "k") { status } }',
            "BAD_USER_INPUT",
        ),
        ("subscription { orderChanges { seq } }", "BAD_USER_INPUT"),
        ("{ menu { " + "id " * MAX_QUERY_TOKENS + "} }", "LIMIT_EXCEEDED"),
    ],
    ids=["syntax", "unknown field", "missing variable", "two mutations", "subscription", "long"],
)
def test_a_request_that_cannot_run_gets_a_code(
    backend: Backend, graphql: InProcessGraphQL, query: str, code: str
) -> None:
    assert error(backend, graphql, query)["extensions"]["code"] == code


def test_an_operation_leaves_nothing_for_the_garbage_collector(
    backend: Backend, graphql: InProcessGraphQL
) -> None:
    """What an operation touched (its executor, context, loaders, collected fields) is
    freed when it ends, not left in a reference cycle: collecting those stalled the
    backend for up to 100 ms under load."""
    query = "query Q($ids: [ID!]!) { menu(ids: $ids) { id name priceCents available } }"
    variables = {"ids": ["margherita", "cola"]}
    run(backend, graphql, query, variables)  # parsed and validated once, kept

    async def garbage_of_five_operations() -> list[object]:
        gc.collect()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            for _ in range(5):
                await graphql(query, variables)
            gc.collect()
            return list(gc.garbage)
        finally:
            gc.set_debug(0)
            gc.garbage.clear()

    left = backend.call(garbage_of_five_operations())
    operation_parts = [o for o in left if type(o).__module__.startswith(("graphql", "backend"))]
    assert not operation_parts, sorted({type(o).__qualname__ for o in operation_parts})


def test_the_validation_menu_query_answers_without_waiting_for_the_loop(
    backend: Backend, graphql: InProcessGraphQL
) -> None:
    """The validate handler's menu query, modifier groups included, answers in the turn
    it was asked: a loader's batch waited two turns of a busy loop, ~8 ms of every
    order's way to the kitchen at a rush (bench/RESULTS.md)."""
    variables = {"ids": ["burger", "cola"]}
    run(backend, graphql, MENU_QUERY, variables)  # parsed and validated once, kept

    async def in_one_step() -> dict[str, Any]:
        operation = graphql(MENU_QUERY, variables)
        try:
            operation.send(None)
        except StopIteration as answered:
            result: dict[str, Any] = answered.value
            return result
        operation.close()
        raise AssertionError("the menu query waited for the loop")

    burger, cola = backend.call(in_one_step())["menu"]
    groups = [[m["id"] for m in group["modifiers"]] for group in burger["modifierGroups"]]
    assert ["burger-medium", "burger-well-done"] in groups
    assert cola["modifierGroups"] == []
