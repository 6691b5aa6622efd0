"""An order's detail models: its lines, and its history of events and deliveries."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.ui.models.signals import Signals
from ui.models.order_detail import HistoryModel, LinesModel, history_rows
from ui.models.orders import LineModifier, OrderLine

Check = Callable[[Any], Any]


def event(seq: int, kind: str, *deliveries: tuple[str, str, int, str | None]) -> dict[str, Any]:
    return {
        "seq": seq,
        "type": kind,
        "createdAt": "2025-01-01T12:00:00+00:00",
        "deliveries": [
            {"handler": h, "status": s, "attempts": a, "lastError": e} for h, s, a, e in deliveries
        ],
    }


def test_history_lists_each_event_then_its_deliveries(checked: Check) -> None:
    model = checked(HistoryModel())
    model.sync(history_rows([event(1, "order_placed", ("validate_order", "RUNNING", 1, None))]))
    assert [model.index(row, 2).data() for row in range(2)] == [
        "order placed",
        "    → validate_order",
    ]
    signals = Signals(model)
    model.sync(
        history_rows(
            [
                event(1, "order_placed", ("validate_order", "SUCCEEDED", 1, None)),
                event(2, "order_validated", ("charge_payment", "DEAD", 8, "declined\ntrace")),
            ]
        )
    )
    assert signals.ranges == [
        ("dataChanged", 1, 1),
        ("rowsInserted", 2, 2),
        ("rowsInserted", 3, 3),
    ]
    assert model.index(3, 3).data() == "dead"
    assert model.index(3, 5).data() == "declined"


def test_lines_show_quantities_choices_notes_and_totals(checked: Check) -> None:
    modifiers = (LineModifier("extra mozzarella", 150), LineModifier("no basil"))
    model = checked(LinesModel())
    model.sync(
        [
            OrderLine(
                "Margherita", 2, 1350, "well baked", modifiers=modifiers, station="PIZZA", done=True
            ),
            OrderLine("Cola", 1, 350, station="BAR"),
            OrderLine("Special", 1, 100),
        ]
    )
    assert [model.index(0, column).data() for column in range(7)] == [
        "2\N{MULTIPLICATION SIGN}",
        "Margherita",
        "+ extra mozzarella, \N{MINUS SIGN} no basil",
        "well baked",
        "13.50",
        "27.00",
        "Pizza \N{CHECK MARK}",
    ]
    assert model.index(1, 2).data() == ""
    assert [model.index(row, 6).data() for row in (1, 2)] == ["Bar", ""]
