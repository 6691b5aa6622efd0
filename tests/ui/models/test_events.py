"""The event log model: newest first, row-by-row changes, paging on demand, local filters."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt
from pytestqt.qtbot import QtBot

from tests.ui.models.signals import Signals
from ui.models._table import ROW_ROLE
from ui.models.deliveries import DeliveryModel, InvocationModel
from ui.models.events import (
    Delivery,
    DeliveryStatus,
    EventFilter,
    EventFilterProxy,
    EventLogModel,
    EventRow,
    Invocation,
)

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
Check = Callable[[Any], Any]


def event(
    seq: int,
    type: str = "order_placed",
    *deliveries: Delivery,
    order: int | None = None,
    **payload: Any,
) -> EventRow:
    number = seq if order is None else order
    return EventRow.create(
        seq=seq,
        id=f"event-{seq}",
        type=type,
        order_id=f"order-{number}",
        created_at=T0 + timedelta(seconds=seq),
        payload={"order": {"number": number, "id": f"order-{number}"}, **payload},
        deliveries=deliveries or (Delivery("validate_order", DeliveryStatus.SUCCEEDED, 1),),
    )


def dead(handler: str = "charge_payment", error: str = "gateway error") -> Delivery:
    attempts = tuple(
        Invocation(n, T0 + timedelta(seconds=n), 12.5, "FAILED", error) for n in (1, 2)
    )
    return Delivery(handler, DeliveryStatus.DEAD, 2, None, error, attempts)


def seqs(model: EventLogModel | EventFilterProxy) -> list[int]:
    return [model.index(row, 0).data(ROW_ROLE).seq for row in range(model.rowCount())]


@pytest.fixture
def model(checked: Check) -> EventLogModel:
    model = EventLogModel()
    model.add_older([event(seq) for seq in range(10, 0, -1)], more_available=True)
    checked(model)
    return model


def test_rows_are_newest_first_with_readable_cells(model: EventLogModel) -> None:
    assert seqs(model) == list(range(10, 0, -1))
    model.upsert(event(11, "order_validated", dead(), order=4))
    first = [model.index(0, column).data() for column in range(model.columnCount())]
    assert first[0] == "11"
    assert first[2:] == ["order_validated", "#4", "charge_payment DEAD"]
    assert "gateway error" in model.index(0, EventLogModel.DELIVERIES).data(3)  # tooltip


def test_a_changed_delivery_updates_its_row_only(model: EventLogModel) -> None:
    signals = Signals(model)
    model.upsert(event(7, "order_placed", dead("validate_order")))
    assert signals.resets == 0
    assert signals.counts["rowsInserted"] == 0
    assert signals.ranges == [("dataChanged", 3, 3)]
    assert model.get(7) is not None and model.get(7).worst_status is DeliveryStatus.DEAD  # type: ignore[union-attr]


def test_the_same_row_again_signals_nothing(model: EventLogModel) -> None:
    signals = Signals(model)
    model.upsert(event(5))
    assert sum(signals.counts.values()) == 0


def test_a_new_event_is_inserted_on_top_as_one_row(model: EventLogModel) -> None:
    signals = Signals(model)
    model.upsert(event(12))
    model.upsert(event(11))  # late, but placed by seq
    assert signals.resets == 0
    assert signals.ranges == [("rowsInserted", 0, 0), ("rowsInserted", 1, 1)]
    assert seqs(model)[:3] == [12, 11, 10]


def test_older_pages_are_appended_in_one_block(model: EventLogModel) -> None:
    signals = Signals(model)
    model.add_older([], more_available=True)
    assert signals.counts["rowsInserted"] == 0
    fresh = EventLogModel()
    fresh.upsert(event(20))
    signals = Signals(fresh)
    fresh.add_older([event(seq) for seq in (15, 19, 17, 20)], more_available=False)
    assert signals.ranges == [("rowsInserted", 1, 3)]  # 20 was already there
    assert seqs(fresh) == [20, 19, 17, 15]
    assert not fresh.canFetchMore(QModelIndex())


def test_fetch_more_asks_once_until_the_page_is_in(model: EventLogModel, qtbot: QtBot) -> None:
    root = QModelIndex()
    model.loading = False
    assert model.canFetchMore(root)
    with qtbot.waitSignal(model.olderWanted, timeout=1000):
        model.fetchMore(root)
    with qtbot.assertNotEmitted(model.olderWanted):
        model.fetchMore(root)  # a page is already on its way
    model.add_older([event(0)], more_available=False)
    assert not model.canFetchMore(root)
    assert seqs(model)[-1] == 0


def test_clear_is_a_reset(model: EventLogModel) -> None:
    signals = Signals(model)
    model.clear()
    assert (signals.counts["modelReset"], model.rowCount()) == (1, 0)


@pytest.mark.parametrize(
    ("wanted", "expected"),
    [
        (EventFilter(), [4, 3, 2, 1]),
        (EventFilter(type="order_paid"), [3, 2]),
        (EventFilter(handler="charge_payment"), [4, 3]),
        (EventFilter(status=DeliveryStatus.DEAD), [4, 3]),
        # The handler and the status of the same delivery, as the API reads them.
        (EventFilter(handler="send_to_kitchen", status=DeliveryStatus.DEAD), []),
        (EventFilter(handler="send_to_kitchen", status=DeliveryStatus.SUCCEEDED), [3]),
        (EventFilter(order_number=7), [2, 1]),
        (EventFilter(order_id="order-7", type="order_placed"), [1]),
        (EventFilter(text="TIMEOUT"), [4]),
        (EventFilter(text="window seat"), [2]),
    ],
)
def test_the_proxy_filters_locally(
    checked: Check, wanted: EventFilter, expected: list[int]
) -> None:
    model = EventLogModel()
    proxy = checked(EventFilterProxy())
    proxy.setSourceModel(model)
    ok = Delivery("send_to_kitchen", DeliveryStatus.SUCCEEDED, 1)
    model.add_older(
        [
            event(4, "order_validated", dead(error="timeout after 5 s"), order=9),
            event(3, "order_paid", dead(), ok, order=8),
            event(2, "order_paid", order=7, notes="window seat"),
            event(1, "order_placed", order=7),
        ],
        more_available=False,
    )
    proxy.set_filter(wanted)
    assert seqs(proxy) == expected


def test_the_proxy_follows_a_row_that_stops_matching(checked: Check) -> None:
    model = EventLogModel()
    proxy = checked(EventFilterProxy())
    proxy.setSourceModel(model)
    model.add_older([event(2, "order_validated", dead()), event(1)], more_available=False)
    proxy.set_filter(EventFilter(status=DeliveryStatus.DEAD))
    assert seqs(proxy) == [2]
    retried = Delivery("charge_payment", DeliveryStatus.SUCCEEDED, 3)
    model.upsert(replace(model.row(0), deliveries=(retried,)))
    assert seqs(proxy) == []


def test_the_detail_models_follow_one_delivery_row_by_row(checked: Check) -> None:
    deliveries = checked(DeliveryModel())
    invocations = checked(InvocationModel())
    failed = dead()
    deliveries.sync([failed, Delivery("send_to_kitchen", DeliveryStatus.PENDING, 0)])
    invocations.sync(failed.invocations)
    assert deliveries.index(0, 1).data() == "DEAD"
    assert invocations.index(1, 2).data() == "12.5 ms"
    assert invocations.index(1, 3).data(Qt.ItemDataRole.ToolTipRole) == "gateway error"

    signals, attempt_signals = Signals(deliveries), Signals(invocations)
    third = Invocation(3, T0 + timedelta(seconds=9), 3.0, "SUCCEEDED", None)
    succeeded = replace(
        failed,
        status=DeliveryStatus.SUCCEEDED,
        attempts=3,
        invocations=(*failed.invocations, third),
    )
    deliveries.sync([succeeded, Delivery("send_to_kitchen", DeliveryStatus.PENDING, 0)])
    invocations.sync(succeeded.invocations)
    assert signals.ranges == [("dataChanged", 0, 0)]
    assert attempt_signals.ranges == [("rowsInserted", 2, 2)]
    assert signals.resets == attempt_signals.resets == 0
