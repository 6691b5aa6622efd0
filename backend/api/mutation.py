"""Mutation resolvers: each is one unit of work on the database's single writer."""

from __future__ import annotations

import math
from typing import Annotated

import strawberry

from backend import idempotency, menu, orders, payments, stations
from backend.api.arguments import check_id
from backend.api.permissions import GUARDED
from backend.api.types import (
    Info,
    MenuItem,
    Order,
    OrderStatus,
    PlaceOrderInput,
    PlaceOrderPayload,
    Station,
)
from backend.auth import Role, authorize_channel
from backend.database import Tx
from backend.errors import BadUserInput, RateLimited
from backend.idempotency import IdempotencyKey
from backend.orders import PLACE_ORDER, LineRequest, OrderRequest, check_text
from backend.states import OrderAction
from backend.states import OrderStatus as Status
from backend.states import Station as StationName

# The statuses a bump (Ready, Complete) leaves an order in: the only ones recallOrder
# can take back from.
_BUMPED_TO = frozenset({Status.READY, Status.COMPLETED})


async def _transition(info: Info, order_id: str, action: OrderAction, **details: str) -> Order:
    check_id(order_id, "orderId")
    moved = await info.context.services.db.write(
        lambda tx: orders.transition(tx, order_id, action, details=details or None)
    )
    return Order.of(moved)


async def _set_item_done(info: Info, order_id: str, line: int, *, done: bool) -> Order:
    check_id(order_id, "orderId")
    changed = await info.context.services.db.write(
        lambda tx: orders.set_item_done(tx, order_id, line, done)
    )
    return Order.of(changed)


async def _set_station_done(
    info: Info, order_id: str, station: StationName, *, done: bool
) -> Order:
    check_id(order_id, "orderId")
    changed = await info.context.services.db.write(
        lambda tx: stations.set_station_done(tx, order_id, station, done)
    )
    return Order.of(changed)


async def _limit_public_orders(info: Info, key: IdempotencyKey | None) -> None:
    """Count a placeOrder without the staff token against its client address, unless
    its key was used: a retry of an order that went through (its answer lost) makes no
    new order, and must get that order back even past the limit."""
    context = info.context
    limiter = context.services.public_orders
    if limiter is None or context.principal.role in (Role.STAFF, Role.HANDLER):
        return
    # One row by key, read on the loop's thread: a hop to a reader waits for the GIL
    # after each statement while the loop is busy, on every public order of a rush.
    if context.services.db.read_now(lambda conn: idempotency.used(conn, PLACE_ORDER, key)):
        return
    client = getattr(context.request, "client", None)
    wait = limiter.take(client.host if client is not None else "unknown")
    if wait is not None:
        seconds = max(1, math.ceil(wait))
        raise RateLimited(
            f"too many orders from this address (at most {limiter.limit} in "
            f"{limiter.window_seconds:g} s); try again in {seconds} s",
            seconds,
        )


