"""placeOrder without the staff token is limited per client address (docs/api.md, Limits)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from backend.embedded import Backend
from backend.rate_limit import RateLimiter
from backend.registry import Registry
from backend.settings import PUBLIC_ORDERS_PER_WINDOW
from tests.backend._api import unchanged
from tests.conftest import running
from tests.graphql_client import PLACE_ORDER, GraphQLHTTP, order_input


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    with running(
        db_path, Registry([]), public_orders_per_window=PUBLIC_ORDERS_PER_WINDOW
    ) as server:
        yield server


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_refuses_past_its_limit_and_says_when_to_retry() -> None:
    clock = Clock()
    limiter = RateLimiter(3, 60.0, clock)
    assert limiter.take("a") is None  # at 0 s
    clock.now += 10
    assert [limiter.take("a"), limiter.take("a")] == [None, None]  # at 10 s
    clock.now += 20
    assert limiter.take("a") == pytest.approx(30.0)  # the first leaves at 60 s
    assert limiter.take("b") is None  # another address has its own window
    clock.now += 30
    assert limiter.take("a") is None  # the first left the window
    assert limiter.take("a") == pytest.approx(10.0)  # the two at 10 s leave at 70 s


def test_addresses_quiet_for_a_window_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 10.0, clock)
    for n in range(100):
        limiter.take(f"10.0.0.{n}")
    clock.now += 10
    limiter.take("10.0.1.1")
    assert len(limiter._actions) == 1


async def test_the_public_is_refused_past_the_limit_with_a_retry_time(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    for _ in range(PUBLIC_ORDERS_PER_WINDOW):
        await public.place()
    async with unchanged(staff):
        error = await public.error(PLACE_ORDER, {"input": order_input()})
    extensions = error["extensions"]
    assert extensions["code"] == "LIMIT_EXCEEDED"
    assert 1 <= extensions["retryAfterSeconds"] <= 60
    assert f"try again in {extensions['retryAfterSeconds']} s" in error["message"]
    # A customer's token is no way around it; the staff are not limited.
    customer = GraphQLHTTP(public.client, public.url, (await staff.place())["accessToken"])
    assert (await customer.error(PLACE_ORDER, {"input": order_input()}))["extensions"][
        "code"
    ] == "LIMIT_EXCEEDED"
    await staff.place()


async def test_a_retry_of_a_placed_order_is_not_counted(
    staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    """The answer to the last order the limit allows is lost; the page sends it again
    with its key and must get that order, not LIMIT_EXCEEDED."""
    placed = [await public.place(key=f"key-{n}") for n in range(PUBLIC_ORDERS_PER_WINDOW)]
    async with unchanged(staff):
        for n, first in enumerate(placed):
            again = await public.place(key=f"key-{n}")
            assert again["order"]["id"] == first["order"]["id"]
            assert again["accessToken"] == first["accessToken"]
        # The replays took nothing from the window, and it is still full for new orders.
        error = await public.error(PLACE_ORDER, {"input": order_input(), "key": "key-new"})
    assert error["extensions"]["code"] == "LIMIT_EXCEEDED"


async def test_the_key_is_looked_up_on_the_loop_s_thread(
    backend: Backend, public: GraphQLHTTP
) -> None:
    """Every public placeOrder looks up whether its key was used: one row by key, read
    on the loop's thread (as Query.order), not a hop to a reader's thread, which waits
    for the GIL after each statement while a busy loop holds it."""
    hops: list[Any] = []
    read = backend.db.read

    async def counted(reader: Any) -> Any:
        hops.append(reader)
        return await read(reader)

    backend.db.read = counted  # type: ignore[method-assign]
    first = await public.place(key="key-1")
    again = await public.place(key="key-1")
    assert again["order"]["id"] == first["order"]["id"]
    assert hops == []


@pytest.fixture
def unlimited(db_path: Path) -> Iterator[Backend]:
    with running(db_path, public_orders_per_window=0) as server:
        yield server


async def test_no_limit_when_set_to_zero(unlimited: Backend) -> None:
    import httpx

    async with httpx.AsyncClient(timeout=10.0) as client:
        public = GraphQLHTTP(client, unlimited.url, None)
        for _ in range(PUBLIC_ORDERS_PER_WINDOW + 2):
            await public.place()
