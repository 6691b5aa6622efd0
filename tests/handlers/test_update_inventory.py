"""update_inventory: stock is taken once per paid order; an item that runs out is unavailable."""

from __future__ import annotations

from backend.status import OrderAction, OrderStatus
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
