"""Query resolvers: translate arguments, read through the domain, shape the result."""

from __future__ import annotations

from typing import Annotated

import strawberry

from backend import activity, events, handler_stats, menu, orders, pickup, states, ticket_times
from backend.api.arguments import check_first, check_id, parse_cursor
from backend.api.permissions import GUARDED
from backend.api.types import (
    BackupStatus,
    DeliveryFilter,
    DeliveryStatus,
    Event,
    Handler,
    HandlerLifetime,
    Info,
    MenuItem,
    MinuteActivity,
    Order,
    OrderStatus,
    PickupEntry,
    TicketTimes,
)
from backend.auth import authorize_order
from backend.database import utc_now
from backend.errors import BadUserInput
from backend.search import fts_query
from backend.settings import MAX_PAGE


async def handler_rows(info: Info) -> list[Handler]:
    services = info.context.services
    rows, lifetimes = await services.db.read(
        lambda conn: (
            handler_stats.handler_stats(conn, services.registry),
            activity.lifetimes(conn),
        )
    )
    never = activity.Lifetime(0, 0, 0)
    return [
        Handler(
            name=row.name,
            events=list(row.events),
            paused=row.paused,
            ordered=row.ordered,
            pending=row.counts[states.DeliveryStatus.PENDING],
            running=row.counts[states.DeliveryStatus.RUNNING],
            succeeded=row.counts[states.DeliveryStatus.SUCCEEDED],
            retrying=row.counts[states.DeliveryStatus.RETRYING],
            dead=row.counts[states.DeliveryStatus.DEAD],
            resolved=row.counts[states.DeliveryStatus.RESOLVED],
            p50_ms=row.p50_ms,
            p95_ms=row.p95_ms,
            oldest_pending_seconds=row.oldest_pending_seconds,
            last_error=row.last_error,
            lifetime=HandlerLifetime.of(lifetimes.get(row.name, never)),
        )
        for row in rows
    ]


