"""The handler figures model and the throughput the chart draws."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.ui.models.signals import Signals
from ui.models._table import STATUS_ROLE
from ui.models.events import DeliveryStatus
from ui.models.handlers import HandlerModel, HandlerRow, Throughput, age

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


def test_throughput_counts_per_second_over_its_span() -> None:
    throughput = Throughput(span=60)
    for at in (1000.1, 1000.9, 1030.5):
        throughput.add_event(at)
    throughput.add_failure(1030.2)
    throughput.add_event(900.0)  # older than the span: never drawn
    events, failures = throughput.series(now=1059.5)
    assert len(events) == len(failures) == 60
    assert (events[0], events[30], sum(events)) == (2, 1, 3)
    assert (failures[30], sum(failures)) == (1, 1)
    events, _ = throughput.series(now=1070.0)  # ten seconds on: the first ones scrolled out
    assert sum(events) == 1
