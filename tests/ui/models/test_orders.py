"""The board's model: rows in ticket order, changed row by row, never a step back; the
open tickets' proxy for the grid, one proxy per stage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.ui.models.signals import Signals
from ui.models.orders import (
    ORDER_ROLE,
    OpenProxy,
    OrderLine,
    OrderRow,
    OrdersModel,
    StageProxy,
)
from ui.models.stages import Stage, Status

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
Check = Callable[[Any], Any]


def order(number: int, status: Status = Status.PLACED, seq: int = 0, minutes: int = 0) -> OrderRow:
    return OrderRow(
        id=f"order-{number}",
        number=number,
        status=status,
        channel="COUNTER",
        fulfillment="TAKEAWAY",
        customer_name=None,
        phone=None,
        address=None,
        notes=None,
        items=(OrderLine("Fries", 2, 450),),
        total_cents=900,
        created_at=T0,
        updated_at=T0 + timedelta(minutes=minutes),
        seq=seq,
    )


@pytest.fixture
def model(checked: Check) -> OrdersModel:
    built: OrdersModel = checked(OrdersModel())
    built.extend([order(1), order(2, Status.PAID), order(3, Status.READY)])
    return built


def numbers(model: OrdersModel | StageProxy) -> list[int]:
    return [model.index(row, 0).data(ORDER_ROLE).number for row in range(model.rowCount())]


def test_a_listing_arrives_in_one_insertion_in_ticket_order(checked: Check) -> None:
    model = checked(OrdersModel())
    signals = Signals(model)
    model.extend([order(2), order(1), order(3)])
    assert numbers(model) == [1, 2, 3]
    assert signals.ranges == [("rowsInserted", 0, 2)]


def test_a_change_updates_its_row_only(model: OrdersModel) -> None:
    signals = Signals(model)
    assert model.upsert(order(2, Status.IN_KITCHEN, seq=10, minutes=1))
    assert signals.ranges == [("dataChanged", 1, 1)]
    assert signals.resets == 0
    assert model.get("order-2") == order(2, Status.IN_KITCHEN, seq=10, minutes=1)


def test_an_older_or_equal_state_changes_nothing(model: OrdersModel) -> None:
    model.upsert(order(2, Status.IN_KITCHEN, seq=10, minutes=2))
    signals = Signals(model)
    assert not model.upsert(order(2, Status.PAID, seq=9, minutes=1))  # a replayed change
    assert not model.upsert(order(2, Status.PAID, minutes=1))  # an older listing
    assert not model.upsert(order(2, Status.IN_KITCHEN, seq=10, minutes=2))  # the same
    assert signals.counts.total() == 0
    assert model.get("order-2").status is Status.IN_KITCHEN  # type: ignore[union-attr]


def test_a_listing_newer_than_the_feed_wins(model: OrdersModel) -> None:
    model.upsert(order(2, Status.IN_KITCHEN, seq=10, minutes=1))
    assert model.upsert(order(2, Status.READY, minutes=2))
    assert model.get("order-2").status is Status.READY  # type: ignore[union-attr]


def test_a_new_order_is_inserted_where_its_number_goes(model: OrdersModel) -> None:
    signals = Signals(model)
    model.upsert(order(5, seq=20))
    model.upsert(order(4, seq=21))
    assert numbers(model) == [1, 2, 3, 4, 5]
    assert signals.ranges == [("rowsInserted", 3, 3), ("rowsInserted", 3, 3)]


def test_old_finished_orders_are_pruned_row_by_row(model: OrdersModel) -> None:
    for number in (4, 5, 6):
        model.upsert(order(number, Status.COMPLETED, seq=number))
    signals = Signals(model)
    model.prune_finished(keep=1)
    assert numbers(model) == [1, 2, 3, 6]
    assert signals.ranges == [("rowsRemoved", 3, 3), ("rowsRemoved", 3, 3)]
    assert model.position("order-4") is None


def test_each_stage_proxy_shows_its_stage(checked: Check, model: OrdersModel) -> None:
    columns = {stage: checked(StageProxy(model, stage)) for stage in Stage}
    assert {stage: numbers(p) for stage, p in columns.items()} == {
        Stage.PAYMENT: [],
        Stage.NEW: [1],
        Stage.KITCHEN: [2],
        Stage.READY: [3],
        Stage.OUT: [],
        Stage.DONE: [],
    }
    kitchen, ready = Signals(columns[Stage.KITCHEN]), Signals(columns[Stage.READY])
    model.upsert(replace(order(2, Status.READY, seq=5, minutes=1)))
    assert numbers(columns[Stage.KITCHEN]) == []
    assert numbers(columns[Stage.READY]) == [2, 3]
    assert kitchen.ranges == [("rowsRemoved", 0, 0)]
    assert ready.ranges == [("rowsInserted", 0, 0)]


def test_the_grid_shows_the_open_tickets_oldest_first_row_by_row(
    checked: Check, model: OrdersModel
) -> None:
    grid = checked(OpenProxy(model))
    assert numbers(grid) == [1, 2, 3]
    signals = Signals(grid)
    model.upsert(order(2, Status.COMPLETED, seq=5, minutes=1))
    model.upsert(order(4, Status.PLACED, seq=6, minutes=1))
    assert numbers(grid) == [1, 3, 4]
    assert signals.ranges == [("rowsRemoved", 1, 1), ("rowsInserted", 2, 2)]
    assert (grid.row_of("order-3"), grid.row_of("order-2"), grid.row_of("nope")) == (1, None, None)
    assert grid.order_at(2).number == 4


def test_done_reads_newest_first(checked: Check, model: OrdersModel) -> None:
    done = checked(StageProxy(model, Stage.DONE))
    model.upsert(order(7, Status.CANCELLED, seq=3))
    model.upsert(order(1, Status.COMPLETED, seq=4, minutes=1))
    model.upsert(order(3, Status.REJECTED, seq=5, minutes=1))
    assert numbers(done) == [7, 3, 1]
    assert [done.order_at(row).number for row in range(3)] == [7, 3, 1]


def test_an_order_from_the_api() -> None:
    data = {
        "id": "o1",
        "number": 12,
        "status": "PAYMENT_FAILED",
        "channel": "PHONE",
        "fulfillment": "DELIVERY",
        "customerName": "Ada",
        "phone": "555",
        "address": "1 Road",
        "notes": None,
        "totalCents": 2400,
        "createdAt": "2025-01-01T12:00:00+00:00",
        "updatedAt": "2025-01-01T12:01:00+00:00",
        "items": [
            {
                "menuItemId": "m",
                "name": "Margherita",
                "quantity": 2,
                "unitPriceCents": 1200,
                "notes": "no basil",
            }
        ],
    }
    row = OrderRow.of(data, seq=7)
    assert row.stage is Stage.PAYMENT  # its own lane
    assert row.items == (OrderLine("Margherita", 2, 1200, "no basil"),)
    assert (row.seq, row.updated_at - row.created_at) == (7, timedelta(minutes=1))
