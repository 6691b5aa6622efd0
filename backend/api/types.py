"""The contract's GraphQL object types, built from the domain's plain rows."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import cast

import strawberry
from strawberry.scalars import JSON

from backend import activity, delivery_commands, orders, pickup, states
from backend import events as event_log
from backend.api.context import Context
from backend.api.permissions import STAFF_FIELD
from backend.backup_scheduler import LastBackup
from backend.events import DeliveryRow, EventRecord, InvocationRow
from backend.menu import MenuItem as MenuRow
from backend.menu import ModifierGroup as ModifierGroupRow
from backend.search import fts_query

OrderStatus = strawberry.enum(states.OrderStatus, name="OrderStatus")
DeliveryStatus = strawberry.enum(states.DeliveryStatus, name="DeliveryStatus")
Channel = strawberry.enum(states.Channel, name="Channel")
Fulfillment = strawberry.enum(states.Fulfillment, name="Fulfillment")
Allergen = strawberry.enum(
    states.Allergen,
    name="Allergen",
    description="The 14 allergens EU law makes a kitchen declare.",
)
Station = strawberry.enum(
    states.Station,
    name="Station",
    description="Where in the kitchen a menu category is made; each has its own screen.",
)
PickupState = strawberry.enum(pickup.PickupState, name="PickupState")

Info = strawberry.Info[Context, None]


@strawberry.type(description='One choice of a modifier group ("extra cheese").')
class Modifier:
    id: strawberry.ID
    name: str
    price_cents: int = strawberry.field(
        description="Added to the item's price when chosen (0: no charge)."
    )


@strawberry.type(
    description='Choices of a menu item ("Extras"): an order line names between '
    "minChoices and maxChoices of its modifiers in OrderLineInput.modifierIds."
)
class ModifierGroup:
    id: strawberry.ID
    name: str
    min_choices: int = strawberry.field(description="0: optional; 1 or more: required.")
    max_choices: int
    modifiers: list[Modifier]

    @classmethod
    def of(cls, row: ModifierGroupRow) -> ModifierGroup:
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            min_choices=row.min_choices,
            max_choices=row.max_choices,
            modifiers=[
                Modifier(id=strawberry.ID(m.id), name=m.name, price_cents=m.price_cents)
                for m in row.modifiers
            ],
        )


@strawberry.type
class MenuItem:
    id: strawberry.ID
    name: str
    category: str
    price_cents: int
    available: bool
    stock: int | None = strawberry.field(
        description="How many are left; null: this item's stock is not counted."
    )
    station: Station | None = strawberry.field(  # type: ignore[valid-type]
        description="Where its category is made (setCategoryStation); null: no station."
    )
    prep_seconds: int = strawberry.field(
        description="How long the kitchen takes to make it, in seconds (1 to 7200); "
        "setMenuItemPrepTime sets it."
    )

    # Read with the item, in the same snapshot: a loader's batch waits two turns of
    # the loop, ~8 ms of every order's validation at a rush (bench/RESULTS.md).
    groups: strawberry.Private[tuple[ModifierGroupRow, ...]]

    @strawberry.field(description="Its modifier groups, in menu order ([]: none).")
    def modifier_groups(self) -> list[ModifierGroup]:
        return [ModifierGroup.of(group) for group in self.groups]

    @classmethod
    def of(cls, row: MenuRow, groups: Mapping[str, tuple[ModifierGroupRow, ...]]) -> MenuItem:
        """``row`` with its modifier groups, found in ``groups`` (menu.modifier_groups)."""
        return cls(
            id=strawberry.ID(row.id),
            name=row.name,
            category=row.category,
            price_cents=row.price_cents,
            available=row.available,
            stock=row.stock,
            prep_seconds=row.prep_seconds,
            station=row.station,
            groups=groups.get(row.id, ()),
        )


@strawberry.type(description="A modifier chosen for an order line, as it was at order time.")
class OrderItemModifier:
    modifier_id: strawberry.ID
    name: str
    price_cents: int


@strawberry.type
class OrderItem:
    menu_item_id: strawberry.ID
    name: str
    quantity: int
    unit_price_cents: int = strawberry.field(
        description="The item's price plus its chosen modifiers' prices, at order time."
    )
    notes: str | None
    allergens: list[Allergen]  # type: ignore[valid-type]
    done: bool = strawberry.field(
        description="Struck through on the kitchen's ticket (markItemDone / markItemNotDone)."
    )
    prep_seconds: int = strawberry.field(
        description="The item's prep time in seconds when the order was placed (a copy, "
        "like unitPriceCents: editing the menu later does not move it). A ticket's target "
        "is its longest line."
    )
    modifiers: list[OrderItemModifier] = strawberry.field(
        description="The modifiers chosen for this line, in menu order."
    )
    station: Station | None = strawberry.field(  # type: ignore[valid-type]
        description="The station that makes it: its category's when the order was placed "
        "(null: none)."
    )


@strawberry.type
class Invocation:
    attempt: int
    started_at: datetime
    duration_ms: float
    outcome: str
    error: str | None
    traceback: str | None = strawberry.field(
        description="Where the handler failed (Python traceback, its last lines kept)."
    )

    @classmethod
    def of(cls, row: InvocationRow) -> Invocation:
        return cls(
            attempt=row.attempt,
            started_at=row.started_at,
            duration_ms=row.duration_ms,
            outcome=row.outcome,
            error=row.error,
            traceback=row.traceback,
        )


@strawberry.type(description="Who settled a RESOLVED delivery, why and when.")
class DeliveryResolution:
    reason: str
    resolved_by: str = strawberry.field(
        description='Who resolved it: the role ("staff": there is one staff token), and '
        'the terminal it named, if any ("staff at bar-pc").'
    )
    resolved_at: datetime


@strawberry.input(
    description="Which DEAD deliveries a bulk command acts on, as the event log filters: "
    "each field left out (or null) matches every value."
)
class DeliveryFilter:
    handler: str | None = None
    event_type: str | None = None
    order_id: strawberry.ID | None = None
    search: str | None = strawberry.field(
        default=None,
        description="Only deliveries of the events this text finds, as events(search:) "
        "reads it (every word in the event's type, payload, handlers or their errors).",
    )

    def to_domain(self) -> delivery_commands.DeliveryFilter:
        return delivery_commands.DeliveryFilter(
            handler=self.handler,
            event_type=self.event_type,
            order_id=None if self.order_id is None else str(self.order_id),
            search=None if self.search is None else fts_query(self.search),
        )


@strawberry.type
class Delivery:
    handler: str
    status: DeliveryStatus  # type: ignore[valid-type]
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    event_seq: strawberry.Private[int]

    @classmethod
    def of(cls, row: DeliveryRow) -> Delivery:
        due = None
        if row.next_attempt_at is not None and row.status in (
            states.DeliveryStatus.PENDING,
            states.DeliveryStatus.RETRYING,
        ):
            due = datetime.fromtimestamp(row.next_attempt_at, UTC)
        return cls(
            handler=row.handler,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=due,
            last_error=row.last_error,
            event_seq=row.event_seq,
        )

    @strawberry.field(
        description="For a handler that takes an order's events in order: the seq of the "
        "earlier event of the same order that has not reached it yet, while that holds "
        "this delivery back."
    )
    async def held_by(self, info: Info) -> int | None:
        definition = info.context.services.registry.get(self.handler)
        if (
            definition is None
            or not definition.ordered
            or self.status
            in (
                states.DeliveryStatus.SUCCEEDED,
                states.DeliveryStatus.RUNNING,
                states.DeliveryStatus.RESOLVED,
            )
        ):
            return None
        seq, handler = self.event_seq, self.handler
        return await info.context.services.db.read(
            lambda conn: event_log.holding_delivery(conn, seq, handler)
        )

    @strawberry.field(description="Who settled it and why; null unless RESOLVED.")
    async def resolution(self, info: Info) -> DeliveryResolution | None:
        if states.DeliveryStatus(self.status) is not states.DeliveryStatus.RESOLVED:
            return None
        found = await info.context.resolutions.load((self.event_seq, self.handler))
        if found is None:
            return None
        return DeliveryResolution(
            reason=found.reason, resolved_by=found.resolved_by, resolved_at=found.resolved_at
        )

    @strawberry.field
    async def invocations(self, info: Info) -> list[Invocation]:
        rows = await info.context.invocations.load((self.event_seq, self.handler))
        return [Invocation.of(row) for row in rows]


@strawberry.type
class Event:
    seq: int
    id: strawberry.ID
    type: str
    order_id: strawberry.ID | None
    created_at: datetime
    payload: JSON

    @classmethod
    def of(cls, record: EventRecord) -> Event:
        return cls(
            seq=record.seq,
            id=strawberry.ID(record.id),
            type=record.type,
            order_id=None if record.order_id is None else strawberry.ID(record.order_id),
            created_at=record.created_at,
            payload=cast(JSON, record.payload),
        )

    @strawberry.field
    async def deliveries(self, info: Info) -> list[Delivery]:
        rows = await info.context.deliveries.load(self.seq)
        return [Delivery.of(row) for row in rows]


@strawberry.type
class Order:
    id: strawberry.ID
    number: int
    status: OrderStatus  # type: ignore[valid-type]
    channel: Channel  # type: ignore[valid-type]
    fulfillment: Fulfillment  # type: ignore[valid-type]
    customer_name: str | None
    phone: str | None
    address: str | None
    notes: str | None
    table: int | None = strawberry.field(description="A DINE_IN order's table number.")
    allergens: list[Allergen] = strawberry.field(  # type: ignore[valid-type]
        description="Allergens the guest named for the whole order (each line has its own)."
    )
    items: list[OrderItem]
    total_cents: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: orders.Order) -> Order:
        return cls(
            id=strawberry.ID(order.id),
            number=order.number,
            status=order.status,
            channel=order.channel,
            fulfillment=order.fulfillment,
            customer_name=order.customer_name,
            phone=order.phone,
            address=order.address,
            notes=order.notes,
            table=order.table,
            allergens=list(order.allergens),
            items=[
                OrderItem(
                    menu_item_id=strawberry.ID(line.menu_item_id),
                    name=line.name,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                    notes=line.notes,
                    allergens=list(line.allergens),
                    done=line.done,
                    prep_seconds=line.prep_seconds,
                    modifiers=[
                        OrderItemModifier(
                            modifier_id=strawberry.ID(m.modifier_id),
                            name=m.name,
                            price_cents=m.price_cents,
                        )
                        for m in line.modifiers
                    ],
                    station=line.station,
                )
                for line in order.items
            ],
            total_cents=order.total_cents,
            created_at=order.created_at,
            updated_at=order.updated_at,
        )

    @strawberry.field(
        description="Why the order is REJECTED or its payment FAILED, in words for the "
        "customer; null in any other status."
    )
    def status_reason(self, info: Info) -> str | None:
        # Synchronous, as cancelReason: an order's fields are then all resolved in one
        # go. An async field made every execution of an order (each orderChanges and
        # order(id) message) gather its fields in tasks, two more turns of the loop.
        order_id, now = str(self.id), states.OrderStatus(self.status)
        if not orders.has_reason(now):
            return None
        # One row by the order's index of events: read on the loop's thread.
        return info.context.services.db.read_now(
            lambda conn: orders.status_reason(conn, order_id, now)
        )

    @strawberry.field(
        description="The reason staff gave when they cancelled the order; null unless "
        "CANCELLED (the staff's note to each other: the customer's accessToken may not "
        "read it).",
        permission_classes=STAFF_FIELD,
    )
    def cancel_reason(self, info: Info) -> str | None:
        if states.OrderStatus(self.status) is not states.OrderStatus.CANCELLED:
            return None
        order_id = str(self.id)
        return info.context.services.db.read_now(lambda conn: orders.cancel_reason(conn, order_id))

    @strawberry.field(
        description="The order's history, oldest first (the staff's: the customer's "
        "accessToken may not read it).",
        permission_classes=STAFF_FIELD,
    )
    async def events(self, info: Info) -> list[Event]:
        order_id = str(self.id)
        records = await info.context.services.db.read(
            lambda conn: event_log.events_of_order(conn, order_id)
        )
        return [Event.of(record) for record in records]


@strawberry.type(description="A handler's attempts since its first (never reset).")
class HandlerLifetime:
    attempts: int
    succeeded: int
    failed: int = strawberry.field(
        description="Attempts that raised, timed out or were lost with the process."
    )

    @classmethod
    def of(cls, row: activity.Lifetime) -> HandlerLifetime:
        return cls(attempts=row.attempts, succeeded=row.succeeded, failed=row.failed)


@strawberry.type(description="The kitchen's ticket times over the last hour (the board).")
class TicketTimes:
    count: int = strawberry.field(description="Orders made ready in the last hour.")
    average_seconds: float | None = strawberry.field(
        description="Their average time from payment to ready; null when there were none."
    )


@strawberry.type(description="What happened in one minute (the Handlers tab's chart).")
class MinuteActivity:
    minute: datetime = strawberry.field(description="Its start, UTC.")
    events: int = strawberry.field(description="Events written in it.")
    failures: int = strawberry.field(
        description="Handler attempts in it that raised, timed out or were lost."
    )


@strawberry.type
class Handler:
    name: str
    events: list[str]
    paused: bool
    ordered: bool
    pending: int
    running: int
    succeeded: int
    retrying: int
    dead: int = strawberry.field(description="DEAD deliveries: waiting for a person.")
    resolved: int = strawberry.field(
        description="RESOLVED deliveries: dead ones a person settled (not in dead)."
    )
    p50_ms: float | None
    p95_ms: float | None
    oldest_pending_seconds: float | None
    last_error: str | None
    lifetime: HandlerLifetime


@strawberry.type(description="The backups of the database (made hourly and at a clean shutdown).")
class BackupStatus:
    last_good_at: datetime | None = strawberry.field(
        description="When the newest backup that passed its integrity check was taken; "
        "null if none was ever made."
    )
    folder: str = strawberry.field(description="The folder the backups go to, on the backend.")
    last_error: str | None = strawberry.field(
        description="Why the last backup failed; null when the last one succeeded."
    )

    @classmethod
    def of(cls, last: LastBackup) -> BackupStatus:
        """The API's view of the scheduler's :class:`LastBackup`."""
        return cls(
            last_good_at=last.last_good_at, folder=str(last.folder), last_error=last.last_error
        )


@strawberry.type
class OrderChange:
    seq: int = strawberry.field(description="The seq of the event that made this change.")
    type: str
    order: Order


@strawberry.type
class EventLogEntry:
    cursor: str
    event: Event


@strawberry.type(
    description="One order on the pickup screen: its number and a coarse state, nothing "
    "else (public: no name, phone or item)."
)
class PickupEntry:
    number: int
    state: PickupState  # type: ignore[valid-type]

    @staticmethod
    def board(board: pickup.Board) -> list[PickupEntry]:
        return [PickupEntry(number=n, state=board[n]) for n in sorted(board)]


@strawberry.type
class PlaceOrderPayload:
    order: Order
    access_token: str


@strawberry.input
class OrderLineInput:
    menu_item_id: strawberry.ID
    quantity: int
    notes: str | None = None
    allergens: list[Allergen] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list, description="Allergens the guest named for this line."
    )
    modifier_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="The modifiers chosen for this line: ids of the item's "
        "modifierGroups, each group between its minChoices and maxChoices; each adds "
        "its priceCents to the line's unit price. Anything else is BAD_USER_INPUT "
        "(field `items.N.modifierIds`).",
    )


@strawberry.input
class PlaceOrderInput:
    items: list[OrderLineInput]
    channel: Channel  # type: ignore[valid-type]
    fulfillment: Fulfillment  # type: ignore[valid-type]
    customer_name: str | None = None
    phone: str | None = None
    address: str | None = None
    notes: str | None = None
    table: int | None = strawberry.field(
        default=None,
        description="The table of a DINE_IN order, 1 to 999: required for DINE_IN, "
        "refused for the others (BAD_USER_INPUT, field `table`).",
    )
    allergens: list[Allergen] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list,
        description="Allergens the guest named for the whole order; the kitchen ticket "
        "shows them first.",
    )
