"""The handler figures model and the throughput the chart draws."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.ui.models.signals import Signals
from ui.models._table import STATUS_ROLE
from ui.models.events import DeliveryStatus
from ui.models.handlers import DAY_MINUTES, HandlerModel, HandlerRow, Throughput, age

Check = Callable[[Any], Any]
VALIDATE = HandlerRow("validate_order", ("order_placed",), False, False, succeeded=12)
CHARGE = HandlerRow("charge_payment", ("order_validated",), False, False, dead=2, p50_ms=4.25)
NOTIFY = HandlerRow("notify_customer", ("order_ready", "payment_failed"), True, False, 3)


def cells(model: HandlerModel, row: int) -> dict[str, str]:
    return {model.columns[c].title: model.index(row, c).data() for c in range(model.columnCount())}


def test_one_row_per_handler_with_its_figures(checked: Check) -> None:
    model = checked(HandlerModel())
    model.sync([VALIDATE, CHARGE, NOTIFY])
    charge = cells(model, 1)
    assert (charge["Handler"], charge["State"], charge["Dead"], charge["p50 ms"]) == (
        "charge_payment",
        "Active",
        "2",
        "4.2",
    )
    notify = cells(model, 2)
    assert (notify["State"], notify["Listens to"], notify["Pending"]) == (
        "Paused",
        "order_ready, payment_failed",
        "3",
    )
    dead_column = list(DeliveryStatus).index(DeliveryStatus.DEAD) + 4
    assert model.index(1, dead_column).data(STATUS_ROLE) == DeliveryStatus.DEAD
    assert model.index(0, dead_column).data(STATUS_ROLE) is None  # nothing to look at


def test_new_figures_change_only_the_rows_that_changed(checked: Check) -> None:
    model = checked(HandlerModel())
    model.sync([VALIDATE, CHARGE, NOTIFY])
    signals = Signals(model)
    model.sync([VALIDATE, replace(CHARGE, dead=0, succeeded=2), NOTIFY])
    assert signals.ranges == [("dataChanged", 1, 1)]
    assert signals.resets == 0


def test_a_handler_that_appears_or_goes_is_one_row(checked: Check) -> None:
    model = checked(HandlerModel())
    model.sync([VALIDATE, NOTIFY])
    signals = Signals(model)
    model.sync([VALIDATE, CHARGE, NOTIFY])
    model.sync([CHARGE, NOTIFY])
    assert signals.ranges == [("rowsInserted", 1, 1), ("rowsRemoved", 0, 0)]
    assert [row.name for row in model.rows] == ["charge_payment", "notify_customer"]


def test_ages_read_at_a_glance() -> None:
    assert [age(s) for s in (None, 4.7, 200, 7500)] == ["", "4 s", "3 min 20 s", "2 h 05 min"]


def test_throughput_counts_per_minute_from_the_server_and_live() -> None:
    throughput = Throughput()
    minute = 60 * 1_000_000  # a minute's start, unix seconds
    throughput.set_minutes([(minute, 5, 1), (minute + 60, 2, 0), (minute - 7200, 9, 9)])
    for at in (minute + 61, minute + 62, minute + 63, minute + 119):  # ahead of the read
        throughput.add_event(at)
    throughput.add_event(minute + 1)  # already in the server's five
    throughput.add_failure(minute + 150)
    throughput.add_event(minute - 90_000)  # more than a day ago: never drawn
    events, failures = throughput.series(now=minute + 150, minutes=60)
    assert len(events) == len(failures) == 60
    assert events[-3:] == [5, 4, 0] and failures[-3:] == [1, 0, 1]
    assert sum(events) == 9 and sum(failures) == 2  # two hours ago is not in the hour
    day, _ = throughput.series(now=minute + 150, minutes=DAY_MINUTES)
    assert len(day) == DAY_MINUTES and sum(day) == 18
    later, _ = throughput.series(now=minute + 3600 + 90, minutes=60)  # an hour on
    assert sum(later) == 0
