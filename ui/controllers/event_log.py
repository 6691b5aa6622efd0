"""Wires the event log panel to the backend: pages, the live log, retry, replay and
resolve, one delivery at a time or every dead one matching the filter."""

from __future__ import annotations

import logging
import socket
from dataclasses import replace
from typing import Any

from PySide6.QtCore import QObject

from ui.client import GraphQLClient
from ui.controllers._event_pages import EVENT_FRAGMENT, EventPages, event_row
from ui.controllers._panel import LogFollower
from ui.models.events import (
    DeliveryStatus,
    EventFilter,
    EventFilterProxy,
    EventLogModel,
    EventRow,
)
from ui.views.event_log import EventLogView

log = logging.getLogger(__name__)

EVENT_LOG = (
    """
subscription EventLog($after: String) {
  eventLog(after: $after) { cursor event { ...EventFields } }
}
"""
    + EVENT_FRAGMENT
)
UNSETTLED = (DeliveryStatus.PENDING, DeliveryStatus.RUNNING, DeliveryStatus.RETRYING)
HANDLER_NAMES = "query HandlerNames { handlers { name } }"
LOADING = "Loading the newest events…"  # the status line while a reload reads its pages
ORDER_BY_NUMBER = """
query OrderByNumber($after: String) { orders(first: 1, after: $after) { id number } }
"""
RETRY_DELIVERY = """
mutation RetryDelivery($seq: Int!, $handler: String!) {
  retryDelivery(eventSeq: $seq, handler: $handler) { handler status }
}
"""
REPLAY_EVENT = """
mutation ReplayEvent($seq: Int!, $handlers: [String!]) {
  replayEvent(eventSeq: $seq, handlers: $handlers) { handler status }
}
"""
RESOLVE_DELIVERY = """
mutation ResolveDelivery($seq: Int!, $handler: String!, $reason: String!, $terminal: String) {
  resolveDelivery(eventSeq: $seq, handler: $handler, reason: $reason, terminal: $terminal) {
    handler status
  }
}
"""
DEAD_COUNT = """
query DeadCount($filter: DeliveryFilter!) { deadDeliveryCount(filter: $filter) }
"""
RESOLVE_DELIVERIES = """
mutation ResolveDeliveries($filter: DeliveryFilter!, $reason: String!, $terminal: String) {
  resolveDeliveries(filter: $filter, reason: $reason, terminal: $terminal)
}
"""
RETRY_DELIVERIES = """
mutation RetryDeliveries($filter: DeliveryFilter!) { retryDeliveries(filter: $filter) }
"""


MAX_TERMINAL_CHARS = 64  # the API's limit of resolveDelivery(terminal:)


def terminal() -> str | None:
    """This computer's name, for a resolution to say which screen it came from (one
    staff token is shared by every terminal); None when it has none the API takes."""
    name = socket.gethostname().strip()
    return name if 0 < len(name) <= MAX_TERMINAL_CHARS and name.isprintable() else None


def dead_filter(wanted: EventFilter) -> dict[str, str | None]:
    """The API's ``DeliveryFilter`` for the bulk commands: the log's type, handler,
    order and search, so that they act on the dead deliveries of the rows shown (the
    status filter is DEAD or none: see :func:`bulk_refusal`)."""
    return {
        "eventType": wanted.type,
        "handler": wanted.handler,
        "orderId": wanted.order_id,
        "search": wanted.search,
    }


def bulk_refusal(wanted: EventFilter) -> str | None:
    """Why the bulk commands cannot act on the log as filtered, or None when they can."""
    if wanted.order_number is not None and wanted.order_id is None:
        # Left out, the order would widen the filter to every order.
        return f"There is no order #{wanted.order_number}; fix or clear the order box"
    if wanted.status is not None and wanted.status is not DeliveryStatus.DEAD:
        # The rows shown have a delivery in another status: acting on their dead ones
        # too would touch deliveries the operator did not pick.
        return (
            f"The bulk commands act on dead deliveries, and the log shows "
            f"{wanted.status.value} ones; set Status to DEAD or All first"
        )
    return None


def dead_scope(wanted: EventFilter) -> str:
    """Which dead deliveries ``dead_filter`` picks, in words for a confirmation."""
    parts = [
        f"{label} {value}"
        for label, value in (
            ("of type", wanted.type),
            ("to", wanted.handler),
            (
                "of order",
                f"#{wanted.order_number}" if wanted.order_number is not None else wanted.order_id,
            ),
            ("matching", None if wanted.search is None else f"“{wanted.search}”"),
        )
        if value is not None
    ]
    return " ".join(parts) if parts else "in the whole log"


def _server_part(wanted: EventFilter) -> EventFilter:
    search = "" if wanted.search is None else wanted.text
    return EventFilter(wanted.type, wanted.handler, wanted.status, wanted.order_id, text=search)


