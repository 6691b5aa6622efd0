"""What bench.rush makes of what its processes recorded: per staff action, the time until
every screen had it; per order, the time until its customer page showed IN_KITCHEN; and
every change a screen missed or got out of order, against the backend's own event log.
Pure functions of the records."""

from __future__ import annotations

import bisect
import itertools
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bench._rush_plan import (
    CustomersResult,
    Errors,
    Placed,
    ScreensResult,
    StaffAction,
    StaffResult,
    Window,
)

# What the pickup screen shows after each staff action (for orders it shows at all).
PICKUP_AFTER: dict[str, str | None] = {
    "markReady": "READY",
    "completeOrder": None,  # collected: the number goes
    "takeCash": "PREPARING",  # paid: the number comes up
}


@dataclass(frozen=True, slots=True)
class ServerEvent:
    """An order event as the backend's log has it."""

    seq: int
    type: str
    order_id: str
    status: str  # the order's status after it
    payment_method: str | None = None  # of order_paid


@dataclass(frozen=True, slots=True)
class Truth:
    """The backend's state once it went quiet after the load."""

    events: list[ServerEvent]  # every order event up to last_seq, oldest first
    last_seq: int
    pickup_board: dict[int, str]


@dataclass(slots=True)
class Analysis:
    action_ms: list[float] = field(default_factory=list)  # staff action -> every screen
    action_ack_ms: list[float] = field(default_factory=list)
    # The same per kind of screen: "dashboards" (the last of them), "pickup", "page".
    by_screen: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    kitchen_ms: list[float] = field(default_factory=list)  # placeOrder -> page IN_KITCHEN
    actions: Counter[str] = field(default_factory=Counter)  # measured, by kind
    orders_measured: int = 0
    card_charges: int = 0
    declined: int = 0
    errors: Errors = field(default_factory=Errors)


class _Arrivals:
    """Per order, when a screen got each of its statuses, to look up "the first time
    after ``moment`` it showed ``status``"."""

    def __init__(self) -> None:
        self.by_order: dict[str, list[tuple[float, str]]] = defaultdict(list)

    def add(self, key: str, at: float, status: str) -> None:
        self.by_order[key].append((at, status))

    def first(self, key: str, status: str, moment: float) -> float | None:
        seen = self.by_order.get(key, [])
        index = bisect.bisect_left(seen, (moment, ""))
        return next((at for at, got in seen[index:] if got == status), None)


def _check_boards(screens: ScreensResult, truth: Truth, errors: Errors) -> None:
    """Each dashboard got every order event after its cursor, once, in order."""
    wanted = {event.seq for event in truth.events if event.seq > screens.cursor}
    for index, board in enumerate(screens.boards):
        got = [seq for _, seq, _, _ in board if seq <= truth.last_seq]
        for seq in sorted(wanted - set(got)):
            errors.add("missed", f"dashboard {index} never got the change of seq {seq}")
        for before, seq in itertools.pairwise(got):
            if seq <= before:
                errors.add("out-of-order", f"dashboard {index} got seq {seq} after {before}")
        for seq in sorted(set(got) - wanted):
            errors.add("out-of-order", f"dashboard {index} got seq {seq}, not an order's")


def _check_pages(placed: list[Placed], statuses: dict[str, list[str]], errors: Errors) -> None:
    """Each page showed a tail of its order's history, in order, up to its end."""
    for record in placed:
        shown = [status for _, status in record.page]
        history = statuses.get(record.order_id, [])
        if shown and shown != history[len(history) - len(shown) :]:
            errors.add(
                "missed",
                f"the status page of #{record.number} showed {shown}; its order went {history}",
            )


def _histories(truth: Truth, result: Analysis) -> dict[str, list[str]]:
    """Each order's statuses, event after event; the card charges counted on the way."""
    statuses: dict[str, list[str]] = defaultdict(list)
    for event in truth.events:
        statuses[event.order_id].append(event.status)
        if event.type == "payment_failed":
            result.declined += 1
            result.card_charges += 1
        elif event.type == "order_paid" and event.payment_method == "CARD":
            result.card_charges += 1
    return statuses


