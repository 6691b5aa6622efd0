"""Subscriptions: each resumes from its cursor out of the log, then follows commits live."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Annotated

import strawberry

from backend import events, menu, orders, pickup
from backend.api.arguments import check_id, parse_cursor
from backend.api.permissions import GUARDED
from backend.api.query import handler_rows
from backend.api.types import (
    Event,
    EventLogEntry,
    Handler,
    Info,
    MenuItem,
    Order,
    OrderChange,
    PickupEntry,
)
from backend.auth import authorize_order
from backend.errors import NotFound
from backend.events import EventRecord, LogEntry
from backend.metrics import metered
from backend.notifier import event_key, log_key, tail
from handlers.sdk import EventType

STATS_INTERVAL_SECONDS = 0.5


def _order_of(event: EventRecord) -> Order:
    return Order.of(orders.Order.from_snapshot(event.payload["order"]))


def _all_events_after(info: Info) -> Callable[[int], Awaitable[list[EventRecord]]]:
    """A loader of every event after a cursor: whatever a feed's memory no longer has."""
    db = info.context.services.db

    async def load(cursor: int) -> list[EventRecord]:
        return await db.read(lambda conn: events.page_after(conn, cursor))

    return load


@strawberry.type
class Subscription:
    @strawberry.subscription(permission_classes=GUARDED)
    @metered
    async def order_changes(
        self, info: Info, after_seq: int | None = None
    ) -> AsyncGenerator[OrderChange, None]:
        """Every change to any order after ``afterSeq`` (none: from now), then live."""
        services = info.context.services
        feed = services.notifier.events
        start = feed.last_key if after_seq is None else max(after_seq, 0)
        info.context.position = start

        async for event in tail(feed, event_key, start, _all_events_after(info)):
            if event.order_id is not None:
                info.context.position = event.seq
                yield OrderChange(seq=event.seq, type=event.type, order=_order_of(event))

    @strawberry.subscription(name="order", permission_classes=GUARDED)
    @metered
    async def order_live(self, info: Info, id: strawberry.ID) -> AsyncGenerator[Order, None]:
        """One order: its current state first, then its state after each change."""
        order_id = check_id(str(id), "id")
        authorize_order(info.context.principal, order_id)
        services = info.context.services

        def current(conn: sqlite3.Connection) -> tuple[orders.Order | None, int]:
            return orders.load_order(conn, order_id), events.last_seq_of_order(conn, order_id)

        async def load(cursor: int) -> list[EventRecord]:
            return await services.db.read(
                lambda conn: events.order_page_after(conn, order_id, cursor)
            )

        # Its order's own feed: other orders' changes do not wake this reader. Held
        # before the read, which so sees every event up to the feed's floor then: none
        # of this order's falls between ``seen`` and that floor, and the tail starts
        # from memory (from ``seen``, each follower's first change went to the database).
        with services.notifier.following(order_id) as feed:
            floor = feed.floor
            # A few rows by key, read on the loop's thread (as Query.order): a hop to a
            # reader took several ms at a rush, while a customer's page waited for it.
            found, seen = services.db.read_now(current)
            if found is None:
                raise NotFound(
                    f"there is no order with id {order_id!r}; use the id placeOrder returned",
                    field="id",
                )
            info.context.position = seen
            yield Order.of(found)
            async for event in tail(feed, event_key, max(seen, floor), load):
                info.context.position = event.seq
                yield _order_of(event)

    @strawberry.subscription(
        name="pickupBoard",
        permission_classes=GUARDED,
        description="The pickup screen's board (as Query.pickupBoard) now, then again "
        "after each change to it (public).",
    )
    @metered
    async def pickup_board_live(self, info: Info) -> AsyncGenerator[list[PickupEntry], None]:
        services = info.context.services

        def current(conn: sqlite3.Connection) -> tuple[pickup.Board, int]:
            return pickup.load_board(conn), events.last_seq(conn)

        board, seen = await services.db.read(current)
        yield PickupEntry.board(board)
        async for event in tail(services.notifier.events, event_key, seen, _all_events_after(info)):
            order = event.payload.get("order") if event.order_id is not None else None
            if order is not None and pickup.apply(board, order):
                yield PickupEntry.board(board)

    @strawberry.subscription(
        name="menu",
        permission_classes=GUARDED,
        description="The whole menu (as Query.menu) now, then again after each item's "
        "change of availability (public).",
    )
    @metered
    async def menu_live(self, info: Info) -> AsyncGenerator[list[MenuItem], None]:
        services = info.context.services

        def current(conn: sqlite3.Connection) -> list[MenuItem]:
            groups = menu.modifier_groups(conn)
            return [MenuItem.of(item, groups) for item in menu.list_menu(conn)]

        items, seen = await services.db.read(lambda conn: (current(conn), events.last_seq(conn)))
        yield items
        async for event in tail(services.notifier.events, event_key, seen, _all_events_after(info)):
            if event.type == EventType.MENU_ITEM_CHANGED:
                yield await services.db.read(current)

    @strawberry.subscription(permission_classes=GUARDED)
    @metered
    async def event_log(
        self,
        info: Info,
        after: str | None = None,
        types: Annotated[
            list[str] | None,
            strawberry.argument(description="Only events of these types (none: all)."),
        ] = None,
    ) -> AsyncGenerator[EventLogEntry, None]:
        """New events and delivery changes after the cursor ``after`` (none: from now)."""
        services = info.context.services
        feed = services.notifier.log
        start = feed.last_key if after is None else parse_cursor(after, "after")
        info.context.position = start
        wanted = None if types is None else frozenset(types)

        async def load(cursor: int) -> list[LogEntry]:
            return await services.db.read(lambda conn: events.log_after(conn, cursor))

        async for entry in tail(feed, log_key, start, load):
            if wanted is None or entry.event.type in wanted:
                info.context.position = entry.cursor
                yield EventLogEntry(cursor=str(entry.cursor), event=Event.of(entry.event))

    @strawberry.subscription(permission_classes=GUARDED)
    @metered
    async def handler_stats(self, info: Info) -> AsyncGenerator[list[Handler], None]:
        """Every handler's figures now, then again whenever they changed."""
        services = info.context.services
        notifier = services.notifier
        last: list[Handler] | None = None
        while True:
            seen = notifier.version
            rows: list[Handler] = await services.handler_figures.get(
                seen, lambda: handler_rows(info)
            )
            if rows != last:
                last = rows
                yield rows
            await notifier.wait_version(seen)
            # Under load many commits land each second; figures twice a second suffice.
            await asyncio.sleep(STATS_INTERVAL_SECONDS)
