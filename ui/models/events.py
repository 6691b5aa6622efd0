"""The event log as Qt models: events newest first, paged in on demand, filtered locally."""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)

from ui.models._filter import rows_filter_change
from ui.models._table import CENTER, LEFT, RIGHT, ROW_ROLE, FlatTableModel, Index


class DeliveryStatus(StrEnum):
    """Where one delivery of an event to one handler stands (the API's DeliveryStatus,
    held to docs/schema.graphql by tests/test_contract.py)."""

    PENDING = "PENDING"  # due, waiting for the runner (or for its paused handler)
    RUNNING = "RUNNING"  # an attempt is under way
    SUCCEEDED = "SUCCEEDED"  # the handler returned
    RETRYING = "RETRYING"  # the last attempt failed; due again after a backoff
    DEAD = "DEAD"  # out of attempts or a permanent error: waits for a person
    RESOLVED = "RESOLVED"  # a dead one a person settled, with a reason: shown muted

    @property
    def failed(self) -> bool:
        """The last attempt failed: a person may retry it now."""
        return self in (DeliveryStatus.RETRYING, DeliveryStatus.DEAD)


# The most alarming status first: an event shows the worst of its deliveries.
SEVERITY = (
    DeliveryStatus.DEAD,
    DeliveryStatus.RETRYING,
    DeliveryStatus.RUNNING,
    DeliveryStatus.PENDING,
    DeliveryStatus.RESOLVED,
    DeliveryStatus.SUCCEEDED,
)


@dataclass(frozen=True, slots=True)
class Invocation:
    """One attempt of a delivery."""

    attempt: int
    started_at: datetime
    duration_ms: float
    outcome: str
    error: str | None
    traceback: str | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """Who settled a RESOLVED delivery, and why."""

    reason: str
    resolved_by: str
    resolved_at: datetime


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event's delivery to one handler, with its attempts oldest first."""

    handler: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    invocations: tuple[Invocation, ...] = ()
    resolution: Resolution | None = None


@dataclass(frozen=True, eq=True)
class EventRow:
    """One event of the log and the state of its deliveries.

    The payload is kept as its compact JSON text, parsed only when asked for (the
    detail pane): a parsed order snapshot costs several times the memory, and a log
    scrolled far back holds many thousand rows.
    """

    seq: int
    id: str
    type: str
    order_id: str | None
    created_at: datetime
    payload_json: str = "{}"
    deliveries: tuple[Delivery, ...] = ()
    order_number: int | None = None  # the order's number from the payload, if any

    @classmethod
    def create(
        cls,
        seq: int,
        id: str,
        type: str,
        order_id: str | None,
        created_at: datetime,
        payload: Mapping[str, Any],
        deliveries: tuple[Delivery, ...] = (),
    ) -> EventRow:
        order = payload.get("order")
        number = order.get("number") if isinstance(order, Mapping) else None
        return cls(
            seq=seq,
            id=id,
            type=type,
            order_id=order_id,
            created_at=created_at,
            payload_json=json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
            deliveries=deliveries,
            order_number=number if isinstance(number, int) else None,
        )

    @property
    def payload(self) -> dict[str, Any]:
        value = json.loads(self.payload_json)
        return value if isinstance(value, dict) else {"value": value}

    @property
    def worst_status(self) -> DeliveryStatus | None:
        present = {delivery.status for delivery in self.deliveries}
        return next((status for status in SEVERITY if status in present), None)

    def delivery(self, handler: str) -> Delivery | None:
        return next((d for d in self.deliveries if d.handler == handler), None)

    @cached_property
    def search_text(self) -> str:
        """Everything the free-text filter looks in, lower case (computed once per row)."""
        parts = [str(self.seq), self.type, self.order_id or ""]
        if self.order_number is not None:
            parts.append(f"#{self.order_number}")
        for delivery in self.deliveries:
            parts += [delivery.handler, delivery.status.value, delivery.last_error or ""]
        parts.append(self.payload_json)
        return "\n".join(parts).lower()


def local_time(moment: datetime) -> str:
    return moment.astimezone().strftime("%H:%M:%S")


def deliveries_text(row: EventRow) -> str:
    return "  ".join(f"{d.handler} {d.status.value}" for d in row.deliveries) or "no handlers"


PHONE_DIGITS = 6  # a number this long also matches the payload (backend/search.py)


@dataclass(frozen=True, slots=True)
class EventFilter:
    """What the operator asked to see; empty fields match everything.

    ``type``, ``handler``, ``status``, ``order_id`` and ``text`` (as ``events(search:)``)
    are what the server pages by; ``order_number`` (``42`` or ``#42``) is matched here.
    A ``handler`` with a ``status`` means one delivery to that handler in that status,
    as the API's ``events(handler:, deliveryStatus:)`` reads them.
    """

    type: str | None = None
    handler: str | None = None
    status: DeliveryStatus | None = None
    order_id: str | None = None
    order_number: int | None = None
    text: str = ""

    @property
    def server_arguments(self) -> dict[str, str | None]:
        return {
            "type": self.type,
            "handler": self.handler,
            "deliveryStatus": None if self.status is None else self.status.value,
            "orderId": self.order_id,
            "search": self.search,
        }

    @property
    def search(self) -> str | None:
        """``text`` for the server; None when it has nothing to search for (no letter
        or digit), as the server would refuse it."""
        return self.text if any(c.isalnum() for c in self.text) else None

    @property
    def pages_on_server(self) -> bool:
        return any(value is not None for value in self.server_arguments.values())

    def accepts(self, row: EventRow) -> bool:
        if self.type is not None and row.type != self.type:
            return False
        if self.order_id is not None and row.order_id != self.order_id:
            return False
        if self.order_number is not None and row.order_number != self.order_number:
            return False
        if (self.handler is not None or self.status is not None) and not any(
            (self.handler is None or d.handler == self.handler)
            and (self.status is None or d.status is self.status)
            for d in row.deliveries
        ):
            return False
        return self.search is None or _found(self.text, row)


