"""Inventory: a paid order takes its items' stock, once; what runs out becomes unavailable."""

from __future__ import annotations

from dataclasses import dataclass

from backend import menu, orders, payments
from backend.database import Tx
from backend.errors import InvalidTransition
from backend.idempotency import Codec, IdempotencyKey, once
from backend.menu import item_from_row
from backend.sql_blocks import SQL

APPLY_INVENTORY = "applyInventory"


@dataclass(frozen=True, slots=True)
class StockLevel:
    menu_item_id: str
    name: str
    stock: int | None  # None: this item's stock is not counted
    available: bool


STOCK_LEVELS = Codec[list[StockLevel]](
    dump=lambda levels: {"items": [[s.menu_item_id, s.name, s.stock, s.available] for s in levels]},
    load=lambda stored: [StockLevel(*item) for item in stored["items"]],
)


def apply_order(tx: Tx, order_id: str, idempotency_key: IdempotencyKey) -> list[StockLevel]:
    """Take a paid order's quantities off stock, once per order line.

    An item whose stock reaches 0 is marked unavailable (``menu_item_changed``). A
    line wanting more than is left takes what is left: the order was accepted while
    the item was available. Returns the stock of the order's items.
    """

    def apply() -> list[StockLevel]:
        order = orders.require_order(tx.conn, order_id)
        if payments.payment_of(tx.conn, order_id) is None:
            raise InvalidTransition(
                f"order #{order.number} is {order.status.value} and has no payment; "
                "stock is taken once it is paid"
            )
        if not tx.scalar(SQL.count_stock_movements, {"order_id": order_id}):
            for line_number, line in enumerate(order.items):
                taken = _take(tx, line.menu_item_id, line.quantity)
                tx.execute(
                    SQL.insert_stock_movement,
                    {
                        "order_id": order_id,
                        "line": line_number,
                        "menu_item_id": line.menu_item_id,
                        "taken": taken,
                        "created_at": tx.now.isoformat(),
                    },
                )
        ids = list(dict.fromkeys(line.menu_item_id for line in order.items))
        items = menu.items_by_id(tx.conn, ids)
        return [
            StockLevel(item.id, item.name, item.stock, item.available)
            for item in (items[item_id] for item_id in ids)
        ]

    return once(
        tx, APPLY_INVENTORY, idempotency_key, apply, STOCK_LEVELS, request={"orderId": order_id}
    )


def _take(tx: Tx, menu_item_id: str, quantity: int) -> int:
    """Take up to ``quantity`` of an item's counted stock; how much was taken."""
    row = tx.one(SQL.get_menu_item, {"id": menu_item_id})
    assert row is not None, f"order line names a missing menu item {menu_item_id}"
    item = item_from_row(row)
    if item.stock is None:
        return 0
    taken = min(item.stock, quantity)
    tx.execute(SQL.set_menu_item_stock, {"id": item.id, "stock": item.stock - taken})
    if taken and item.stock == taken:
        # Only the take that empties it: an item staff made available again at 0
        # (restocked, not yet counted) stays available.
        menu.set_available(tx, item.id, False)
    return taken
