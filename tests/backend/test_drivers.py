"""Drivers: a READY delivery order goes out with the least busy active driver."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend import drivers, orders
from backend.database import Database
from backend.errors import InvalidTransition, NotFound
from backend.states import Fulfillment, OrderAction, OrderStatus
from tests.backend.pipeline_store import handler_key, move, open_db, place, rows

TO_READY = (OrderAction.VALIDATE, OrderAction.RECORD_PAYMENT, OrderAction.MARK_READY)


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    async with open_db(db_path) as database:
        yield database


async def ready(db: Database, fulfillment: Fulfillment = Fulfillment.DELIVERY) -> orders.Order:
    order = await place(db, ("margherita", 1), fulfillment=fulfillment)
    return await move(db, order.id, *TO_READY)


async def dispatch(db: Database, order_id: str, key: str) -> drivers.Dispatch:
    return await db.write(lambda tx: drivers.dispatch(tx, order_id, handler_key(key)))


async def test_dispatch_sends_the_order_out_with_the_driver_in_its_event(db: Database) -> None:
    order = await ready(db)
    done = await dispatch(db, order.id, "k")
    assert done.order.status is OrderStatus.OUT_FOR_DELIVERY
    assert done.driver == drivers.Driver("driver-amara", "Amara Okafor", "+44 7700 900101")
    assert await dispatch(db, order.id, "k") == done
    assert await db.read(lambda conn: drivers.driver_of(conn, order.id)) == done.driver
    payload = rows(
        db,
        "SELECT json_extract(payload, '$.driver.id') FROM events WHERE type = ?",
        ("order_out_for_delivery",),
    )
    assert payload == [("driver-amara",)]


async def test_the_driver_with_fewest_orders_out_then_fewest_ever_is_chosen(db: Database) -> None:
    names = []
    first = await ready(db)
    names.append((await dispatch(db, first.id, "a")).driver.name)
    second = await ready(db)
    names.append((await dispatch(db, second.id, "b")).driver.name)
    await move(db, first.id, OrderAction.COMPLETE)
    least = await db.read(drivers.least_busy)
    assert least is not None
    names.append(least.name)
    assert names == ["Amara Okafor", "Bruno Costa", "Chen Wei"]


async def test_only_ready_delivery_orders_are_dispatched(db: Database) -> None:
    takeaway = await ready(db, Fulfillment.TAKEAWAY)
    with pytest.raises(InvalidTransition, match="TAKEAWAY"):
        await dispatch(db, takeaway.id, "k1")
    placed = await place(db, ("margherita", 1))
    with pytest.raises(InvalidTransition, match="PLACED"):
        await dispatch(db, placed.id, "k2")
    assert rows(db, "SELECT count(*) FROM driver_assignments") == [(0,)]


async def test_without_an_active_driver_dispatch_says_what_to_do(db: Database) -> None:
    order = await ready(db)
    with sqlite3.connect(db.path) as conn:
        conn.execute("UPDATE drivers SET active = 0")
    with pytest.raises(NotFound, match="add or activate one"):
        await dispatch(db, order.id, "k")
    assert rows(db, "SELECT status FROM orders") == [("READY",)]
