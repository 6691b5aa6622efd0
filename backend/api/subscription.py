"""Subscriptions: each resumes from its cursor out of the log, then follows commits live."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry

from backend import events, orders
from backend.api.arguments import check_id, parse_cursor
from backend.api.permissions import GUARDED
from backend.api.query import handler_rows
from backend.api.types import Event, EventLogEntry, Handler, Info, Order, OrderChange
from backend.auth import authorize_order
from backend.errors import NotFound
from backend.events import EventRecord, LogEntry
from backend.metrics import metered
from backend.notifier import event_key, log_key, tail

STATS_INTERVAL_SECONDS = 0.5


def _order_of(event: EventRecord) -> Order:
    return Order.of(orders.Order.from_snapshot(event.payload["order"]))


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

        async def load(cursor: int) -> list[EventRecord]:
            return await services.db.read(lambda conn: events.page_after(conn, cursor))

        async for event in tail(feed, event_key, start, load):
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

        found, seen = await services.db.read(current)
        if found is None:
            raise NotFound(
                f"there is no order with id {order_id!r}; use the id placeOrder returned",
                field="id",
            )
        info.context.position = seen
        yield Order.of(found)

        async def load(cursor: int) -> list[EventRecord]:
            return await services.db.read(
                lambda conn: events.order_page_after(conn, order_id, cursor)
            )

        # Its order's own feed: other orders' changes do not wake this reader.
        with services.notifier.following(order_id) as feed:
            async for event in tail(feed, event_key, seen, load):
                info.context.position = event.seq
                yield _order_of(event)

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
        notifier = info.context.services.notifier
        last: list[Handler] | None = None
        while True:
            seen = notifier.version
            rows = await handler_rows(info)
            if rows != last:
                last = rows
                yield rows
            await notifier.wait_version(seen)
            # Under load many commits land each second; figures twice a second suffice.
            await asyncio.sleep(STATS_INTERVAL_SECONDS)
