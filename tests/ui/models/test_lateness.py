"""A ticket's lateness: amber at its longest line's prep time, red after the grace; only
while the kitchen is making it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from ui.models.lateness import Lateness, PrepTargets
from ui.models.orders import OrderLine, OrderRow
from ui.models.stages import Status

T0 = datetime(2026, 12, 6, 19, 0, tzinfo=UTC)


def ticket(status: Status = Status.IN_KITCHEN, *prep: int) -> OrderRow:
    return OrderRow(
        id="o1",
        number=1,
        status=status,
        channel="COUNTER",
        fulfillment="TAKEAWAY",
        customer_name=None,
        phone=None,
        address=None,
        notes=None,
        items=tuple(OrderLine(f"Dish {s}", 1, 100, prep_seconds=s) for s in prep),
        total_cents=100 * len(prep),
        created_at=T0,
        updated_at=T0,
    )


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (0, Lateness.ON_TIME),
        (899, Lateness.ON_TIME),
        (900, Lateness.LATE),  # the longest line: 15 min
        (900 + 299, Lateness.LATE),
        (900 + 300, Lateness.OVERDUE),  # plus 5 min of grace
        (5 * 3600, Lateness.OVERDUE),
    ],
)
def test_the_longest_line_is_the_target_and_the_grace_follows_it(
    age: int, expected: Lateness
) -> None:
    order = ticket(Status.IN_KITCHEN, 60, 900, 480)
    assert order.target_seconds == 900
    assert PrepTargets(300).decide(order, T0 + timedelta(seconds=age)) is expected


def test_the_grace_is_a_setting() -> None:
    order = ticket(Status.PAID, 600)
    at = T0 + timedelta(minutes=12)
    assert PrepTargets(5 * 60).decide(order, at) is Lateness.LATE
    assert PrepTargets(2 * 60).decide(order, at) is Lateness.OVERDUE


@pytest.mark.parametrize(
    ("status", "counts"),
    [
        (Status.PLACED, True),
        (Status.VALIDATED, True),
        (Status.PAID, True),
        (Status.IN_KITCHEN, True),
        (Status.PAYMENT_FAILED, False),
        (Status.READY, False),
        (Status.OUT_FOR_DELIVERY, False),
        (Status.COMPLETED, False),
        (Status.CANCELLED, False),
    ],
)
def test_only_a_ticket_being_made_is_late(status: Status, counts: bool) -> None:
    order = ticket(status, 60)
    expected = Lateness.OVERDUE if counts else Lateness.ON_TIME
    assert PrepTargets(60).decide(order, T0 + timedelta(hours=1)) is expected


def test_a_ticket_without_prep_times_is_never_late() -> None:
    order = replace(ticket(Status.IN_KITCHEN, 60), items=(OrderLine("Old dish", 1, 100),))
    assert order.target_seconds is None
    assert PrepTargets().decide(order, T0 + timedelta(days=1)) is Lateness.ON_TIME
