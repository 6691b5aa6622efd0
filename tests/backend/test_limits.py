"""The document limits cost time linear in the document, and a request that holds the
loop past its budget is refused with LIMIT_EXCEEDED (backend/api/limits.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from graphql import parse

from backend._strawberry import core_schema
from backend.api.limits import LoopBudget, measure, metered
from backend.api.schema import MeteredExecutor, build_schema
from backend.embedded import Backend
from backend.settings import MAX_DOCUMENT_CHARS, MAX_QUERY_DEPTH, MAX_QUERY_FIELDS
from tests.backend._api import refusal, without_handlers
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import PLACE_ORDER, GraphQLHTTP, order_input

LIMIT = {"code": "LIMIT_EXCEEDED"}


def fragment_bomb(levels: int) -> str:
    """The issue's document: each fragment spreads the next one twice."""
    fragments = " ".join(
        f"fragment F{n} on Query {{ ...F{n + 1} ...F{n + 1} }}" for n in range(levels)
    )
    return f"query {{ ...F0 }} {fragments} fragment F{levels} on Query {{ menu {{ id }} }}"


def node_count(query: str) -> int:
    """Selections in the document: what a linear measure may walk a bounded number of times."""
    return query.count("{") + query.count("...") + query.count(" id ")


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    yield from without_handlers(db_path)


# -- linear in the document --------------------------------------------------------------


@pytest.mark.parametrize("levels", [4, 16, 40, 400])
def test_measuring_a_fragment_bomb_walks_each_selection_a_bounded_number_of_times(
    levels: int,
) -> None:
    query = fragment_bomb(levels)
    cost = measure(parse(query))
    [(_, operation)] = cost.operations
    assert operation.fields >= min(2**levels * 2, 10**9)  # what it would expand to
    assert operation.depth == 1
    # Each selection is walked once and each spread resolved once: 4 levels or 400,
    # the work per selection is the same (the old validators did 2^levels).
    assert cost.steps <= 2 * node_count(query)


def test_measuring_follows_fragments_through_depth_aliases_and_inline_fragments() -> None:
    query = """
    query Deep { a: menu { ...Item } ... on Query { b: menu { id } } }
    fragment Item on MenuItem { id n: name ...More }
    fragment More on MenuItem { p: priceCents ... on MenuItem { available } }
    """
    [(operation, cost)] = measure(parse(query)).operations
    assert operation.name is not None and operation.name.value == "Deep"
    # a, Item's id and n, More's p and available, b and its id
    assert (cost.depth, cost.aliases, cost.fields) == (1, 4, 7)


def test_a_cycle_of_fragments_ends_the_measure() -> None:
    cost = measure(
        parse(
            "{ ...A } fragment A on Query { menu { id } ...B } "
            "fragment B on Query { ...A menu { name } }"
        )
    )
    [(_, operation)] = cost.operations
    assert operation.fields >= 2


def test_a_long_chain_of_fragments_is_measured_without_recursion() -> None:
    chain = " ".join(f"fragment F{n} on Query {{ ...F{n + 1} }}" for n in range(3000))
    query = f"{{ ...F0 }} {chain} fragment F3000 on Query {{ menu {{ id }} }}"
    [(_, cost)] = measure(parse(query)).operations
    assert (cost.depth, cost.fields) == (1, 2)


# -- over HTTP ------------------------------------------------------------------------------


async def test_a_fragment_bomb_is_refused(staff: GraphQLHTTP, public: GraphQLHTTP) -> None:
    error = await public.error(fragment_bomb(40))
    assert error["extensions"] == LIMIT
    assert "fragments expanded" in error["message"]
    assert f"at most {MAX_QUERY_FIELDS}" in error["message"]


