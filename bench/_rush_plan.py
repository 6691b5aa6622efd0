"""What bench.rush's processes share: the plan of the evening, what each process records,
and the handshake that starts and ends them together.

Every time is ``bench.common.now()`` (CLOCK_MONOTONIC, the same in every process of the
machine), so a staff action timed in one process and its arrival on a screen in another
are on one clock.
"""

from __future__ import annotations

import asyncio
import resource
import traceback
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from multiprocessing.queues import Queue
from typing import Any, Literal

from bench.common import now, raise_fd_limit

ErrorKind = Literal["graphql", "dropped", "missed", "out-of-order", "backend"]
FINAL_STATUSES = frozenset({"COMPLETED", "CANCELLED", "REJECTED"})


@dataclass(frozen=True, slots=True)
class Documents:
    """The GraphQL documents the real clients send (bench/_rush_documents.py reads them)."""

    dashboard: tuple[tuple[str, str, dict[str, Any]], ...]  # (name, document, variables)
    last_seq: str  # the board's first query: the newest event's seq
    mutations: dict[str, str]  # the board's staff actions, by name
    place_order: str  # the order page's and the kiosk's placeOrder
    status_page: str  # the customer's status page: order(id)
    pickup: str  # the pickup screen: pickupBoard


@dataclass(frozen=True, slots=True)
class Plan:
    """The evening: ``rate`` orders a second for ``seconds``, after a warm-up that fills
    the restaurant to about ``pages`` open orders (one customer page each)."""

    url: str
    token: str
    documents: Documents
    rate: float
    seconds: float
    pages: int
    dashboards: int
    seed: int

    @property
    def lifetime(self) -> float:
        """Seconds from placeOrder to completeOrder, so that ``pages`` orders are open at
        ``rate`` (Little's law): the kitchen gets 65 % of it, the pick-up 35 %."""
        return self.pages / self.rate

    @property
    def kitchen_seconds(self) -> float:
        return 0.65 * self.lifetime

    @property
    def pickup_seconds(self) -> float:
        return 0.35 * self.lifetime

    @property
    def declined_seconds(self) -> float:
        """A declined card is dealt with this long after staff see it."""
        return min(10.0, 0.1 * self.lifetime)


@dataclass(frozen=True, slots=True)
class Window:
    """When the load starts, when measuring starts (after the warm-up) and stops."""

    start: float
    measure_from: float
    stop: float

    def measured(self, moment: float) -> bool:
        return self.measure_from <= moment < self.stop


@dataclass(slots=True)
class Errors:
    """Everything that went wrong in one process, by kind (each kind's count, and the
    first few in words)."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)

    def add(self, kind: ErrorKind, text: str) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + 1
        if len(self.examples) < 20:
            self.examples.append(f"{kind}: {text}")

    def merge(self, other: Errors) -> None:
        for kind, count in other.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + count
        self.examples.extend(other.examples[: max(0, 20 - len(self.examples))])

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class StaffAction:
    """One staff action: which, on what order, and when it was sent and answered."""

    kind: str  # a key of Documents.mutations
    order_id: str
    number: int
    fulfillment: str
    status: str  # the order's status the action makes
    sent: float
    acked: float
    ok: bool


@dataclass(frozen=True, slots=True)
class Placed:
    """One placeOrder, and what the order's customer page showed, when."""

    order_id: str
    number: int
    channel: str
    sent: float
    acked: float
    page: list[tuple[float, str]]  # (arrival, status) of each message of its page


@dataclass(slots=True)
class ScreensResult:
    cursor: int  # the dashboards follow orderChanges after this seq
    # Per dashboard, each orderChanges message: (arrival, seq, order id, status).
    boards: list[list[tuple[float, int, str, str]]]
    other_messages: int  # the dashboards' other subscriptions (event log, handlers, menu)
    # The pickup screen: (arrival, number, state or None for gone), each change of it.
    pickup: list[tuple[float, int, str | None]]
    pickup_final: dict[int, str]
    errors: Errors
    cpu_seconds: float  # while measuring


@dataclass(slots=True)
class CustomersResult:
    placed: list[Placed]
    open_pages: list[tuple[float, int]]  # (moment, pages open), once a second
    errors: Errors
    cpu_seconds: float


@dataclass(slots=True)
class StaffResult:
    actions: list[StaffAction]
    errors: Errors
    cpu_seconds: float


@dataclass(frozen=True, slots=True)
class Quiet:
    """The backend once nothing more was committed: a screen that has not shown all of
    it yet is behind, not wrong, and gets until ``CATCH_UP_SECONDS`` to catch up."""

    last_order_seq: int  # of the last order event
    statuses: dict[str, str]  # each order's last status
    pickup_board: dict[int, str]


CATCH_UP_SECONDS = 60.0


async def caught_up(done: Callable[[], bool]) -> None:
    """Return once ``done()`` holds, or after CATCH_UP_SECONDS (the checks then say
    what is missing)."""
    deadline = now() + CATCH_UP_SECONDS
    while True:  # what it waits for is spread over many readers: polled
        if done() or now() >= deadline:
            return
        await asyncio.sleep(0.1)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Handshake:
    """A worker's side of the start and the end: it says it is ready, gets the window,
    and later hears that every screen may stop listening."""

    def __init__(self, name: str, inbox: Queue[Any], outbox: Queue[Any]) -> None:
        self.name = name
        self.inbox = inbox
        self.outbox = outbox

    async def ready(self) -> Window:
        self.outbox.put(("ready", self.name))
        window: Window = await asyncio.to_thread(self.inbox.get)
        return window

    async def finished(self) -> Quiet:
        """Return once the main process says the backend has gone quiet; what it had."""
        message = await asyncio.to_thread(self.inbox.get)
        if not isinstance(message, Quiet):
            raise RuntimeError(f"{self.name}: unexpected message {message!r}")
        return message

    def result(self, result: object) -> None:
        self.outbox.put(("result", self.name, result))


Body = Callable[["Plan", Handshake], Coroutine[Any, Any, object]]


def run_worker(name: str, body: Body, plan: Plan, inbox: Queue[Any], outbox: Queue[Any]) -> None:
    """A client process: ``body`` on its own loop; its result, or its traceback, to the
    main process (which would otherwise wait for it in vain)."""
    raise_fd_limit(plan.pages * 2 + 1024)
    handshake = Handshake(name, inbox, outbox)
    try:
        result = asyncio.run(body(plan, handshake))
    except BaseException:
        outbox.put(("failed", name, traceback.format_exc()))
        raise
    handshake.result(result)
