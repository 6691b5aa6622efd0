"""Placing orders (server-side prices, idempotency keys) and moving them by the table."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from backend import menu, orders
from backend.auth import STAFF
from backend.database import Database
from backend.errors import BadUserInput, InvalidTransition, NotFound
from backend.events import events_of_order
from backend.idempotency import IdempotencyKey, fingerprint
from backend.settings import resource_path
from backend.states import Channel, Fulfillment, OrderAction, OrderStatus

# The store fans events out to whatever handlers subscribe; these tests name one.
SUBSCRIBERS = {"order_placed": ("validate_order",)}

REQUEST = orders.OrderRequest(
    lines=(orders.LineRequest("margherita", 2), orders.LineRequest("cola", 3, " no ice ")),
    channel=Channel.PHONE,
    fulfillment=Fulfillment.DELIVERY,
    customer_name="Ada",
    phone="+44 20 7946 0000",
    address="1 Pass Lane",
)


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = Database(db_path, subscribers=SUBSCRIBERS)
    await database.open()
    await database.write(lambda tx: menu.seed(tx, resource_path("menu.json")))
    yield database
    await database.close()


async def place(db: Database, key: str | None = None) -> orders.Order:
    scoped = IdempotencyKey.of(STAFF, key)
    return await db.write(lambda tx: orders.place_order(tx, REQUEST, scoped))


def rows(db: Database, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db.path) as conn:
        return conn.execute(sql).fetchall()


async def test_prices_and_total_come_from_the_menu(db: Database) -> None:
    order = await place(db)
    assert [(line.name, line.quantity, line.unit_price_cents) for line in order.items] == [
        ("Margherita", 2, 1200),
        ("Cola", 3, 350),
    ]
    assert order.total_cents == 2 * 1200 + 3 * 350
    assert order.items[1].notes == "no ice"
    assert order.status is OrderStatus.PLACED
    assert await db.read(lambda conn: orders.load_order(conn, order.id)) == order


async def test_order_numbers_count_up(db: Database) -> None:
    numbers = [(await place(db)).number for _ in range(3)]
    assert numbers == [1, 2, 3]


async def test_placing_writes_the_event_and_one_delivery_per_subscriber(db: Database) -> None:
    order = await place(db)
    events = await db.read(lambda conn: events_of_order(conn, order.id))
    assert [event.type for event in events] == ["order_placed"]
    assert orders.Order.from_snapshot(events[0].payload["order"]) == order
    assert rows(db, "SELECT handler, status, attempts FROM deliveries") == [
        ("validate_order", "PENDING", 0)
    ]


async def test_a_used_idempotency_key_returns_the_first_order_and_writes_nothing(
    db: Database,
) -> None:
    first = await place(db, key="phone-42")
    again = await place(db, key="phone-42")
    other = await place(db, key="phone-43")
    assert again == first
    assert other.id != first.id
    assert rows(db, "SELECT count(*) FROM orders") == [(2,)]
    assert rows(db, "SELECT count(*) FROM events") == [(2,)]
    stored = rows(db, "SELECT key, result FROM idempotency_keys ORDER BY key")
    assert [(key, json.loads(str(result))["orderId"]) for key, result in stored] == [
        ("phone-42", first.id),
        ("phone-43", other.id),
    ]


async def test_transitions_follow_the_table_and_write_their_event(db: Database) -> None:
    order = await place(db)
    for action in (
        OrderAction.VALIDATE,
        OrderAction.RECORD_PAYMENT,
        OrderAction.SEND_TO_KITCHEN,
        OrderAction.MARK_READY,
        OrderAction.DISPATCH,
        OrderAction.COMPLETE,
    ):
        moved = await db.write(lambda tx, a=action: orders.transition(tx, order.id, a))  # type: ignore[misc]
    assert moved.status is OrderStatus.COMPLETED
    events = await db.read(lambda conn: events_of_order(conn, order.id))
    assert [event.type for event in events] == [
        "order_placed",
        "order_validated",
        "order_paid",
        "order_in_kitchen",
        "order_ready",
        "order_out_for_delivery",
        "order_completed",
    ]
    assert [event.payload["order"]["status"] for event in events][-1] == "COMPLETED"


async def test_an_invalid_transition_changes_nothing(db: Database) -> None:
    order = await place(db)
    reason = {"reason": "customer called"}
    await db.write(lambda tx: orders.transition(tx, order.id, OrderAction.CANCEL, details=reason))
    with pytest.raises(InvalidTransition, match="CANCELLED"):
        await db.write(lambda tx: orders.transition(tx, order.id, OrderAction.MARK_READY))
    found = await db.read(lambda conn: orders.load_order(conn, order.id))
    assert found is not None and found.status is OrderStatus.CANCELLED
    assert rows(db, "SELECT type FROM events ORDER BY seq") == [
        ("order_placed",),
        ("order_cancelled",),
    ]


async def test_dispatch_is_only_for_delivery_orders(db: Database) -> None:
    takeaway = orders.OrderRequest(
        lines=(orders.LineRequest("fries", 1),),
        channel=Channel.COUNTER,
        fulfillment=Fulfillment.TAKEAWAY,
    )
    order = await db.write(lambda tx: orders.place_order(tx, takeaway))
    for action in (OrderAction.VALIDATE, OrderAction.RECORD_PAYMENT, OrderAction.MARK_READY):
        await db.write(lambda tx, a=action: orders.transition(tx, order.id, a))  # type: ignore[misc]
    with pytest.raises(InvalidTransition, match="TAKEAWAY"):
        await db.write(lambda tx: orders.transition(tx, order.id, OrderAction.DISPATCH))


async def test_unknown_order_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        await db.write(lambda tx: orders.transition(tx, "nope", OrderAction.MARK_READY))


async def test_unavailable_item_is_refused_with_its_field(db: Database) -> None:
    await db.write(lambda tx: menu.set_available(tx, "cola", False))
    with pytest.raises(BadUserInput) as caught:
        await place(db)
    assert caught.value.field == "items.1.menuItemId"
    assert rows(db, "SELECT count(*) FROM orders") == [(0,)]


async def test_availability_change_writes_one_event_per_real_change(db: Database) -> None:
    await db.write(lambda tx: menu.set_available(tx, "cola", False))
    await db.write(lambda tx: menu.set_available(tx, "cola", False))
    await db.write(lambda tx: menu.set_available(tx, "cola", True))
    assert rows(db, "SELECT type, json_extract(payload, '$.menuItem.available') FROM events") == [
        ("menu_item_changed", 0),
        ("menu_item_changed", 1),
    ]


async def test_a_key_used_before_modifiers_still_gives_its_order_back(db: Database) -> None:
    """A placeOrder key stored before schema 7 fingerprinted its lines without
    ``modifier_ids``; the same request after the upgrade must still match it."""
    first = await place(db)
    checked = orders.check_request(REQUEST)
    before = {
        "order": {
            **dataclasses.asdict(checked),
            "lines": [
                {
                    "menu_item_id": line.menu_item_id,
                    "quantity": line.quantity,
                    "notes": line.notes,
                    "allergens": line.allergens,
                }
                for line in checked.lines
            ],
        }
    }
    with sqlite3.connect(db.path) as conn:
        conn.execute(
            "INSERT INTO idempotency_keys (scope, operation, key, request, result, created_at) "
            "VALUES ('staff', 'placeOrder', 'old-key', ?, ?, '2026-01-01T00:00:00+00:00')",
            (fingerprint(before), json.dumps({"orderId": first.id})),
        )
    conn.close()
    again = await place(db, "old-key")
    assert again.id == first.id
    assert rows(db, "SELECT count(*) FROM orders") == [(1,)]