@strawberry.type
class OrderMutation:
    @strawberry.mutation(permission_classes=GUARDED)
    async def place_order(
        self, info: Info, input: PlaceOrderInput, idempotency_key: str | None = None
    ) -> PlaceOrderPayload:
        authorize_channel(info.context.principal, input.channel)
        key = IdempotencyKey.of(
            info.context.principal, check_text(idempotency_key, "idempotencyKey")
        )
        await _limit_public_orders(info, key)
        request = OrderRequest(
            lines=tuple(
                LineRequest(
                    str(line.menu_item_id),
                    line.quantity,
                    line.notes,
                    tuple(line.allergens),
                    tuple(str(modifier_id) for modifier_id in line.modifier_ids),
                )
                for line in input.items
            ),
            channel=input.channel,
            fulfillment=input.fulfillment,
            customer_name=input.customer_name,
            phone=input.phone,
            address=input.address,
            notes=input.notes,
            table=input.table,
            allergens=tuple(input.allergens),
            phone_region=info.context.services.phone_region,
        )
        orders.check_request(request)  # fail before queueing for the writer
        services = info.context.services
        order = await services.db.write(lambda tx: orders.place_order(tx, request, key))
        return PlaceOrderPayload(
            order=Order.of(order), access_token=services.tokens.customer_token(order.id)
        )

    @strawberry.mutation(permission_classes=GUARDED)
    async def mark_ready(self, info: Info, order_id: strawberry.ID) -> Order:
        return await _transition(info, str(order_id), OrderAction.MARK_READY)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Take a bump back one step: READY -> IN_KITCHEN (order_recalled), "
        "COMPLETED -> READY (order_reopened; not for an order that went out for delivery). "
        "INVALID_TRANSITION once the order has moved on.",
    )
    async def recall_order(
        self,
        info: Info,
        order_id: strawberry.ID,
        from_status: Annotated[
            OrderStatus | None,  # type: ignore[valid-type]
            strawberry.argument(
                name="from",
                description="The status the bump being taken back left the order in "
                "(READY or COMPLETED): if the order is no longer in it, INVALID_TRANSITION "
                "and nothing changes; any other status is BAD_USER_INPUT. Left out: one step "
                "back from where it is.",
            ),
        ] = None,
    ) -> Order:
        found = check_id(str(order_id), "orderId")
        bumped_to = None if from_status is None else Status(from_status)
        if bumped_to is not None and bumped_to not in _BUMPED_TO:
            # A status no bump leaves an order in is a caller's mistake, not a race
            # with another screen: say so rather than INVALID_TRANSITION.
            raise BadUserInput(
                f"from must be READY or COMPLETED (the status a bump left the order in), "
                f"not {bumped_to.value}; leave it out to step back from where the order is",
                field="from",
            )
        moved = await info.context.services.db.write(lambda tx: orders.recall(tx, found, bumped_to))
        return Order.of(moved)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Strike line `line` (from 0) of a PAID or IN_KITCHEN order through as "
        "done (order_item_done); a line already done changes nothing.",
    )
    async def mark_item_done(self, info: Info, order_id: strawberry.ID, line: int) -> Order:
        return await _set_item_done(info, str(order_id), line, done=True)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Take back the stroke on line `line` (order_item_undone); a line not "
        "done changes nothing.",
    )
    async def mark_item_not_done(self, info: Info, order_id: strawberry.ID, line: int) -> Order:
        return await _set_item_done(info, str(order_id), line, done=False)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="A station bumps its part of a PAID or IN_KITCHEN ticket: every line "
        "of `station` struck through (order_station_done); the order's status does not move.",
    )
    async def mark_station_done(
        self,
        info: Info,
        order_id: strawberry.ID,
        station: Station,  # type: ignore[valid-type]
    ) -> Order:
        return await _set_station_done(info, str(order_id), station, done=True)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Take a station's bump back: its lines not done again (order_station_undone).",
    )
    async def mark_station_not_done(
        self,
        info: Info,
        order_id: strawberry.ID,
        station: Station,  # type: ignore[valid-type]
    ) -> Order:
        return await _set_station_done(info, str(order_id), station, done=False)

    @strawberry.mutation(permission_classes=GUARDED)
    async def complete_order(self, info: Info, order_id: strawberry.ID) -> Order:
        return await _transition(info, str(order_id), OrderAction.COMPLETE)

    @strawberry.mutation(permission_classes=GUARDED)
    async def cancel_order(self, info: Info, order_id: strawberry.ID, reason: str) -> Order:
        text = check_text(reason, "reason")
        if text is None:
            raise BadUserInput("say why the order is cancelled (reason is empty)", field="reason")
        return await _transition(info, str(order_id), OrderAction.CANCEL, reason=text)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="PAYMENT_FAILED -> VALIDATED: charge the order again (charge_payment "
        "runs again on its order_validated event).",
    )
    async def retry_payment(self, info: Info, order_id: strawberry.ID) -> Order:
        return await _transition(info, str(order_id), OrderAction.RETRY_PAYMENT)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="PAYMENT_FAILED -> PAID: the order's total taken in cash (amountCents "
        "must be the total); the kitchen gets it through order_paid.",
    )
    async def take_cash(
        self,
        info: Info,
        order_id: strawberry.ID,
        amount_cents: int,
        idempotency_key: str | None = None,
    ) -> Order:
        found = check_id(str(order_id), "orderId")
        key = IdempotencyKey.of(
            info.context.principal, check_text(idempotency_key, "idempotencyKey")
        )
        order = await info.context.services.db.write(
            lambda tx: payments.take_cash(tx, found, amount_cents, key)
        )
        return Order.of(order)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Print the order's kitchen ticket again (send_to_kitchen prints it); "
        "for an order that is paid and not yet handed over.",
    )
    async def reprint_kitchen_ticket(self, info: Info, order_id: strawberry.ID) -> Order:
        found = str(order_id)
        order = await info.context.services.db.write(lambda tx: orders.request_ticket(tx, found))
        return Order.of(order)

    @strawberry.mutation(permission_classes=GUARDED)
    async def set_menu_item_available(
        self, info: Info, menu_item_id: strawberry.ID, available: bool
    ) -> MenuItem:
        item_id = check_id(str(menu_item_id), "menuItemId")
        (item,) = await info.context.services.db.write(
            lambda tx: _menu_items(tx, [menu.set_available(tx, item_id, available)])
        )
        return item

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Count a menu item's stock from this number on (null: stop counting it); "
        "orders paid take their quantities off it.",
    )
    async def set_menu_item_stock(
        self, info: Info, menu_item_id: strawberry.ID, stock: int | None
    ) -> MenuItem:
        item_id = check_id(str(menu_item_id), "menuItemId")
        (item,) = await info.context.services.db.write(
            lambda tx: _menu_items(tx, [menu.set_stock(tx, item_id, stock)])
        )
        return item

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Set how long the kitchen takes to make a menu item, in seconds (1 to "
        "7200); a change writes menu_item_changed. Orders placed before keep theirs.",
    )
    async def set_menu_item_prep_time(
        self,
        info: Info,
        menu_item_id: strawberry.ID,
        prep_seconds: int,
        idempotency_key: str | None = None,
    ) -> MenuItem:
        item_id = check_id(str(menu_item_id), "menuItemId")
        seconds = menu.check_prep_seconds(prep_seconds)  # fail before queueing for the writer
        key = IdempotencyKey.of(
            info.context.principal, check_text(idempotency_key, "idempotencyKey")
        )
        (item,) = await info.context.services.db.write(
            lambda tx: _menu_items(tx, [menu.set_prep_time(tx, item_id, seconds, key)])
        )
        return item

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Make a menu category at `station` (null: at no station); orders placed "
        "from then on send its lines there. Each item of the category writes "
        "menu_item_changed. Returns the category's items.",
    )
    async def set_category_station(
        self,
        info: Info,
        category: str,
        station: Station | None,  # type: ignore[valid-type]
        idempotency_key: str | None = None,
    ) -> list[MenuItem]:
        name = check_text(category, "category")
        if name is None:
            raise BadUserInput("name the menu category (category is empty)", field="category")
        key = IdempotencyKey.of(
            info.context.principal, check_text(idempotency_key, "idempotencyKey")
        )
        return await info.context.services.db.write(
            lambda tx: _menu_items(tx, stations.set_category_station(tx, name, station, key))
        )


def _menu_items(tx: Tx, items: list[menu.MenuItem]) -> list[MenuItem]:
    """``items`` as the API returns them: with their modifier groups, as this
    transaction has them."""
    groups = menu.modifier_groups(tx.conn, [item.id for item in items])
    return [MenuItem.of(item, groups) for item in items]
