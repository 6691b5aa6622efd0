"""The handlers' delivery figures as a table model, and their recent throughput."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from PySide6.QtCore import QObject

from ui.models._table import CENTER, RIGHT, STATUS_ROLE, Column, RowTableModel
from ui.models.events import DeliveryStatus

DAY_MINUTES = 24 * 60  # the server keeps figures by the minute for a day (handlerActivity)


class Span(Enum):
    """What the chart shows: its minutes, and how many minutes one point stands for."""

    HOUR = (60, 1)  # one point a minute
    DAY = (DAY_MINUTES, 10)  # one point per ten minutes, averaged

    @property
    def minutes(self) -> int:
        return self.value[0]

    @property
    def bucket(self) -> int:
        return self.value[1]


@dataclass(frozen=True, slots=True)
class HandlerRow:
    """One handler as the API's ``Handler`` type describes it."""

    name: str
    events: tuple[str, ...]
    paused: bool
    ordered: bool
    pending: int = 0
    running: int = 0
    succeeded: int = 0
    retrying: int = 0
    dead: int = 0
    resolved: int = 0  # dead ones a person settled: counted apart, never red
    p50_ms: float | None = None
    p95_ms: float | None = None
    oldest_pending_seconds: float | None = None
    last_error: str | None = None
    lifetime_attempts: int = 0  # since the handler's first attempt (Handler.lifetime)
    lifetime_failed: int = 0

    def count(self, status: DeliveryStatus) -> int:
        counts: int = getattr(self, status.value.lower())
        return counts


def _ms(value: float | None) -> str:
    return "" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def age(seconds: float | None) -> str:
    """A backlog age people read at a glance: 4 s, 3 min 20 s, 2 h 05 min."""
    if seconds is None:
        return ""
    whole = int(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _first_line(text: str | None) -> str:
    return "" if not text else text.splitlines()[0]


def _count(status: DeliveryStatus) -> Column[HandlerRow]:
    return Column(status.value.title(), lambda h: f"{h.count(status):,}", RIGHT)


HANDLER_COLUMNS: tuple[Column[HandlerRow], ...] = (
    Column("Handler", lambda h: h.name),
    Column("Listens to", lambda h: ", ".join(h.events), tooltip=lambda h: "\n".join(h.events)),
    Column("State", lambda h: "Paused" if h.paused else "Active", CENTER),
    Column("Ordered", lambda h: "yes" if h.ordered else "no", CENTER),
    *(_count(status) for status in DeliveryStatus),
    Column("p50 ms", lambda h: _ms(h.p50_ms), RIGHT),
    Column("p95 ms", lambda h: _ms(h.p95_ms), RIGHT),
    Column("Oldest pending", lambda h: age(h.oldest_pending_seconds), RIGHT),
    Column("Last error", lambda h: _first_line(h.last_error), tooltip=lambda h: h.last_error),
)
STATE_COLUMN = 2
FIRST_COUNT_COLUMN = 4


class HandlerModel(RowTableModel[HandlerRow]):
    """One row per handler, in the order the backend lists them."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(HANDLER_COLUMNS, key=lambda h: h.name, parent=parent)

    def extra_data(self, row: HandlerRow, column: int, role: int) -> Any:
        if role != STATUS_ROLE:
            return None
        if column == STATE_COLUMN:
            return DeliveryStatus.RETRYING if row.paused else None
        statuses = tuple(DeliveryStatus)
        offset = column - FIRST_COUNT_COLUMN
        if 0 <= offset < len(statuses):
            status = statuses[offset]
            # Only what needs a look stands out: failures, and a backlog.
            if status.failed or status is DeliveryStatus.PENDING:
                return status if row.count(status) else None
        return None

    def get(self, name: str) -> HandlerRow | None:
        position = self.find(name)
        return None if position is None else self.row(position)


class Throughput:
    """Events and failed attempts per minute over the last day.

    Two sources, so that the chart survives a restart of the window and still moves
    between reads: the server's figures (``handlerActivity``, read on open and each
    minute) and the events seen live since. A minute shows the larger of the two: the
    server's count of a minute is complete once it is over, the live count is ahead
    of it within the minute read last. Times are unix seconds; pure bookkeeping, the
    chart asks :meth:`series` for what to draw.
    """

    def __init__(self) -> None:
        self._server: dict[int, tuple[int, int]] = {}  # minute -> (events, failures)
        self._events: Counter[int] = Counter()
        self._failures: Counter[int] = Counter()

    def set_minutes(self, minutes: Iterable[tuple[float, int, int]]) -> None:
        """The server's figures: (minute's start, events, failures) for each minute."""
        self._server = {int(start) // 60: (events, failures) for start, events, failures in minutes}

    def add_event(self, at: float) -> None:
        self._events[int(at) // 60] += 1

    def add_failure(self, at: float) -> None:
        self._failures[int(at) // 60] += 1

    def series(self, now: float, minutes: int = 60) -> tuple[list[int], list[int]]:
        """Counts per minute, oldest first, for the ``minutes`` minutes up to ``now``'s."""
        last = int(now) // 60
        first = last - minutes + 1
        for counter in (self._events, self._failures):
            for minute in [m for m in counter if m <= last - DAY_MINUTES]:
                del counter[minute]
        events, failures = [], []
        for minute in range(first, last + 1):
            server_events, server_failures = self._server.get(minute, (0, 0))
            events.append(max(server_events, self._events[minute]))
            failures.append(max(server_failures, self._failures[minute]))
        return events, failures
