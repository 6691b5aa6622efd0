"""Kitchen stations: which station makes each menu category, and a station's bump.

A category maps to at most one :class:`~backend.states.Station`; an order's line is
routed to its category's station when the order is placed and keeps it (moving a
category sends the orders placed afterwards elsewhere, never a ticket being cooked).
A station bumps its part of a ticket by striking all of that ticket's lines of the
station at once; the order's status is the expo's to move.
"""

from __future__ import annotations

from dataclasses import replace

from backend.database import Tx
from backend.errors import BadUserInput, InvalidTransition
from backend.idempotency import Codec, IdempotencyKey, once
from backend.menu import MenuItem, item_from_row, record_change
from backend.orders import IN_KITCHENS_HANDS, Order, require_order
from backend.outbox import emit
from backend.sql_blocks import SQL
from backend.states import Station
from handlers.sdk import EventType, OrderStationPayload

SET_CATEGORY_STATION = "setCategoryStation"


def _items_of(tx: Tx, category: str) -> list[MenuItem]:
    rows = tx.conn.execute(SQL.menu_items_of_category, {"category": category})
    return [item_from_row(row) for row in rows]


def _categories(tx: Tx) -> list[str]:
    seen: dict[str, None] = {}
    for row in tx.conn.execute(SQL.list_menu):
        seen.setdefault(row["category"], None)
    return list(seen)


def _set(tx: Tx, category: str, station: Station | None) -> list[MenuItem]:
    items = _items_of(tx, category)
    if not items:
        known = ", ".join(_categories(tx)) or "none yet"
        raise BadUserInput(
            f"there is no menu category {category!r}; the menu's categories are: {known}",
            field="category",
        )
    if items[0].station is station:
        return items  # already so: nothing written, so a repeated request is harmless
    if station is None:
        tx.execute(SQL.delete_category_station, {"category": category})
    else:
        tx.execute(SQL.put_category_station, {"category": category, "station": station.value})
    # Each item of the category changed: every reader of menu_item_changed (the Menu
    # tab of each terminal, the live menu, webhooks) sees the new station.
    return [record_change(tx, replace(item, station=station)) for item in items]


# The items as they were right after the change, stored for an idempotency key.
ITEMS = Codec[list[MenuItem]](
    dump=lambda items: {"menuItems": [item.snapshot() for item in items]},
    load=lambda stored: [MenuItem.from_snapshot(item) for item in stored["menuItems"]],
)


def set_category_station(
    tx: Tx, category: str, station: Station | None, key: IdempotencyKey | None
) -> list[MenuItem]:
    """Make ``category`` at ``station`` (None: at no station); the category's items.

    A real change writes ``menu_item_changed`` for each item of the category."""
    return once(
        tx,
        SET_CATEGORY_STATION,
        key,
        lambda: _set(tx, category, station),
        ITEMS,
        request={"category": category, "station": station},
    )


def set_station_done(tx: Tx, order_id: str, station: Station, done: bool) -> Order:
    """Strike every line of ``station`` on the order through (or take the strokes back),
    writing ``order_station_done`` / ``order_station_undone`` with the lines that changed.
    Lines already so change nothing; when none changes, no event is written."""
    order = require_order(tx.conn, order_id)
    own = [index for index, line in enumerate(order.items) if line.station is station]
    if not own:
        stations = sorted({line.station.value for line in order.items if line.station})
        where = ", ".join(stations) if stations else "no station"
        raise BadUserInput(
            f"order #{order.number} has no {station.value} lines (its lines are made at "
            f"{where}); bump it from one of those stations",
            field="station",
        )
    if order.status not in IN_KITCHENS_HANDS:
        raise InvalidTransition(
            f"order #{order.number} is {order.status.value}: a station bumps its lines only "
            "while the order is PAID or IN_KITCHEN"
        )
    changing = [index for index in own if order.items[index].done is not done]
    if not changing:
        return order
    items = list(order.items)
    for index in changing:
        items[index] = replace(items[index], done=done)
    changed = replace(order, items=tuple(items), updated_at=tx.now)
    tx.execute(
        SQL.set_station_done, {"order_id": order.id, "station": station.value, "done": int(done)}
    )
    # updated_at moves so that the orderChanges feed and its readers see a new version.
    tx.execute(
        SQL.update_order_status,
        {
            "id": order.id,
            "status": changed.status.value,
            "updated_at": changed.updated_at.isoformat(),
        },
    )
    event_type = EventType.ORDER_STATION_DONE if done else EventType.ORDER_STATION_UNDONE
    payload: OrderStationPayload = {
        "order": changed.snapshot(),
        "station": station.value,
        "lines": changing,
    }
    emit(tx, event_type, payload, order_id=order.id)
    return changed