def _screen_arrivals(
    screens: ScreensResult, customers: CustomersResult
) -> tuple[list[_Arrivals], _Arrivals, _Arrivals, dict[str, float]]:
    """The dashboards', the pickup screen's and the pages' arrivals; when each page opened."""
    boards = []
    for board in screens.boards:
        arrivals = _Arrivals()
        for at, _, order_id, status in board:
            arrivals.add(order_id, at, status)
        boards.append(arrivals)
    pickup = _Arrivals()
    for at, number, state in screens.pickup:
        pickup.add(str(number), at, state or "")
    pages = _Arrivals()
    page_opened: dict[str, float] = {}
    for record in customers.placed:
        for at, status in record.page:
            pages.add(record.order_id, at, status)
        if record.page:
            page_opened[record.order_id] = record.page[0][0]
    return boards, pickup, pages, page_opened


def analyse(
    window: Window,
    screens: ScreensResult,
    customers: CustomersResult,
    staff: StaffResult,
    truth: Truth,
) -> Analysis:
    result = Analysis()
    for part in (screens.errors, customers.errors, staff.errors):
        result.errors.merge(part)
    statuses = _histories(truth, result)
    _check_boards(screens, truth, result.errors)
    _check_pages(customers.placed, statuses, result.errors)
    if screens.pickup_final != truth.pickup_board:
        result.errors.add(
            "missed",
            f"the pickup screen ended with {len(screens.pickup_final)} numbers, "
            f"the backend's board has {len(truth.pickup_board)}",
        )
    boards, pickup, pages, page_opened = _screen_arrivals(screens, customers)
    for action in staff.actions:
        if action.ok and window.measured(action.sent):
            result.actions[action.kind] += 1
            result.action_ack_ms.append(1000 * (action.acked - action.sent))
            _time_action(action, boards, pickup, pages, page_opened, result)
    for record in customers.placed:
        if not window.measured(record.sent):
            continue
        result.orders_measured += 1
        history = statuses.get(record.order_id, [])
        if "IN_KITCHEN" not in history:
            continue
        if "PAYMENT_FAILED" in history[: history.index("IN_KITCHEN")]:
            continue  # it reached the kitchen through staff, not straight from the pipeline
        shown = pages.first(record.order_id, "IN_KITCHEN", record.sent)
        if shown is not None:  # else its page missed it: _check_pages said so
            result.kitchen_ms.append(1000 * (shown - record.sent))
    return result


def _time_action(
    action: StaffAction,
    boards: list[_Arrivals],
    pickup: _Arrivals,
    pages: _Arrivals,
    page_opened: dict[str, float],
    result: Analysis,
) -> None:
    """The time from sending ``action`` until the last screen that shows it has it."""
    what = f"{action.kind} of #{action.number}"
    arrivals: dict[str, float] = {}
    for index, board in enumerate(boards):
        at = board.first(action.order_id, action.status, action.sent)
        if at is None:
            result.errors.add("missed", f"dashboard {index} never showed {what}")
        else:
            arrivals["dashboards"] = max(at, arrivals.get("dashboards", at))
    # The pickup screen shows takeaway orders only (backend/pickup.py state_of).
    if action.fulfillment == "TAKEAWAY" and action.kind in PICKUP_AFTER:
        at = pickup.first(str(action.number), PICKUP_AFTER[action.kind] or "", action.sent)
        if at is None:
            result.errors.add("missed", f"the pickup screen never showed {what}")
        else:
            arrivals["pickup"] = at
    opened = page_opened.get(action.order_id)
    if opened is not None and opened <= action.sent:
        at = pages.first(action.order_id, action.status, action.sent)
        if at is None:
            result.errors.add("missed", f"the customer's page never showed {what}")
        else:
            arrivals["page"] = at
    for screen, at in arrivals.items():
        result.by_screen[screen].append(1000 * (at - action.sent))
    if arrivals:
        result.action_ms.append(1000 * (max(arrivals.values()) - action.sent))