class EventLogController(LogFollower):
    """Owns the event log's model; the view is ``view``.

    The model holds, for the current server filter, every matching event from the
    newest down to ``floor`` (older ones are paged in on demand) plus every live one.
    While a page is being read, live entries wait in ``backlog`` and are applied after
    it in log order, so a page's older snapshot never overwrites a newer change.
    """

    subscription = EVENT_LOG
    what = "the event log"

    def __init__(self, client: GraphQLClient, parent: QObject | None = None) -> None:
        self.model = EventLogModel()
        self.proxy = EventFilterProxy()
        self.proxy.setSourceModel(self.model)
        self.view = EventLogView(self.proxy)
        super().__init__(client, self.view.status, parent)
        self.model.setParent(self)
        self.proxy.setParent(self)
        self.filter = EventFilter()
        self.head = 0  # newest seq known to exist, whatever the filter
        self.floor = 1  # every matching event with seq >= floor has been read
        self.backlog: list[EventRow] | None = []  # None once the first page is in
        self._generation = 0  # a new filter makes pages still in flight stale
        self._resynced = False
        self._filter_requests = 0
        self.model.olderWanted.connect(self._older_wanted)
        self.view.filterChanged.connect(self._filter_changed)
        self.view.retryRequested.connect(self.retry)
        self.view.replayRequested.connect(self.replay)
        self.view.resolveRequested.connect(self.resolve)
        self.view.deadCountRequested.connect(lambda action: self.tasks.spawn(self.ask_bulk(action)))
        self.view.resolveAllRequested.connect(
            lambda reason: self.tasks.spawn(self.resolve_all(reason))
        )
        self.view.retryAllRequested.connect(lambda: self.tasks.spawn(self.retry_all()))

    def stop(self) -> None:
        # Reads still in flight find their generation stale and leave the model alone:
        # the window (and the model with it) may be gone by the time they return.
        self._generation += 1
        super().stop()

    async def read(self) -> None:
        """The handler names for the filter, then the newest page."""
        handlers = await self.client.execute(HANDLER_NAMES)
        self.view.set_handlers(h["name"] for h in handlers["handlers"])
        await self._reload()

    # -- paging ---------------------------------------------------------------------------

    async def _reload(self) -> None:
        self._generation += 1
        generation = self._generation
        self.backlog = []
        self.model.clear()
        self.model.loading = True
        self.floor = self.head + 1  # nothing below the newest known event is shown now
        pages = EventPages(self.client.execute, self.filter)
        self.status.show_message(LOADING)
        try:
            head = await pages.head()
        except BaseException:
            if generation == self._generation:
                self._page_done([], more_available=True)
            raise
        if generation != self._generation:
            return
        self.head = max(self.head, head)
        self.floor = self.head + 1
        await self._read_older(pages, generation)
        # Only its own line: a refusal said while the pages were read stays.
        if self.status.text() == LOADING:
            self.status.show_message("")

    def _older_wanted(self) -> None:
        pages = EventPages(self.client.execute, self.filter)
        self.tasks.spawn(self._read_older(pages, self._generation))

    async def _read_older(self, pages: EventPages, generation: int) -> None:
        try:
            rows, floor = await pages.older(self.floor)
        except BaseException:
            if generation == self._generation:
                self._page_done([], more_available=self.floor > 1)
            raise
        if generation != self._generation:
            return
        self.floor = floor
        self._page_done(rows, more_available=floor > 1)

    def _page_done(self, rows: list[EventRow], *, more_available: bool) -> None:
        self.model.add_older(rows, more_available=more_available)
        backlog, self.backlog = self.backlog, None
        for row in backlog or ():
            self._apply(row)

    # -- live -----------------------------------------------------------------------------

    def on_entry(self, entry: dict[str, Any]) -> None:
        row = event_row(entry["event"])
        self.view.add_event_type(row.type)
        if self.backlog is not None:
            self.backlog.append(row)
        else:
            self._apply(row)

    def _apply(self, row: EventRow) -> None:
        server = _server_part(self.filter)
        if row.seq > self.head:
            if row.seq > self.head + 1:
                self._fill_gap(self.head, row.seq)
            self.head = row.seq
            if server.accepts(row):
                self.model.upsert(row)
        elif self.model.position(row.seq) is not None or (
            row.seq >= self.floor and server.accepts(row)
        ):
            self.model.upsert(row)
        if not self._resynced:
            self._resynced = True
            self.tasks.spawn(self._resync(self._generation))

    def _fill_gap(self, after: int, before: int) -> None:
        """Events committed between the first page and the start of the live log."""
        generation = self._generation

        async def fill() -> None:
            rows = await EventPages(self.client.execute, self.filter).after(after, before)
            if generation == self._generation:
                for row in rows:
                    self._upsert_read(row)

        self.tasks.spawn(fill())

    async def _resync(self, generation: int) -> None:
        """Re-read the unsettled events of the first page once the live log is flowing.

        A delivery that changed after the page was read but before the server started
        the subscription would otherwise show its old status until it changed again.
        """
        if generation != self._generation:
            return
        unsettled = [row.seq for row in self.model if row.worst_status in UNSETTLED]
        if not unsettled:
            return
        pages = EventPages(self.client.execute, self.filter)
        low = max(min(unsettled), self.head - 500)
        rows = await pages.after(low - 1, self.head + 1)
        if generation == self._generation:
            for row in rows:
                if self.model.position(row.seq) is not None:
                    self._upsert_read(row)

    def _upsert_read(self, row: EventRow) -> None:
        # A read may be older than what the live log already showed for that event;
        # only a row the log has not touched since is replaced.
        current = self.model.get(row.seq)
        if current is None or _not_behind(current, row):
            self.model.upsert(row)

    # -- intents --------------------------------------------------------------------------

    def _filter_changed(self, wanted: EventFilter) -> None:
        self.tasks.spawn(self.apply_filter(wanted))

    async def apply_filter(self, wanted: EventFilter) -> None:
        """Show ``wanted``: locally at once; from the server when its paging part changed."""
        self._filter_requests += 1
        request = self._filter_requests
        if wanted.order_number is not None and wanted.order_id is None:
            found = await self.client.execute(
                ORDER_BY_NUMBER, {"after": str(max(0, wanted.order_number - 1))}
            )
            orders = found["orders"]
            if orders and orders[0]["number"] == wanted.order_number:
                wanted = replace(wanted, order_id=orders[0]["id"])
            else:
                missing = f"There is no order #{wanted.order_number}"
                self.status.show_message(missing, error=True)
            if request != self._filter_requests:
                return  # the operator asked for another filter meanwhile
        # The server searched the rows it gives (and _apply the live ones): the proxy
        # matching the text again, less well than the server, would hide some of them.
        self.proxy.set_filter(replace(wanted, text=""))
        previous, self.filter = self.filter, wanted
        if _server_part(previous) != _server_part(wanted):
            await self._reload()

    def retry(self, seq: int, handler: str) -> None:
        self.tasks.spawn(self._retry(seq, handler))

    async def _retry(self, seq: int, handler: str) -> None:
        self.status.show_message(f"Retrying {handler} for event #{seq}…")
        await self.client.execute(RETRY_DELIVERY, {"seq": seq, "handler": handler})
        self.status.show_message(f"{handler} is due again for event #{seq}")

    def replay(self, seq: int, handlers: list[str]) -> None:
        self.tasks.spawn(self._replay(seq, handlers))

    async def _replay(self, seq: int, handlers: list[str]) -> None:
        self.status.show_message(f"Replaying event #{seq}…")
        data = await self.client.execute(REPLAY_EVENT, {"seq": seq, "handlers": handlers})
        names = ", ".join(d["handler"] for d in data["replayEvent"])
        self.status.show_message(f"Event #{seq} replayed to {names}")

    def resolve(self, seq: int, handler: str, reason: str) -> None:
        self.tasks.spawn(self._resolve(seq, handler, reason))

    async def _resolve(self, seq: int, handler: str, reason: str) -> None:
        self.status.show_message(f"Resolving {handler} for event #{seq}…")
        variables = {"seq": seq, "handler": handler, "reason": reason, "terminal": terminal()}
        await self.client.execute(RESOLVE_DELIVERY, variables)
        self.status.show_message(f"{handler} for event #{seq} is resolved: {reason}")

    # The bulk commands act on the filter as applied (an order number already looked
    # up), and say how many they will touch before they do.

    async def ask_bulk(self, action: str) -> None:
        wanted = self.filter
        refused = bulk_refusal(wanted)
        if refused is not None:
            self.status.show_message(refused, error=True)
            return
        data = await self.client.execute(DEAD_COUNT, {"filter": dead_filter(wanted)})
        self.view.confirm_bulk(action, data["deadDeliveryCount"], dead_scope(wanted))

    async def resolve_all(self, reason: str) -> None:
        wanted = self.filter
        self.status.show_message("Resolving dead deliveries…")
        data = await self.client.execute(
            RESOLVE_DELIVERIES,
            {"filter": dead_filter(wanted), "reason": reason, "terminal": terminal()},
        )
        done = data["resolveDeliveries"]
        self.status.show_message(f"Resolved {_deliveries(done)} {dead_scope(wanted)}")

    async def retry_all(self) -> None:
        wanted = self.filter
        self.status.show_message("Retrying dead deliveries…")
        data = await self.client.execute(RETRY_DELIVERIES, {"filter": dead_filter(wanted)})
        done = data["retryDeliveries"]
        self.status.show_message(f"{_deliveries(done)} {dead_scope(wanted)} due again")


def _deliveries(count: int) -> str:
    return f"{count:,} dead deliver{'y' if count == 1 else 'ies'}"


def _not_behind(current: EventRow, read: EventRow) -> bool:
    """Whether ``read`` has at least as many attempts on every delivery as ``current``."""
    attempts = {d.handler: d.attempts for d in read.deliveries}
    return all(attempts.get(d.handler, -1) >= d.attempts for d in current.deliveries)
