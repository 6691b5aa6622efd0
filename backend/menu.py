"""The menu: items, prices in integer cents, availability, and the seed menu."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from backend.database import Tx
from backend.errors import BadUserInput, NotFound
from backend.outbox import emit
from backend.sql_blocks import SQL
from backend.states import Station
from handlers.sdk import EventType, MenuItemChangedPayload, MenuItemSnapshot


@dataclass(frozen=True, slots=True)
class MenuItem:
    id: str
    name: str
    category: str
    price_cents: int
    available: bool
    stock: int | None
    station: Station | None = None  # its category's (None: no station chosen)

    def snapshot(self) -> MenuItemSnapshot:
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "priceCents": self.price_cents,
            "available": self.available,
            "stock": self.stock,
            "station": None if self.station is None else self.station.value,
        }


def item_from_row(row: sqlite3.Row) -> MenuItem:
    return MenuItem(
        id=row["id"],
        name=row["name"],
        category=row["category"],
        price_cents=row["price_cents"],
        available=bool(row["available"]),
        stock=row["stock"],
        station=None if row["station"] is None else Station(row["station"]),
    )


def list_menu(conn: sqlite3.Connection) -> list[MenuItem]:
    return [item_from_row(row) for row in conn.execute(SQL.list_menu)]


def items_by_id(conn: sqlite3.Connection, ids: list[str]) -> dict[str, MenuItem]:
    rows = conn.execute(SQL.menu_items_by_ids, {"ids": json.dumps(ids)})
    return {row["id"]: item_from_row(row) for row in rows}


def require_item(tx: Tx, menu_item_id: str) -> MenuItem:
    row = tx.one(SQL.get_menu_item, {"id": menu_item_id})
    if row is None:
        raise NotFound(
            f"there is no menu item with id {menu_item_id!r}; query `menu` for the ids",
            field="menuItemId",
        )
    return item_from_row(row)


def set_available(tx: Tx, menu_item_id: str, available: bool) -> MenuItem:
    """Mark an item (un)available; a real change writes ``menu_item_changed``."""
    item = require_item(tx, menu_item_id)
    if item.available == available:
        return item
    tx.execute(SQL.set_menu_item_available, {"id": menu_item_id, "available": int(available)})
    return record_change(tx, replace(item, available=available))


def set_stock(tx: Tx, menu_item_id: str, stock: int | None) -> MenuItem:
    """Count an item's stock from ``stock`` on (None: stop counting it); a real change
    writes ``menu_item_changed``. Availability is left to staff: a count is not a
    promise that the kitchen can make the item now."""
    if stock is not None and stock < 0:
        raise BadUserInput(
            f"stock must be 0 or more (it was {stock}); send null to stop counting the item",
            field="stock",
        )
    item = require_item(tx, menu_item_id)
    if item.stock == stock:
        return item
    tx.execute(SQL.set_menu_item_stock, {"id": menu_item_id, "stock": stock})
    return record_change(tx, replace(item, stock=stock))


def record_change(tx: Tx, item: MenuItem) -> MenuItem:
    payload: MenuItemChangedPayload = {"menuItem": item.snapshot()}
    emit(tx, EventType.MENU_ITEM_CHANGED, payload)
    return item


def seed_rows(path: Path) -> list[dict[str, Any]]:
    """The ``insert_menu_item`` parameters of a seed menu file (categories with items)."""
    rows: list[dict[str, Any]] = []
    for category in json.loads(path.read_text(encoding="utf-8")):
        for entry in category["items"]:
            rows.append(
                {
                    "id": entry["id"],
                    "name": entry["name"],
                    "category": category["category"],
                    "price_cents": entry["priceCents"],
                    "available": 1,
                    "stock": entry.get("stock"),
                    "position": len(rows) + 1,
                }
            )
    return rows


def seed_stations(path: Path) -> list[dict[str, str]]:
    """The ``put_category_station`` parameters of a seed menu file: each category that
    names its station."""
    return [
        {"category": category["category"], "station": Station(category["station"]).value}
        for category in json.loads(path.read_text(encoding="utf-8"))
        if category.get("station") is not None
    ]


def seed(tx: Tx, path: Path) -> int:
    """Load the seed menu, with its categories' stations, into an empty database; how
    many items."""
    if tx.scalar(SQL.count_menu_items):
        return 0
    rows = seed_rows(path)
    tx.conn.executemany(SQL.insert_menu_item, rows)
    tx.conn.executemany(SQL.put_category_station, seed_stations(path))
    return len(rows)
