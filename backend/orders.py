"""Orders: placing them (prices from the menu), moving them by the status table, reading them."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from backend import phones
from backend.database import Tx
from backend.errors import BadUserInput, InvalidTransition, NotFound
from backend.idempotency import Codec, IdempotencyKey, once
from backend.ids import uuid7
from backend.menu import (
    DEFAULT_PREP_SECONDS,
    MenuItem,
    ModifierGroup,
    items_by_id,
    modifier_groups,
)
from backend.outbox import emit
from backend.settings import (
    MAX_LINE_MODIFIERS,
    MAX_ORDER_LINES,
    MAX_PAGE,
    MAX_QUANTITY,
    MAX_STRING_CHARS,
    MAX_TABLE,
    MIN_QUANTITY,
)
from backend.sql_blocks import SQL
from backend.states import (
    ORDER_TRANSITIONS,
    Allergen,
    Channel,
    Fulfillment,
    OrderAction,
    OrderStatus,
    Station,
    Transition,
)
from handlers.sdk import (
    EventType,
    LineModifierSnapshot,
    OrderItemPayload,
    OrderPlacedPayload,
    OrderSnapshot,
)

PLACE_ORDER = "placeOrder"


@dataclass(frozen=True, slots=True)
class LineModifier:
    """A modifier chosen for an order line, as the menu had it when the order was placed."""

    modifier_id: str
    name: str
    price_cents: int

    def snapshot(self) -> LineModifierSnapshot:
        return {"modifierId": self.modifier_id, "name": self.name, "priceCents": self.price_cents}


@dataclass(frozen=True, slots=True)
class OrderLine:
    menu_item_id: str
    name: str
    quantity: int
    unit_price_cents: int  # the item's price plus its modifiers'
    notes: str | None
    allergens: tuple[Allergen, ...] = ()
    done: bool = False  # struck through on the kitchen's ticket (markItemDone)
    # The item's prep time when the order was placed: a copy, like the price, so that
    # the ticket's target stays what it was when the kitchen got it.
    prep_seconds: int = DEFAULT_PREP_SECONDS
    modifiers: tuple[LineModifier, ...] = ()
    # Where it is made: its category's station when the order was placed (None: none).
    station: Station | None = None


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    number: int
    status: OrderStatus
    channel: Channel
    fulfillment: Fulfillment
    customer_name: str | None
    phone: str | None
    address: str | None
    notes: str | None
    items: tuple[OrderLine, ...]
    total_cents: int
    created_at: datetime
    updated_at: datetime
    table: int | None = None
    allergens: tuple[Allergen, ...] = ()

    def snapshot(self) -> OrderSnapshot:
        """The order as carried in its events' payloads (camelCase, like the API)."""
        return {
            "id": self.id,
            "number": self.number,
            "status": self.status.value,
            "channel": self.channel.value,
            "fulfillment": self.fulfillment.value,
            "customerName": self.customer_name,
            "phone": self.phone,
            "address": self.address,
            "notes": self.notes,
            "table": self.table,
            "allergens": [a.value for a in self.allergens],
            "items": [
                {
                    "menuItemId": line.menu_item_id,
                    "name": line.name,
                    "quantity": line.quantity,
                    "unitPriceCents": line.unit_price_cents,
                    "notes": line.notes,
                    "allergens": [a.value for a in line.allergens],
                    "done": line.done,
                    "prepSeconds": line.prep_seconds,
                    "modifiers": [modifier.snapshot() for modifier in line.modifiers],
                    "station": None if line.station is None else line.station.value,
                }
                for line in self.items
            ],
            "totalCents": self.total_cents,
            "createdAt": self.created_at.isoformat(),
            "updatedAt": self.updated_at.isoformat(),
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Order:
        return cls(
            id=data["id"],
            number=data["number"],
            status=OrderStatus(data["status"]),
            channel=Channel(data["channel"]),
            fulfillment=Fulfillment(data["fulfillment"]),
            customer_name=data["customerName"],
            phone=data["phone"],
            address=data["address"],
            notes=data["notes"],
            items=tuple(
                OrderLine(
                    line["menuItemId"],
                    line["name"],
                    line["quantity"],
                    line["unitPriceCents"],
                    line["notes"],
                    _allergens(line.get("allergens", [])),
                    # Events written before the kitchen could strike lines carry no "done".
                    bool(line.get("done", False)),
                    # Nor a prep time, before schema 7 (only old idempotent results).
                    line.get("prepSeconds", DEFAULT_PREP_SECONDS),
                    # Nor, before schema 8, "modifiers".
                    tuple(
                        LineModifier(m["modifierId"], m["name"], m["priceCents"])
                        for m in line.get("modifiers", ())
                    ),
                    # ... nor a "station" (schema 9).
                    _station(line.get("station")),
                )
                for line in data["items"]
            ),
            total_cents=data["totalCents"],
            created_at=datetime.fromisoformat(data["createdAt"]),
            updated_at=datetime.fromisoformat(data["updatedAt"]),
            # Snapshots stored before schema 5 have neither.
            table=data.get("table"),
            allergens=_allergens(data.get("allergens", [])),
        )


def _station(name: str | None) -> Station | None:
    return None if name is None else Station(name)


def _allergens(names: Iterable[str]) -> tuple[Allergen, ...]:
    """Each allergen once, in the list's own order (as a ticket prints them)."""
    found = {Allergen(name) for name in names}
    return tuple(a for a in Allergen if a in found)


@dataclass(frozen=True, slots=True)
class LineRequest:
    menu_item_id: str
    quantity: int
    notes: str | None = None
    allergens: tuple[Allergen, ...] = ()
    modifier_ids: tuple[str, ...] = ()  # of the item's modifier groups (menu.ModifierGroup)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    lines: tuple[LineRequest, ...]
    channel: Channel
    fulfillment: Fulfillment
    customer_name: str | None = None
    phone: str | None = None
    address: str | None = None
    notes: str | None = None
    # A DINE_IN order's table (required for DINE_IN, refused for the others).
    table: int | None = None
    allergens: tuple[Allergen, ...] = ()
    # The restaurant's region, for phone numbers given without their country code.
    phone_region: str | None = None


def check_text(value: str | None, field: str) -> str | None:
    """Trim a free-text input; empty becomes None; over-long is a BAD_USER_INPUT."""
    if value is None:
        return None
    if len(value) > MAX_STRING_CHARS:
        raise BadUserInput(
            f"{field} is {len(value)} characters long; shorten it to {MAX_STRING_CHARS} or fewer",
            field=field,
        )
    value = value.strip()
    return value or None


def check_request(request: OrderRequest) -> OrderRequest:
    """Everything about an order that can be checked without the database."""
    if not request.lines:
        raise BadUserInput("an order needs at least one item; add a line to `items`", field="items")
    if len(request.lines) > MAX_ORDER_LINES:
        raise BadUserInput(
            f"an order can have at most {MAX_ORDER_LINES} lines, this one has "
            f"{len(request.lines)}; split it into two orders",
            field="items",
        )
    lines = []
    for index, line in enumerate(request.lines):
        if not MIN_QUANTITY <= line.quantity <= MAX_QUANTITY:
            raise BadUserInput(
                f"quantity {line.quantity} is out of range; use {MIN_QUANTITY} to {MAX_QUANTITY}",
                field=f"items.{index}.quantity",
            )
        if len(line.menu_item_id) > MAX_STRING_CHARS:
            raise BadUserInput(
                "that menu item id is too long; query `menu` for the ids",
                field=f"items.{index}.menuItemId",
            )
        _check_modifier_ids(line.modifier_ids, f"items.{index}.modifierIds")
        lines.append(
            replace(
                line,
                notes=check_text(line.notes, f"items.{index}.notes"),
                allergens=_allergens(line.allergens),
            )
        )
    checked = replace(
        request,
        lines=tuple(lines),
        allergens=_allergens(request.allergens),
        customer_name=check_text(request.customer_name, "customerName"),
        phone=_phone(check_text(request.phone, "phone"), request.phone_region),
        address=check_text(request.address, "address"),
        notes=check_text(request.notes, "notes"),
    )
    if checked.fulfillment is Fulfillment.DELIVERY and checked.address is None:
        raise BadUserInput("a DELIVERY order needs the delivery address", field="address")
    _check_table(checked)
    return checked


def _check_modifier_ids(ids: tuple[str, ...], field: str) -> None:
    if len(ids) > MAX_LINE_MODIFIERS:
        raise BadUserInput(
            f"a line can name at most {MAX_LINE_MODIFIERS} modifiers, this one names "
            f"{len(ids)}; choose fewer",
            field=field,
        )
    for modifier_id in ids:
        if len(modifier_id) > MAX_STRING_CHARS:
            raise BadUserInput(
                "that modifier id is too long; query the item's `modifierGroups` for the ids",
                field=field,
            )
    repeated = sorted({modifier_id for modifier_id in ids if ids.count(modifier_id) > 1})
    if repeated:
        raise BadUserInput(
            f"modifier {repeated[0]!r} is named twice on one line; name each modifier once",
            field=field,
        )


def _check_table(request: OrderRequest) -> None:
    if request.fulfillment is not Fulfillment.DINE_IN:
        if request.table is not None:
            raise BadUserInput(
                f"a table is only for DINE_IN orders, this one is {request.fulfillment.value}; "
                "leave `table` out",
                field="table",
            )
        return
    if request.table is None:
        raise BadUserInput("a DINE_IN order needs its table number; set `table`", field="table")
    if not 1 <= request.table <= MAX_TABLE:
        raise BadUserInput(
            f"table {request.table} is out of range; use 1 to {MAX_TABLE}", field="table"
        )


def _phone(value: str | None, region: str | None) -> str | None:
    return None if value is None else phones.normalise(value, region)


def place_order(
    tx: Tx, request: OrderRequest, idempotency_key: IdempotencyKey | None = None
) -> Order:
    """Save a new order and its ``order_placed`` event; prices come from the menu.

    With an ``idempotency_key`` already used for the same request, the first order
    is returned (as it is now) and nothing new is written.
    """
    checked = check_request(request)
    codec = Codec[Order](
        dump=lambda order: {"orderId": order.id},
        load=lambda stored: require_order(tx.conn, stored["orderId"]),
    )
    return once(
        tx,
        PLACE_ORDER,
        idempotency_key,
        lambda: _place(tx, checked),
        codec,
        request=_fingerprinted(checked),
    )


def _fingerprinted(request: OrderRequest) -> dict[str, Any]:
    """What a placeOrder key is held to. The lines' modifiers go beside the order, and
    only when a line has some (in any order: they are a set), so that an order without
    modifiers is fingerprinted as before schema 8 and a key used before the upgrade
    still gives its order back."""
    order = dataclasses.asdict(request)
    chosen = [sorted(line.pop("modifier_ids")) for line in order["lines"]]
    return {"order": order, **({"modifierIds": chosen} if any(chosen) else {})}


def _place(tx: Tx, request: OrderRequest) -> Order:
    """Save ``request``, checked by :func:`check_request`."""
    ids = [line.menu_item_id for line in request.lines]
    menu = items_by_id(tx.conn, ids)
    groups = modifier_groups(tx.conn, ids)
    lines = []
    for index, line in enumerate(request.lines):
        item = menu.get(line.menu_item_id)
        if item is None:
            raise BadUserInput(
                f"there is no menu item {line.menu_item_id!r}; query `menu` for the ids",
                field=f"items.{index}.menuItemId",
            )
        if not item.available:
            raise BadUserInput(
                f"{item.name} is not available right now; remove it or choose another item",
                field=f"items.{index}.menuItemId",
            )
        chosen = choose_modifiers(
            item, groups.get(item.id, ()), line.modifier_ids, f"items.{index}.modifierIds"
        )
        lines.append(
            OrderLine(
                item.id,
                item.name,
                line.quantity,
                item.price_cents + sum(modifier.price_cents for modifier in chosen),
                line.notes,
                line.allergens,
                prep_seconds=item.prep_seconds,
                modifiers=chosen,
                station=item.station,
            )
        )
    order = Order(
        id=uuid7(),
        number=tx.scalar(SQL.next_order_number),
        status=OrderStatus.PLACED,
        channel=request.channel,
        fulfillment=request.fulfillment,
        customer_name=request.customer_name,
        phone=request.phone,
        address=request.address,
        notes=request.notes,
        items=tuple(lines),
        total_cents=sum(line.quantity * line.unit_price_cents for line in lines),
        created_at=tx.now,
        updated_at=tx.now,
        table=request.table,
        allergens=request.allergens,
    )
    tx.execute(
        SQL.insert_order,
        {
            "id": order.id,
            "number": order.number,
            "status": order.status.value,
            "channel": order.channel.value,
            "fulfillment": order.fulfillment.value,
            "customer_name": order.customer_name,
            "phone": order.phone,
            "address": order.address,
            "notes": order.notes,
            "table_number": order.table,
            "allergens": json.dumps([a.value for a in order.allergens]),
            "total_cents": order.total_cents,
            "created_at": order.created_at.isoformat(),
            "updated_at": order.updated_at.isoformat(),
        },
    )
    tx.conn.executemany(
        SQL.insert_order_item,
        [
            {
                "order_id": order.id,
                "line": index,
                "menu_item_id": line.menu_item_id,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price_cents": line.unit_price_cents,
                "notes": line.notes,
                "allergens": json.dumps([a.value for a in line.allergens]),
                "prep_seconds": line.prep_seconds,
                "station": None if line.station is None else line.station.value,
            }
            for index, line in enumerate(order.items)
        ],
    )
    tx.conn.executemany(
        SQL.insert_order_item_modifier,
        [
            {
                "order_id": order.id,
                "line": index,
                "position": position,
                "modifier_id": modifier.modifier_id,
                "name": modifier.name,
                "price_cents": modifier.price_cents,
            }
            for index, line in enumerate(order.items)
            for position, modifier in enumerate(line.modifiers)
        ],
    )
    payload: OrderPlacedPayload = {"order": order.snapshot()}
    emit(tx, EventType.ORDER_PLACED, payload, order_id=order.id)
    return order


def choose_modifiers(
    item: MenuItem, groups: tuple[ModifierGroup, ...], ids: tuple[str, ...], field: str
) -> tuple[LineModifier, ...]:
    """The modifiers ``ids`` of ``item``, in the menu's order, once each group has as
    many as it asks for; else BAD_USER_INPUT on ``field``."""
    offered = {modifier.id: modifier for group in groups for modifier in group.modifiers}
    for modifier_id in ids:
        if modifier_id not in offered:
            raise BadUserInput(
                f"{item.name} has no modifier {modifier_id!r}; choose among the ids of its "
                "`modifierGroups` in `menu`",
                field=field,
            )
    wanted = set(ids)
    chosen: list[LineModifier] = []
    for group in groups:
        taken = [m for m in group.modifiers if m.id in wanted]
        options = ", ".join(m.name for m in group.modifiers)
        if len(taken) < group.min_choices:
            need = f"one {group.name} choice"
            if group.min_choices > 1:
                need = f"at least {group.min_choices} {group.name} choices"
            raise BadUserInput(
                f"{item.name} needs {need} ({options}); choose "
                f"{'one' if group.min_choices == 1 else group.min_choices} for this line",
                field=field,
            )
        if len(taken) > group.max_choices:
            raise BadUserInput(
                f"{item.name} takes at most {group.max_choices} {group.name} choice"
                f"{'s' if group.max_choices != 1 else ''}, {len(taken)} were chosen "
                f"({', '.join(m.name for m in taken)}); keep {group.max_choices}",
                field=field,
            )
        chosen.extend(LineModifier(m.id, m.name, m.price_cents) for m in taken)
    return tuple(chosen)


def transition(
    tx: Tx,
    order_id: str,
    action: OrderAction,
    *,
    details: Mapping[str, Any] | None = None,
    causation_id: str | None = None,
) -> Order:
    """Move an order as the transition table allows, writing the action's event.

    Its payload is the order after the move plus ``details`` (``reason``, ``payment``,
    ``driver``): the event type's ``TypedDict`` in ``handlers.sdk.PAYLOADS``.
    """
    order = require_order(tx.conn, order_id)
    rule = check_transition(order, action)
    moved = replace(order, status=rule.target, updated_at=tx.now)
    tx.execute(
        SQL.update_order_status,
        {"id": order.id, "status": moved.status.value, "updated_at": moved.updated_at.isoformat()},
    )
    emit(
        tx,
        rule.event_type,
        {"order": moved.snapshot(), **(details or {})},
        order_id=order.id,
        causation_id=causation_id,
    )
    return moved


# An order as a result stored for an idempotency key: the order as it was then.
ORDER_SNAPSHOT = Codec[Order](
    dump=lambda order: {"order": order.snapshot()},
    load=lambda stored: Order.from_snapshot(stored["order"]),
)


def transition_once(
    tx: Tx,
    order_id: str,
    action: OrderAction,
    idempotency_key: IdempotencyKey,
    *,
    details: Mapping[str, Any] | None = None,
) -> Order:
    """:func:`transition`, or the first result of ``idempotency_key`` for ``action``."""
    return once(
        tx,
        action.value,
        idempotency_key,
        lambda: transition(tx, order_id, action, details=details),
        ORDER_SNAPSHOT,
        request={"orderId": order_id, "details": details or {}},
    )


# An order has a kitchen ticket from the payment until it is handed over.
TICKETED = frozenset({OrderStatus.PAID, OrderStatus.IN_KITCHEN, OrderStatus.READY})


def request_ticket(tx: Tx, order_id: str) -> Order:
    """Ask for the order's kitchen ticket again: a ``kitchen_ticket_requested`` event,
    which send_to_kitchen prints; the order itself does not change."""
    order = require_order(tx.conn, order_id)
    if order.status not in TICKETED:
        raise InvalidTransition(
            f"order #{order.number} is {order.status.value}: only an order that is paid and "
            "not yet handed over has a kitchen ticket to print again"
        )
    emit(tx, EventType.KITCHEN_TICKET_REQUESTED, {"order": order.snapshot()}, order_id=order.id)
    return order


# The kitchen strikes lines only while the ticket is its work: paid, or cooking.
IN_KITCHENS_HANDS = frozenset({OrderStatus.PAID, OrderStatus.IN_KITCHEN})


def set_item_done(tx: Tx, order_id: str, line: int, done: bool) -> Order:
    """Strike line ``line`` (0-based) of the order through, or take the stroke back,
    writing ``order_item_done`` / ``order_item_undone``. A line already so changes
    nothing and writes no event, so a repeated click or a retried request is harmless."""
    order = require_order(tx.conn, order_id)
    if not 0 <= line < len(order.items):
        raise BadUserInput(
            f"order #{order.number} has lines 0 to {len(order.items) - 1}, not {line}; "
            "count the order's items from 0",
            field="line",
        )
    if order.status not in IN_KITCHENS_HANDS:
        raise InvalidTransition(
            f"order #{order.number} is {order.status.value}: lines are struck through only "
            "while the order is PAID or IN_KITCHEN"
        )
    if order.items[line].done is done:
        return order
    items = list(order.items)
    items[line] = replace(items[line], done=done)
    changed = replace(order, items=tuple(items), updated_at=tx.now)
    tx.execute(SQL.set_item_done, {"order_id": order.id, "line": line, "done": int(done)})
    # updated_at moves so that the orderChanges feed and its readers see a new version.
    tx.execute(
        SQL.update_order_status,
        {
            "id": order.id,
            "status": changed.status.value,
            "updated_at": changed.updated_at.isoformat(),
        },
    )
    event_type = EventType.ORDER_ITEM_DONE if done else EventType.ORDER_ITEM_UNDONE
    payload: OrderItemPayload = {"order": changed.snapshot(), "line": line}
    emit(tx, event_type, payload, order_id=order.id)
    return changed


def check_transition(order: Order, action: OrderAction) -> Transition:
    """The rule that lets ``action`` move ``order``; else :class:`InvalidTransition`."""
    rule = ORDER_TRANSITIONS[action]
    if order.status not in rule.sources:
        allowed = ", ".join(sorted(status.value for status in rule.sources))
        raise InvalidTransition(
            f"order #{order.number} is {order.status.value}; {action.value.replace('_', ' ')} "
            f"is only possible from {allowed}"
        )
    if action is OrderAction.DISPATCH and order.fulfillment is not Fulfillment.DELIVERY:
        raise InvalidTransition(f"order #{order.number} is {order.fulfillment.value}, not DELIVERY")
    return rule


def recall(tx: Tx, order_id: str, bumped_to: OrderStatus | None = None) -> Order:
    """Take a bump back, one step: READY -> IN_KITCHEN (``order_recalled``), COMPLETED
    -> READY (``order_reopened``).

    ``bumped_to`` is the status the bump being undone left the order in: when the order
    is no longer there (another screen moved it on), nothing is taken back, so that an
    Undo never undoes someone else's step. A delivery order that went out for delivery
    is not reopened: the driver handed it over, there is no food at the pass.
    """
    order = require_order(tx.conn, order_id)
    if bumped_to is not None and order.status is not bumped_to:
        raise InvalidTransition(
            f"order #{order.number} is {order.status.value}, not {bumped_to.value}: it has "
            "moved on since that bump, so there is nothing to take back"
        )
    action = OrderAction.REOPEN if order.status is OrderStatus.COMPLETED else OrderAction.RECALL
    if order.status not in ORDER_TRANSITIONS[action].sources:
        raise InvalidTransition(
            f"order #{order.number} is {order.status.value}; a bump is taken back only from "
            "READY (back to the kitchen) or COMPLETED (ready again)"
        )
    if action is OrderAction.REOPEN and tx.scalar(
        SQL.order_had_event,
        {"order_id": order.id, "event_type": EventType.ORDER_OUT_FOR_DELIVERY.value},
    ):
        raise InvalidTransition(
            f"order #{order.number} was delivered by a driver; a delivered order cannot be "
            "made ready again"
        )
    return transition(tx, order_id, action)


# -- reading -------------------------------------------------------------------------


def _line_from_row(
    row: sqlite3.Row, modifiers: Mapping[tuple[str, int], tuple[LineModifier, ...]]
) -> OrderLine:
    return OrderLine(
        row["menu_item_id"],
        row["name"],
        row["quantity"],
        row["unit_price_cents"],
        row["notes"],
        _allergens(json.loads(row["allergens"])),
        bool(row["done"]),
        row["prep_seconds"],
        modifiers.get((row["order_id"], row["line"]), ()),
        _station(row["station"]),
    )


def _modifiers_of(
    conn: sqlite3.Connection, order_ids: list[str]
) -> dict[tuple[str, int], tuple[LineModifier, ...]]:
    """The chosen modifiers of the orders' lines, by (order id, line)."""
    found: dict[tuple[str, int], list[LineModifier]] = {}
    for row in conn.execute(SQL.modifiers_of_orders, {"order_ids": json.dumps(order_ids)}):
        found.setdefault((row["order_id"], row["line"]), []).append(
            LineModifier(row["modifier_id"], row["name"], row["price_cents"])
        )
    return {key: tuple(value) for key, value in found.items()}


def _order_from_row(row: sqlite3.Row, items: tuple[OrderLine, ...]) -> Order:
    return Order(
        id=row["id"],
        number=row["number"],
        status=OrderStatus(row["status"]),
        channel=Channel(row["channel"]),
        fulfillment=Fulfillment(row["fulfillment"]),
        customer_name=row["customer_name"],
        phone=row["phone"],
        address=row["address"],
        notes=row["notes"],
        items=items,
        total_cents=row["total_cents"],
        created_at=datetime.fromisoformat(row["created_at"]),
        updated_at=datetime.fromisoformat(row["updated_at"]),
        table=row["table_number"],
        allergens=_allergens(json.loads(row["allergens"])),
    )


def require_order(conn: sqlite3.Connection, order_id: str) -> Order:
    """The order with ``order_id``; else :class:`NotFound`."""
    order = load_order(conn, order_id)
    if order is None:
        raise NotFound(
            f"there is no order with id {order_id!r}; query `orders` for the ids",
            field="orderId",
        )
    return order


def load_order(conn: sqlite3.Connection, order_id: str) -> Order | None:
    row = conn.execute(SQL.get_order, {"id": order_id}).fetchone()
    if row is None:
        return None
    modifiers = _modifiers_of(conn, [order_id])
    items = tuple(
        _line_from_row(r, modifiers)
        for r in conn.execute(SQL.items_of_order, {"order_id": order_id})
    )
    return _order_from_row(row, items)


def list_orders(
    conn: sqlite3.Connection,
    statuses: list[OrderStatus] | None,
    first: int,
    after_number: int,
) -> list[Order]:
    rows = conn.execute(
        SQL.list_orders,
        {
            "statuses": None if statuses is None else json.dumps([s.value for s in statuses]),
            "after_number": after_number,
            "limit": max(0, min(first, MAX_PAGE)),
        },
    ).fetchall()
    ids = [row["id"] for row in rows]
    lines: dict[str, list[OrderLine]] = {order_id: [] for order_id in ids}
    modifiers = _modifiers_of(conn, ids)
    for item in conn.execute(SQL.items_of_orders, {"order_ids": json.dumps(ids)}):
        lines[item["order_id"]].append(_line_from_row(item, modifiers))
    return [_order_from_row(row, tuple(lines[row["id"]])) for row in rows]


# The statuses whose event carries a reason written for the customer: validate_order's
# and charge_payment's words, never an error or a traceback. A cancellation's reason is
# the staff's note to each other, so it is not shown to the customer.
_EXPLAINED = {
    OrderStatus.REJECTED: ORDER_TRANSITIONS[OrderAction.REJECT].event_type,
    OrderStatus.PAYMENT_FAILED: ORDER_TRANSITIONS[OrderAction.FAIL_PAYMENT].event_type,
}


def has_reason(status: OrderStatus) -> bool:
    return status in _EXPLAINED


def status_reason(conn: sqlite3.Connection, order_id: str, status: OrderStatus) -> str | None:
    """Why the order came to ``status``, in the customer's words; None if it says nothing."""
    event_type = _EXPLAINED.get(status)
    return None if event_type is None else _reason(conn, order_id, event_type)


def cancel_reason(conn: sqlite3.Connection, order_id: str) -> str | None:
    """What staff gave as the reason when they cancelled the order (None: not cancelled)."""
    return _reason(conn, order_id, ORDER_TRANSITIONS[OrderAction.CANCEL].event_type)


def _reason(conn: sqlite3.Connection, order_id: str, event_type: str) -> str | None:
    row = conn.execute(
        SQL.reason_of_order, {"order_id": order_id, "event_type": event_type}
    ).fetchone()
    return None if row is None else row[0]
