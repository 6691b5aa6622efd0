"""Per-handler delivery figures: counts by status, latency percentiles, backlog age."""

from __future__ import annotations

import sqlite3
import statistics
import time
from dataclasses import dataclass

from backend.registry import Registry
from backend.sql_blocks import SQL
from backend.states import DeliveryStatus

RECENT_ATTEMPTS = 500  # percentiles are over each handler's latest attempts


@dataclass(frozen=True, slots=True)
class HandlerStats:
    name: str
    events: tuple[str, ...]
    paused: bool
    ordered: bool
    counts: dict[DeliveryStatus, int]
    p50_ms: float | None
    p95_ms: float | None
    oldest_pending_seconds: float | None
    last_error: str | None


def _percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def handler_stats(conn: sqlite3.Connection, registry: Registry) -> list[HandlerStats]:
    counts: dict[str, dict[DeliveryStatus, int]] = {}
    for row in conn.execute(SQL.delivery_counts):
        counts.setdefault(row["handler"], {})[DeliveryStatus(row["status"])] = row["n"]
    paused = {row["name"] for row in conn.execute(SQL.paused_handlers)}
    now = time.time()
    result = []
    for definition in registry:
        name = {"handler": definition.name}
        oldest = conn.execute(SQL.oldest_due, name).fetchone()[0]
        durations = [
            row[0] for row in conn.execute(SQL.recent_durations, {**name, "limit": RECENT_ATTEMPTS})
        ]
        error = conn.execute(SQL.last_error, name).fetchone()
        result.append(
            HandlerStats(
                name=definition.name,
                events=definition.events,
                paused=definition.name in paused,
                ordered=definition.ordered,
                counts={
                    status: counts.get(definition.name, {}).get(status, 0)
                    for status in DeliveryStatus
                },
                p50_ms=_percentile(durations, 0.50),
                p95_ms=_percentile(durations, 0.95),
                oldest_pending_seconds=None if oldest is None else max(0.0, now - oldest),
                last_error=None if error is None else error[0],
            )
        )
    return result