def _found(text: str, row: EventRow) -> bool:
    """Whether ``row`` has every word of ``text``: the server's search (backend/search.py),
    as near as the row's text allows, for the live events it did not read."""
    words = [word for word in text.lower().split() if any(c.isalnum() for c in word)]
    for word in words:
        digits = word.removeprefix("#")
        if digits.isascii() and digits.isdigit() and (len(words) == 1 or word != digits):
            if row.order_number != int(digits) and (
                word != digits or len(digits) < PHONE_DIGITS or digits not in row.search_text
            ):
                return False
        elif word not in row.search_text:
            return False
    return True


class EventLogModel(FlatTableModel[EventRow]):
    """Events newest first. New events go on top, older pages at the bottom.

    The model never fetches: when a view scrolls to the end, :meth:`fetchMore` emits
    ``olderWanted`` once, and whoever owns the network answers with :meth:`add_older`.
    """

    SEQ, TIME, TYPE, ORDER, DELIVERIES = range(5)
    headers = ("#", "Time", "Event", "Order", "Deliveries")

    olderWanted = Signal()
    pagingChanged = Signal()  # more_available or loading changed

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._keys: list[int] = []  # -seq of each row: ascending, for bisect
        self.more_available = False
        self.loading = False

    # -- reading --------------------------------------------------------------------------

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = RIGHT if column in (self.SEQ, self.ORDER) else LEFT
            return int((CENTER if column == self.TIME else align).value)
        if role == Qt.ItemDataRole.ToolTipRole and column == self.DELIVERIES:
            return "\n".join(
                f"{d.handler}: {d.status.value} after {d.attempts} attempt(s)"
                + (f"\n    {d.last_error}" if d.last_error and d.status.failed else "")
                for d in row.deliveries
            )
        return None

    def _text(self, row: EventRow, column: int) -> str:
        if column == self.SEQ:
            return str(row.seq)
        if column == self.TIME:
            return local_time(row.created_at)
        if column == self.TYPE:
            return row.type
        if column == self.ORDER:
            return "" if row.order_number is None else f"#{row.order_number}"
        return deliveries_text(row)

    def position(self, seq: int) -> int | None:
        at = bisect.bisect_left(self._keys, -seq)
        return at if at < len(self._keys) and self._keys[at] == -seq else None

    def get(self, seq: int) -> EventRow | None:
        at = self.position(seq)
        return None if at is None else self._rows[at]

    @property
    def newest_seq(self) -> int | None:
        return self._rows[0].seq if self._rows else None

    @property
    def oldest_seq(self) -> int | None:
        return self._rows[-1].seq if self._rows else None

    def __iter__(self) -> Iterator[EventRow]:
        return iter(self._rows)

    # -- paging ---------------------------------------------------------------------------

    def canFetchMore(self, parent: Index) -> bool:
        return not parent.isValid() and self.more_available and not self.loading

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self.loading = True
            self.pagingChanged.emit()
            self.olderWanted.emit()

    # -- changing -------------------------------------------------------------------------

    def upsert(self, row: EventRow) -> None:
        """Show ``row``: in place if its event is here, else where its seq belongs."""
        at = bisect.bisect_left(self._keys, -row.seq)
        if at < len(self._keys) and self._keys[at] == -row.seq:
            if self._rows[at] != row:
                self._rows[at] = row
                self._row_changed(at)
            return
        self.beginInsertRows(QModelIndex(), at, at)
        self._rows.insert(at, row)
        self._keys.insert(at, -row.seq)
        self.endInsertRows()

    def add_older(self, rows: Sequence[EventRow], *, more_available: bool) -> None:
        """A page answered to ``olderWanted``: events older than all shown, any order."""
        self.loading = False
        self.more_available = more_available
        fresh = sorted(
            (row for row in rows if self.position(row.seq) is None),
            key=lambda row: row.seq,
            reverse=True,
        )
        oldest = self.oldest_seq
        if oldest is not None and fresh and fresh[0].seq > oldest:
            for row in fresh:  # not a clean page below the oldest: place each one
                self.upsert(row)
            self.pagingChanged.emit()
            return
        if fresh:
            start = len(self._rows)
            self.beginInsertRows(QModelIndex(), start, start + len(fresh) - 1)
            self._rows.extend(fresh)
            self._keys.extend(-row.seq for row in fresh)
            self.endInsertRows()
        self.pagingChanged.emit()

    def clear(self, *, more_available: bool = False) -> None:
        """Forget every row: a new filter is a new list, not a change of one row."""
        self.beginResetModel()
        self._rows.clear()
        self._keys.clear()
        self.loading = False
        self.more_available = more_available
        self.endResetModel()
        self.pagingChanged.emit()


class EventFilterProxy(QSortFilterProxyModel):
    """The rows of an :class:`EventLogModel` that pass an :class:`EventFilter`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.filter = EventFilter()

    def set_filter(self, wanted: EventFilter) -> None:
        if wanted != self.filter:
            with rows_filter_change(self):
                self.filter = wanted

    def filterAcceptsRow(
        self,
        source_row: int,
        source_parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        source = self.sourceModel()
        if not isinstance(source, EventLogModel) or source_parent.isValid():
            return True
        return self.filter.accepts(source.row(source_row))

    def event_at(self, row: int) -> EventRow | None:
        value = self.index(row, 0).data(ROW_ROLE)
        return value if isinstance(value, EventRow) else None
