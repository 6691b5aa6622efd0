"""Paging the event log newest first: ``events(beforeSeq:)`` pages back in time."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from ui.models.events import (
    Delivery,
    DeliveryStatus,
    EventFilter,
    EventRow,
    Invocation,
    Resolution,
)

Execute = Callable[[str, dict[str, Any] | None], Awaitable[dict[str, Any]]]

MAX_FIRST = 500  # the API's largest page (backend settings MAX_PAGE)
PAGE_ROWS = 200  # a page of older events
MAX_INT = 2**31 - 1  # GraphQL's Int is 32 bits: "before everything"

EVENT_FRAGMENT = """
fragment EventFields on Event {
  seq id type orderId createdAt payload
  deliveries {
    handler status attempts nextAttemptAt lastError
    invocations { attempt startedAt durationMs outcome error traceback }
    resolution { reason resolvedBy resolvedAt }
  }
}
"""
HEAD = f"query Head {{ events(beforeSeq: {MAX_INT}, first: 1) {{ seq }} }}"
PAGE = (
    """
query Page($after: Int!, $before: Int!, $first: Int!, $type: String, $handler: String,
           $status: DeliveryStatus, $orderId: ID, $search: String) {
  events(afterSeq: $after, beforeSeq: $before, first: $first, type: $type,
         handler: $handler, deliveryStatus: $status, orderId: $orderId, search: $search) {
    ...EventFields
  }
}
"""
    + EVENT_FRAGMENT
)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _resolution(data: dict[str, Any] | None) -> Resolution | None:
    if data is None:
        return None
    return Resolution(
        reason=data["reason"],
        resolved_by=data["resolvedBy"],
        resolved_at=datetime.fromisoformat(data["resolvedAt"]),
    )


def event_row(data: dict[str, Any]) -> EventRow:
    """An ``Event`` selected with :data:`EVENT_FRAGMENT`, as a row."""
    payload = data["payload"]
    if isinstance(payload, str):  # a JSON scalar may arrive still encoded
        payload = json.loads(payload)
    return EventRow.create(
        seq=data["seq"],
        id=data["id"],
        type=data["type"],
        order_id=data.get("orderId"),
        created_at=datetime.fromisoformat(data["createdAt"]),
        payload=payload,
        deliveries=tuple(
            Delivery(
                handler=d["handler"],
                status=DeliveryStatus(d["status"]),
                attempts=d["attempts"],
                next_attempt_at=_time(d.get("nextAttemptAt")),
                last_error=d.get("lastError"),
                invocations=tuple(
                    Invocation(
                        attempt=i["attempt"],
                        started_at=datetime.fromisoformat(i["startedAt"]),
                        duration_ms=i["durationMs"],
                        outcome=i["outcome"],
                        error=i.get("error"),
                        traceback=i.get("traceback"),
                    )
                    for i in d.get("invocations") or ()
                ),
                resolution=_resolution(d.get("resolution")),
            )
            for d in data.get("deliveries") or ()
        ),
    )


class EventPages:
    """Reads pages of the log for one :class:`EventFilter` (its server arguments)."""

    def __init__(self, execute: Execute, wanted: EventFilter) -> None:
        self._execute = execute
        self._variables: dict[str, Any] = {
            key if key != "deliveryStatus" else "status": value
            for key, value in wanted.server_arguments.items()
        }
        self.filtered = wanted.pages_on_server

    async def head(self) -> int:
        """The newest seq in the log (0 when empty)."""
        events = (await self._execute(HEAD, None))["events"]
        return int(events[0]["seq"]) if events else 0

    async def older(self, floor: int) -> tuple[list[EventRow], int]:
        """Matching events below ``floor`` (newest first) and the new floor: every
        matching event below it has been read."""
        if floor <= 1:
            return [], 1
        rows = await self._page(0, floor, PAGE_ROWS)
        if len(rows) < PAGE_ROWS:
            return rows, 1
        return rows, rows[-1].seq

    async def after(self, seq: int, before: int) -> list[EventRow]:
        """The matching events with ``seq < s < before`` (a gap the live feed skipped)."""
        rows: list[EventRow] = []
        while seq < before - 1:
            page = await self._page(seq, before, MAX_FIRST)
            rows += page
            if len(page) < MAX_FIRST:
                break
            before = page[-1].seq
        return rows

    async def _page(self, after: int, before: int, count: int) -> list[EventRow]:
        """Up to ``count`` matching events with ``after < seq < before``, newest first."""
        variables = {**self._variables, "after": after, "before": before, "first": count}
        data = await self._execute(PAGE, variables)
        return [event_row(e) for e in data["events"]]
