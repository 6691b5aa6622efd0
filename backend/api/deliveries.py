"""What staff do about deliveries: retry, replay, resolve, pause and resume handlers."""

from __future__ import annotations

from typing import Annotated

import strawberry

from backend.api.permissions import GUARDED
from backend.api.query import handler_rows
from backend.api.types import Delivery, DeliveryFilter, Handler, Info
from backend.delivery_commands import MAX_TERMINAL_CHARS, DeliveryCommands, resolver
from backend.errors import NotFound

TERMINAL = Annotated[
    str | None,
    strawberry.argument(
        description="Which terminal resolves (its host name, at most "
        f'{MAX_TERMINAL_CHARS} characters): resolvedBy is then "staff at <terminal>".'
    ),
]


def _commands(info: Info) -> DeliveryCommands:
    commands = info.context.services.delivery_commands
    assert commands is not None, "the backend runs without an event runner"
    return commands


async def _handler(info: Info, name: str) -> Handler:
    for row in await handler_rows(info):
        if row.name == name:
            return row
    raise NotFound(f"there is no handler {name!r}", field="name")


@strawberry.type
class DeliveryMutation:
    @strawberry.mutation(permission_classes=GUARDED)
    async def retry_delivery(self, info: Info, event_seq: int, handler: str) -> Delivery:
        return Delivery.of(await _commands(info).retry_delivery(event_seq, handler))

    @strawberry.mutation(permission_classes=GUARDED, description="How many were made due.")
    async def retry_dead(self, info: Info, handler: str) -> int:
        return await _commands(info).retry_dead(handler)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Settle a DEAD delivery that must not run again (RESOLVED), with why.",
    )
    async def resolve_delivery(
        self, info: Info, event_seq: int, handler: str, reason: str, terminal: TERMINAL = None
    ) -> Delivery:
        by = resolver(info.context.principal.role.value, terminal)
        return Delivery.of(await _commands(info).resolve_delivery(event_seq, handler, reason, by))

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Resolve every DEAD delivery matching the filter, in one transaction "
        "(at most 10000: LIMIT_EXCEEDED past it); how many.",
    )
    async def resolve_deliveries(
        self, info: Info, filter: DeliveryFilter, reason: str, terminal: TERMINAL = None
    ) -> int:
        by = resolver(info.context.principal.role.value, terminal)
        return await _commands(info).resolve_matching(filter.to_domain(), reason, by)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Make every DEAD delivery matching the filter due now, in one "
        "transaction (at most 10000: LIMIT_EXCEEDED past it); how many.",
    )
    async def retry_deliveries(self, info: Info, filter: DeliveryFilter) -> int:
        return await _commands(info).retry_matching(filter.to_domain())

    @strawberry.mutation(
        permission_classes=GUARDED, description="No handlers given: all of the event's handlers."
    )
    async def replay_event(
        self, info: Info, event_seq: int, handlers: list[str] | None = None
    ) -> list[Delivery]:
        rows = await _commands(info).replay_event(event_seq, handlers)
        return [Delivery.of(row) for row in rows]

    @strawberry.mutation(permission_classes=GUARDED)
    async def pause_handler(self, info: Info, name: str) -> Handler:
        await _commands(info).set_paused(name, True)
        return await _handler(info, name)

    @strawberry.mutation(permission_classes=GUARDED)
    async def resume_handler(self, info: Info, name: str) -> Handler:
        await _commands(info).set_paused(name, False)
        return await _handler(info, name)
