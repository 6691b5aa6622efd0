"""Loyalty: points per phone number, once per COMPLETED order."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend import loyalty, orders
from backend.database import Database
from backend.errors import BadUserInput, InvalidTransition
from backend.states import Fulfillment, OrderAction
from tests.backend.pipeline_store import handler_key, move, open_db, place, rows

TO_COMPLETED = (
    OrderAction.VALIDATE,
    OrderAction.RECORD_PAYMENT,
    OrderAction.MARK_READY,
    OrderAction.COMPLETE,
)


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    async with open_db(db_path) as database:
        yield database


async def completed(db: Database, phone: str | None, quantity: int = 1) -> orders.Order:
    order = await place(db, ("margherita", quantity), fulfillment=Fulfillment.TAKEAWAY, phone=phone)
    return await move(db, order.id, *TO_COMPLETED)


async def award(db: Database, order_id: str, key: str) -> loyalty.Award:
    return await db.write(lambda tx: loyalty.award(tx, order_id, handler_key(key)))


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("+44 20 7946 0000", "+442079460000"),
        ("+44 (20) 7946-0000", "+442079460000"),
        ("020 7946 0000", "02079460000"),
        (" +1.555.0100 ", "+15550100"),
    ],
)
def test_phone_numbers_are_normalised(written: str, normalised: str) -> None:
    assert loyalty.normalise_phone(written) == normalised


async def test_points_are_awarded_once_per_order_and_add_up_per_phone(db: Database) -> None:
    first = await completed(db, "+44 20 7946 0000", quantity=2)
    second = await completed(db, "+44 (20) 7946-0000")
    assert await award(db, first.id, "k1") == loyalty.Award(first.id, "+442079460000", 24, 24)
    assert await award(db, first.id, "k1") == loyalty.Award(first.id, "+442079460000", 24, 24)
    again = await award(db, first.id, "k2")  # another key: no new points
    assert (again.points, again.balance) == (24, 24)
    assert (await award(db, second.id, "k3")).balance == 36
    assert await db.read(lambda conn: loyalty.balance(conn, "+44 20 7946 0000")) == 36
    assert rows(db, "SELECT count(*) FROM loyalty_awards") == [(2,)]


async def test_only_completed_orders_with_a_phone_number_earn_points(db: Database) -> None:
    placed = await place(db, ("margherita", 1))
    with pytest.raises(InvalidTransition, match="once it is COMPLETED"):
        await award(db, placed.id, "k1")
    anonymous = await completed(db, None)
    with pytest.raises(BadUserInput, match="no phone number"):
        await award(db, anonymous.id, "k2")
    assert rows(db, "SELECT count(*) FROM loyalty_accounts") == [(0,)]
