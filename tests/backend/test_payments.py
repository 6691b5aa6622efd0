"""Payments: one per order, of its total, recorded with the move to PAID."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend import orders, payments
from backend.database import Database
from backend.errors import BadUserInput, InvalidTransition
from backend.events import events_of_order
from backend.payments import PaymentMethod
from backend.states import OrderAction, OrderStatus
from tests.backend.pipeline_store import handler_key, move, open_db, place, rows


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    async with open_db(db_path) as database:
        yield database


async def record(db: Database, order: orders.Order, amount: int, key: str) -> orders.Order:
    return await db.write(
        lambda tx: payments.record_payment(
            tx, order.id, amount, PaymentMethod.CARD, "ch_1", handler_key(key)
        )
    )


async def test_a_payment_moves_the_order_to_paid_once_per_key(db: Database) -> None:
    order = await place(db, ("margherita", 2))
    await move(db, order.id, OrderAction.VALIDATE)
    first = await record(db, order, 2400, "k")
    again = await record(db, order, 2400, "k")
    assert first.status is OrderStatus.PAID
    assert again == first
    assert rows(db, "SELECT order_id, amount_cents, method, reference FROM payments") == [
        (order.id, 2400, "CARD", "ch_1")
    ]
    paid = (await db.read(lambda conn: events_of_order(conn, order.id)))[-1]
    assert paid.type == "order_paid"
    assert paid.payload["payment"]["amountCents"] == 2400
    found = await db.read(lambda conn: payments.payment_of(conn, order.id))
    assert found is not None and found.method is PaymentMethod.CARD


async def test_an_amount_other_than_the_total_is_refused_and_changes_nothing(
    db: Database,
) -> None:
    order = await place(db, ("margherita", 2))
    await move(db, order.id, OrderAction.VALIDATE)
    with pytest.raises(BadUserInput, match="not the total") as caught:
        await record(db, order, 100, "k")
    assert caught.value.field == "amountCents"
    assert rows(db, "SELECT count(*) FROM payments") == [(0,)]
    assert rows(db, "SELECT status FROM orders") == [("VALIDATED",)]


async def test_only_a_validated_order_can_be_paid(db: Database) -> None:
    order = await place(db, ("margherita", 1))
    with pytest.raises(InvalidTransition, match="PLACED"):
        await record(db, order, 1200, "k1")
    await move(db, order.id, OrderAction.VALIDATE)
    await record(db, order, 1200, "k1")
    with pytest.raises(InvalidTransition, match="PAID"):
        await record(db, order, 1200, "k2")  # another key: a second payment
    assert rows(db, "SELECT count(*) FROM payments") == [(1,)]
