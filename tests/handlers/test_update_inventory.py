"""update_inventory: stock is taken once per paid order; an item that runs out is unavailable."""

from __future__ import annotations

from dataclasses import replace

import pytest

from backend.states import OrderAction, OrderStatus
from handlers.sdk import PermanentError
from tests.handlers.harness import Kitchen


def stock(kitchen: Kitchen, *ids: str) -> list[tuple[str, int | None, int]]:
    marks = ", ".join("?" for _ in ids)
    return kitchen.rows(
        f"SELECT id, stock, available FROM menu_items WHERE id IN ({marks}) ORDER BY id", ids
    )


def test_stock_is_taken_and_an_item_that_runs_out_becomes_unavailable(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(("burrata", 20), ("tiramisu", 2), ("margherita", 3))
    kitchen.handle(order_id, "order_paid", "update_inventory")
    assert stock(kitchen, "burrata", "margherita", "tiramisu") == [
        ("burrata", 0, 0),
        ("margherita", None, 1),
        ("tiramisu", 28, 1),
    ]
    changed = kitchen.rows(
        "SELECT json_extract(payload, '$.menuItem.id'), json_extract(payload, '$.menuItem.stock')"
        " FROM events WHERE type = 'menu_item_changed'"
    )
    assert changed == [("burrata", 0)]


def test_a_repeated_delivery_takes_stock_once(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(("tiramisu", 2))
    for attempt in (1, 2, 3):
        kitchen.handle(order_id, "order_paid", "update_inventory", attempt=attempt)
    assert stock(kitchen, "tiramisu") == [("tiramisu", 28, 1)]


def test_a_late_delivery_after_the_order_moved_on_still_takes_stock_once(
    kitchen: Kitchen,
) -> None:
    order_id = kitchen.paid(("tiramisu", 5))
    kitchen.staff(order_id, OrderAction.MARK_READY)
    kitchen.staff(order_id, OrderAction.COMPLETE)
    kitchen.handle(order_id, "order_paid", "update_inventory")
    kitchen.handle(order_id, "order_paid", "update_inventory", attempt=2)
    assert stock(kitchen, "tiramisu") == [("tiramisu", 25, 1)]
    assert kitchen.order(order_id).status is OrderStatus.COMPLETED


def test_an_order_that_does_not_exist_is_a_permanent_error(kitchen: Kitchen) -> None:
    paid = kitchen.event(kitchen.paid(("tiramisu", 1)), "order_paid")
    missing = replace(paid, order_id="00000000-0000-0000-0000-000000000000")
    with pytest.raises(PermanentError, match="there is no order"):
        kitchen.deliver(missing, "update_inventory")
    assert stock(kitchen, "tiramisu") == [("tiramisu", 30, 1)]


def test_an_order_not_yet_paid_takes_no_stock(kitchen: Kitchen) -> None:
    paid = kitchen.event(kitchen.paid(("tiramisu", 1)), "order_paid")
    unpaid = replace(paid, order_id=kitchen.place(("tiramisu", 4)))
    kitchen.deliver(unpaid, "update_inventory")
    assert stock(kitchen, "tiramisu") == [("tiramisu", 30, 1)]