@strawberry.type
class Query:
    @strawberry.field(
        permission_classes=GUARDED,
        description="The restaurant's region (ISO 3166 code): phone numbers without a "
        "country code are read as of it; null: numbers need +CC.",
    )
    def phone_region(self, info: Info) -> str | None:
        region: str | None = info.context.services.phone_region
        return region

    @strawberry.field(
        permission_classes=GUARDED,
        description="The pickup screen's board: paid orders collected at the counter "
        "(TAKEAWAY only), PREPARING or READY, by number (public).",
    )
    async def pickup_board(self, info: Info) -> list[PickupEntry]:
        board = await info.context.services.db.read(pickup.load_board)
        return PickupEntry.board(board)

    @strawberry.field(permission_classes=GUARDED)
    async def menu(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(
                description="Only these items, in the order given; ids not on the menu "
                "are left out."
            ),
        ] = None,
    ) -> list[MenuItem]:
        db = info.context.services.db
        if ids is None:
            rows, groups = db.read_now(
                lambda conn: (menu.list_menu(conn), menu.modifier_groups(conn))
            )
            return [MenuItem.of(row, groups) for row in rows]
        if len(ids) > MAX_PAGE:
            raise BadUserInput(f"ask for at most {MAX_PAGE} ids", field="ids")
        wanted = list(dict.fromkeys(check_id(str(item_id), "ids") for item_id in ids))
        found, groups = db.read_now(
            lambda conn: (menu.items_by_id(conn, wanted), menu.modifier_groups(conn, wanted))
        )
        return [MenuItem.of(found[item_id], groups) for item_id in wanted if item_id in found]

    @strawberry.field(permission_classes=GUARDED)
    async def order(self, info: Info, id: strawberry.ID) -> Order | None:
        order_id = check_id(str(id), "id")
        authorize_order(info.context.principal, order_id)
        found = info.context.services.db.read_now(lambda conn: orders.load_order(conn, order_id))
        return None if found is None else Order.of(found)

    @strawberry.field(permission_classes=GUARDED)
    async def orders(
        self,
        info: Info,
        status: list[OrderStatus] | None = None,  # type: ignore[valid-type]
        first: int = 100,
        after: str | None = None,
    ) -> list[Order]:
        limit = check_first(first)
        after_number = parse_cursor(after, "after")
        wanted = None if status is None else list(status)
        found = await info.context.services.db.read(
            lambda conn: orders.list_orders(conn, wanted, limit, after_number)
        )
        return [Order.of(order) for order in found]

    @strawberry.field(permission_classes=GUARDED)
    async def events(
        self,
        info: Info,
        after_seq: int | None = None,
        first: int = 100,
        type: str | None = None,
        order_id: strawberry.ID | None = None,
        delivery_status: DeliveryStatus | None = None,  # type: ignore[valid-type]
        handler: str | None = None,
        before_seq: Annotated[
            int | None,
            strawberry.argument(
                description="Page back in time: events older than this seq, newest first."
            ),
        ] = None,
        search: Annotated[
            str | None,
            strawberry.argument(
                description="Only events with every word of this text in their type, "
                "payload, handlers or their errors (a word matches the words it begins, "
                "case- and accent-insensitively); #42, or 42 alone, is order 42."
            ),
        ] = None,
    ) -> list[Event]:
        limit = check_first(first)
        wanted = None if search is None else fts_query(search)
        records = await info.context.services.db.read(
            lambda conn: events.list_events(
                conn,
                after_seq=after_seq or 0,
                before_seq=before_seq,
                first=limit,
                type=type,
                order_id=None if order_id is None else str(order_id),
                delivery_status=delivery_status,
                handler=handler,
                search=wanted,
            )
        )
        return [Event.of(record) for record in records]

    @strawberry.field(permission_classes=GUARDED)
    async def event(self, info: Info, seq: int) -> Event | None:
        record = await info.context.services.db.read(lambda conn: events.get_event(conn, seq))
        return None if record is None else Event.of(record)

    @strawberry.field(permission_classes=GUARDED)
    async def handlers(self, info: Info) -> list[Handler]:
        return await handler_rows(info)

    @strawberry.field(
        permission_classes=GUARDED,
        description="Events and failed handler attempts per minute over the last "
        f"`minutes` (at most {activity.MAX_MINUTES}, a day), oldest first, ending with "
        "the current minute.",
    )
    async def handler_activity(self, info: Info, minutes: int = 60) -> list[MinuteActivity]:
        wanted = activity.check_minutes(minutes)
        now = utc_now()
        found = await info.context.services.db.read(
            lambda conn: activity.per_minute(conn, wanted, now)
        )
        return [MinuteActivity(minute=m.start, events=m.events, failures=m.failures) for m in found]

    @strawberry.field(
        permission_classes=GUARDED,
        description="The average time from payment to ready of the orders made ready in "
        "the last hour, and how many they were (staff).",
    )
    async def ticket_times(self, info: Info) -> TicketTimes:
        now = utc_now()
        found = await info.context.services.db.read(lambda conn: ticket_times.last_hour(conn, now))
        return TicketTimes(count=found.count, average_seconds=found.average_seconds)

    @strawberry.field(
        permission_classes=GUARDED,
        description="How many DEAD deliveries match the filter: what resolveDeliveries "
        "and retryDeliveries would act on.",
    )
    async def dead_delivery_count(self, info: Info, filter: DeliveryFilter) -> int:
        commands = info.context.services.delivery_commands
        assert commands is not None, "the backend runs without an event runner"
        return await commands.count_dead(filter.to_domain())

    @strawberry.field(
        permission_classes=GUARDED,
        description="When the last good backup was made, and where backups go (staff).",
    )
    async def backup_status(self, info: Info) -> BackupStatus:
        backups = info.context.services.backups
        if backups is None:  # a backend assembled without backups (some tests)
            return BackupStatus(last_good_at=None, folder="", last_error="backups are off")
        return BackupStatus.of(backups.status)
