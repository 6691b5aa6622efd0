"""Inventory: a paid order takes stock once per line; what runs out becomes unavailable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend import inventory
from backend.database import Database
from backend.errors import InvalidTransition
from backend.inventory import StockLevel
from tests.backend.pipeline_store import handler_key, open_db, paid, place, rows


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    async with open_db(db_path) as database:
        yield database


async def apply(db: Database, order_id: str, key: str) -> list[StockLevel]:
    return await db.write(lambda tx: inventory.apply_order(tx, order_id, handler_key(key)))


async def test_a_paid_order_takes_its_stock_once(db: Database) -> None:
    order = await paid(db, ("tiramisu", 2), ("margherita", 1), ("tiramisu", 1))
    levels = await apply(db, order.id, "k1")
    assert levels == [
        StockLevel("tiramisu", "Tiramisu", 27, True),
        StockLevel("margherita", "Margherita", None, True),
    ]
    assert await apply(db, order.id, "k2") == levels  # another key: nothing more is taken
    assert rows(db, "SELECT line, menu_item_id, taken FROM stock_movements ORDER BY line") == [
        (0, "tiramisu", 2),
        (1, "margherita", 0),
        (2, "tiramisu", 1),
    ]


async def test_a_used_key_returns_the_first_levels(db: Database) -> None:
    first = await paid(db, ("tiramisu", 2))
    levels = await apply(db, first.id, "k1")
    second = await paid(db, ("tiramisu", 3))
    await apply(db, second.id, "k2")
    assert await apply(db, first.id, "k1") == levels
    assert rows(db, "SELECT stock FROM menu_items WHERE id = 'tiramisu'") == [(25,)]


async def test_running_out_makes_the_item_unavailable_with_an_event(db: Database) -> None:
    order = await paid(db, ("burrata", 15))
    more = await paid(db, ("burrata", 10))  # accepted while 20 were left: takes what is left
    await apply(db, order.id, "k1")
    assert await apply(db, more.id, "k2") == [
        StockLevel("burrata", "Burrata with peaches", 0, False)
    ]
    taken = dict(rows(db, "SELECT order_id, taken FROM stock_movements"))
    assert taken == {order.id: 15, more.id: 5}
    assert rows(
        db,
        "SELECT json_extract(payload, '$.menuItem.available') FROM events"
        " WHERE type = 'menu_item_changed'",
    ) == [(0,)]


async def test_an_unpaid_order_takes_no_stock(db: Database) -> None:
    order = await place(db, ("tiramisu", 1))
    with pytest.raises(InvalidTransition, match="no payment"):
        await apply(db, order.id, "k")
    assert rows(db, "SELECT count(*) FROM stock_movements") == [(0,)]
