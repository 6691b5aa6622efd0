"""A database with the seed menu, and orders taken to a given step, for the pipeline's modules."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from backend import menu, orders, payments
from backend.auth import HANDLER
from backend.database import Database
from backend.idempotency import IdempotencyKey
from backend.settings import resource_path
from backend.states import Channel, Fulfillment, OrderAction

PHONE = "+44 20 7946 0002"


def handler_key(text: str) -> IdempotencyKey:
    """``text`` as the key of a handler's delivery: the pipeline's steps are theirs."""
    return IdempotencyKey.of(HANDLER, text)


@asynccontextmanager
async def open_db(path: Path) -> AsyncIterator[Database]:
    database = Database(path, subscribers={})
    await database.open()
    await database.write(lambda tx: menu.seed(tx, resource_path("menu.json")))
    try:
        yield database
    finally:
        await database.close()


async def place(
    db: Database,
    *lines: tuple[str, int],
    fulfillment: Fulfillment = Fulfillment.DELIVERY,
    phone: str | None = PHONE,
) -> orders.Order:
    request = orders.OrderRequest(
        lines=tuple(orders.LineRequest(item, quantity) for item, quantity in lines),
        channel=Channel.PHONE,
        fulfillment=fulfillment,
        phone=phone,
        address="2 Pass Lane" if fulfillment is Fulfillment.DELIVERY else None,
    )
    return await db.write(lambda tx: orders.place_order(tx, request))


async def move(db: Database, order_id: str, *actions: OrderAction) -> orders.Order:
    order = None
    for action in actions:
        order = await db.write(lambda tx, a=action: orders.transition(tx, order_id, a))  # type: ignore[misc]
    assert order is not None
    return order


async def paid(db: Database, *lines: tuple[str, int], **options: Any) -> orders.Order:
    """A new order, validated and paid by card."""
    order = await place(db, *lines, **options)
    await move(db, order.id, OrderAction.VALIDATE)
    return await db.write(
        lambda tx: payments.record_payment(
            tx,
            order.id,
            order.total_cents,
            payments.PaymentMethod.CARD,
            "ch_test",
            handler_key(f"pay-{order.id}"),
        )
    )


def rows(db: Database, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db.path) as conn:
        return conn.execute(sql, params).fetchall()
