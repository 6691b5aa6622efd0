"""The menu: items, prices in integer cents, availability, stock, prep times, modifier
groups, and the seed menu."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from backend.database import Tx
from backend.errors import BadUserInput, NotFound
from backend.idempotency import Codec, IdempotencyKey, once
from backend.outbox import emit
from backend.settings import MAX_PREP_SECONDS, MIN_PREP_SECONDS
from backend.sql_blocks import SQL
from backend.states import Station
from handlers.sdk import EventType, MenuItemChangedPayload, MenuItemSnapshot

SET_PREP_TIME = "setMenuItemPrepTime"
# A seed entry without "prepSeconds" (a restaurant's own menu file) gets this.
DEFAULT_PREP_SECONDS = 10 * 60


@dataclass(frozen=True, slots=True)
class MenuItem:
    id: str
    name: str
    category: str
    price_cents: int
    available: bool
    stock: int | None
    prep_seconds: int  # how long the kitchen takes to make one
    station: Station | None = None  # its category's (None: no station chosen)

    def snapshot(self) -> MenuItemSnapshot:
        return {
            "id": self.id,
            "name": self.name,
            "category": self.category,
            "priceCents": self.price_cents,
            "available": self.available,
            "stock": self.stock,
            "prepSeconds": self.prep_seconds,
            "station": None if self.station is None else self.station.value,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> MenuItem:
        return cls(
            id=data["id"],
            name=data["name"],
            category=data["category"],
            price_cents=data["priceCents"],
            available=data["available"],
            stock=data["stock"],
            prep_seconds=data["prepSeconds"],
            station=None if data.get("station") is None else Station(data["station"]),
        )


@dataclass(frozen=True, slots=True)
class Modifier:
    """One choice of a group ("extra cheese"), and what it adds to the item's price."""

    id: str
    name: str
    price_cents: int


@dataclass(frozen=True, slots=True)
class ModifierGroup:
    """Choices of a menu item ("Extras"), of which a line takes ``min_choices`` to
    ``max_choices``: min 0 is optional, min 1 max 1 a required single choice."""

    id: str
    name: str
    min_choices: int
    max_choices: int
    modifiers: tuple[Modifier, ...]


def modifier_groups(
    conn: sqlite3.Connection, ids: Iterable[str] | None = None
) -> dict[str, tuple[ModifierGroup, ...]]:
    """The modifier groups of the items ``ids`` (None: of every item), by item id, in
    menu order; an item without groups is left out."""
    rows = conn.execute(
        SQL.modifiers_of_items, {"ids": None if ids is None else json.dumps(list(ids))}
    )
    groups: dict[str, list[ModifierGroup]] = {}
    for row in rows:
        item_groups = groups.setdefault(row["menu_item_id"], [])
        modifier = Modifier(row["id"], row["name"], row["price_cents"])
        if item_groups and item_groups[-1].id == row["group_id"]:
            last = item_groups[-1]
            item_groups[-1] = replace(last, modifiers=(*last.modifiers, modifier))
        else:
            item_groups.append(
                ModifierGroup(
                    row["group_id"],
                    row["group_name"],
                    row["min_choices"],
                    row["max_choices"],
                    (modifier,),
                )
            )
    return {item_id: tuple(found) for item_id, found in groups.items()}


def item_from_row(row: sqlite3.Row) -> MenuItem:
    return MenuItem(
        id=row["id"],
        name=row["name"],
        category=row["category"],
        price_cents=row["price_cents"],
        available=bool(row["available"]),
        stock=row["stock"],
        prep_seconds=row["prep_seconds"],
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


def check_prep_seconds(prep_seconds: int) -> int:
    """``prep_seconds`` if it is a prep time the menu can hold; else BAD_USER_INPUT."""
    if not MIN_PREP_SECONDS <= prep_seconds <= MAX_PREP_SECONDS:
        raise BadUserInput(
            f"prepSeconds {prep_seconds} is out of range; a prep time is {MIN_PREP_SECONDS} "
            f"to {MAX_PREP_SECONDS} seconds (2 hours)",
            field="prepSeconds",
        )
    return prep_seconds


# A menu item as a result stored for an idempotency key: the item as it was then.
ITEM_SNAPSHOT = Codec[MenuItem](
    dump=lambda item: {"menuItem": item.snapshot()},
    load=lambda stored: MenuItem.from_snapshot(stored["menuItem"]),
)


def set_prep_time(
    tx: Tx, menu_item_id: str, prep_seconds: int, idempotency_key: IdempotencyKey | None
) -> MenuItem:
    """Set how long the kitchen takes to make an item; a real change writes
    ``menu_item_changed``. Orders placed before keep the time they were placed with."""
    check_prep_seconds(prep_seconds)

    def change() -> MenuItem:
        item = require_item(tx, menu_item_id)
        if item.prep_seconds == prep_seconds:
            return item
        tx.execute(SQL.set_menu_item_prep, {"id": menu_item_id, "prep_seconds": prep_seconds})
        return record_change(tx, replace(item, prep_seconds=prep_seconds))

    return once(
        tx,
        SET_PREP_TIME,
        idempotency_key,
        change,
        ITEM_SNAPSHOT,
        request={"menuItemId": menu_item_id, "prepSeconds": prep_seconds},
    )


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
                    "prep_seconds": check_prep_seconds(
                        entry.get("prepSeconds", DEFAULT_PREP_SECONDS)
                    ),
                    "position": len(rows) + 1,
                }
            )
    return rows


def seed_modifier_rows(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``insert_modifier_group`` and ``insert_modifier`` parameters of a seed menu
    file (an item's ``modifierGroups``, each with its ``modifiers``)."""
    groups: list[dict[str, Any]] = []
    modifiers: list[dict[str, Any]] = []
    for category in json.loads(path.read_text(encoding="utf-8")):
        for entry in category["items"]:
            for position, group in enumerate(entry.get("modifierGroups", ()), start=1):
                groups.append(
                    {
                        "id": group["id"],
                        "menu_item_id": entry["id"],
                        "name": group["name"],
                        "min_choices": group["minChoices"],
                        "max_choices": group["maxChoices"],
                        "position": position,
                    }
                )
                modifiers.extend(
                    {
                        "id": modifier["id"],
                        "group_id": group["id"],
                        "name": modifier["name"],
                        "price_cents": modifier.get("priceCents", 0),
                        "position": number,
                    }
                    for number, modifier in enumerate(group["modifiers"], start=1)
                )
    return groups, modifiers


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
    many items.

    The seed's modifier groups go into a database that has none yet, also one made
    before there were modifiers (schema 8): its items that the seed names get their
    groups on its first start after the upgrade.
    """
    count = 0
    if not tx.scalar(SQL.count_menu_items):
        rows = seed_rows(path)
        tx.conn.executemany(SQL.insert_menu_item, rows)
        tx.conn.executemany(SQL.put_category_station, seed_stations(path))
        count = len(rows)
    if not tx.scalar(SQL.count_modifier_groups):
        groups, modifiers = seed_modifier_rows(path)
        present = set(items_by_id(tx.conn, [group["menu_item_id"] for group in groups]))
        groups = [group for group in groups if group["menu_item_id"] in present]
        kept = {group["id"] for group in groups}
        tx.conn.executemany(SQL.insert_modifier_group, groups)
        tx.conn.executemany(
            SQL.insert_modifier, [row for row in modifiers if row["group_id"] in kept]
        )
    return count