async def test_a_cycle_of_fragments_is_a_bad_document(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    query = "{ ...A } fragment A on Query { menu { id } ...B } fragment B on Query { ...A }"
    assert await refusal(staff, public, query) == {"code": "BAD_USER_INPUT"}


async def test_depth_through_fragments_counts_as_written_out(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    # Each fragment nests one level more; no path through the schema is that deep, so
    # the fields are unknown as well, and the limit is reported first.
    levels = MAX_QUERY_DEPTH + 1
    query = "{ ...N0 } " + " ".join(
        f"fragment N{n} on Query {{ a {{ ...N{n + 1} }} }}" for n in range(levels)
    )
    query += f" fragment N{levels} on Query {{ a }}"
    extensions = await refusal(staff, public, query)
    assert extensions == LIMIT
    error = await public.error(query)
    assert f"{levels + 1} levels deep" in error["message"]


async def test_a_chain_of_spreads_on_one_type_is_not_deeper(public: GraphQLHTTP) -> None:
    levels = 3 * MAX_QUERY_DEPTH
    query = "{ menu { ...D0 } } " + " ".join(
        f"fragment D{n} on MenuItem {{ id ...D{n + 1} }}" for n in range(levels)
    )
    query += f" fragment D{levels} on MenuItem {{ name }}"
    assert await public.data(query)


# -- the loop budget ---------------------------------------------------------------------


@pytest.fixture
async def spent(db_path: Path) -> AsyncIterator[tuple[GraphQLHTTP, GraphQLHTTP]]:
    """Staff and public clients of a backend whose requests have no loop time at all."""
    with running(db_path, loop_budget_seconds=0.0) as server:
        async with httpx.AsyncClient(timeout=10.0) as client:
            yield (
                GraphQLHTTP(client, server.url, STAFF_TOKEN),
                GraphQLHTTP(client, server.url, None),
            )


async def test_a_query_past_its_budget_gets_the_refusal_alone(
    spent: tuple[GraphQLHTTP, GraphQLHTTP],
) -> None:
    _, public = spent
    body = await public.run("{ menu { id name } other: menu { id } }")
    assert body["data"] is None
    [error] = body["errors"]
    assert error["extensions"] == LIMIT
    assert "while resolving its fields" in error["message"]


async def test_validation_past_its_budget_is_stopped(
    spent: tuple[GraphQLHTTP, GraphQLHTTP],
) -> None:
    _, public = spent
    # Same-named fields cost graphql-core's overlap rule a comparison per pair.
    error = await public.error("{ menu { " + "id " * 200 + "} }")
    assert error["extensions"] == LIMIT
    assert "while validating the document" in error["message"]


async def test_a_mutation_is_not_refused_after_it_is_done(
    spent: tuple[GraphQLHTTP, GraphQLHTTP],
) -> None:
    staff, _ = spent
    body = await staff.run(PLACE_ORDER, {"input": order_input()})
    assert body.get("errors") is None, body
    assert body["data"]["placeOrder"]["order"]["id"]


def test_each_event_of_a_subscription_has_a_budget_of_its_own() -> None:
    schema = build_schema(loop_budget_seconds=0.5)
    with metered(LoopBudget(0.5)) as budget:
        executor = MeteredExecutor.build(
            core_schema(schema), parse("subscription { orderChanges { seq } }")
        )
    assert isinstance(executor, MeteredExecutor)
    assert executor.budget is budget
    budget.spent = 0.5  # the operation's own budget is spent...
    event = executor.build_per_event_executor({})
    assert isinstance(event, MeteredExecutor)
    assert event.budget is not None and event.budget is not budget
    assert (event.budget.spent, event.budget.seconds) == (0.0, 0.5)  # ...not the event's


def test_a_mutation_is_not_metered() -> None:
    schema = build_schema()
    with metered(LoopBudget(0.5)):
        executor = MeteredExecutor.build(
            core_schema(schema), parse('mutation { retryDead(handler: "x") }')
        )
    assert isinstance(executor, MeteredExecutor)
    assert executor.budget is None


async def test_a_document_over_the_size_limit_is_refused_before_parsing(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    query = "{ menu { id } }\n# " + "x" * MAX_DOCUMENT_CHARS
    assert await refusal(staff, public, query) == LIMIT
    error = await public.error(query)
    assert f"more than the {MAX_DOCUMENT_CHARS:,} allowed" in error["message"]
    # Just under it, the same document is served.
    assert await public.data(query[: MAX_DOCUMENT_CHARS - 1])
