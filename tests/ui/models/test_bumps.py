"""The bumps Recall offers: newest first, one per order, the last 20, row by row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.ui.models.signals import Signals
from ui.models.bumps import RECALLABLE, Bump, BumpsModel

Check = Callable[[Any], Any]


def bump(number: int) -> Bump:
    return Bump(f"order-{number}", number, None, datetime(2025, 1, 1, 12, 0, number % 60))


def numbers(model: BumpsModel) -> list[int]:
    return [model.bump_at(row).number for row in range(model.rowCount())]


def test_the_newest_bump_is_on_top_and_an_order_is_listed_once(checked: Check) -> None:
    model = checked(BumpsModel())
    for number in (1, 2, 3):
        model.add(bump(number))
    model.add(bump(1))  # bumped again after a recall
    assert numbers(model) == [1, 3, 2]
    assert model.index(0, 0).data() == "#1  ·  ready at 12:00:01"
    model.remove("order-3")
    assert numbers(model) == [1, 2]


def test_only_the_last_twenty_are_kept_row_by_row(checked: Check) -> None:
    model = checked(BumpsModel())
    for number in range(1, RECALLABLE + 1):
        model.add(bump(number))
    signals = Signals(model)
    model.add(bump(99))
    assert model.rowCount() == RECALLABLE
    assert numbers(model)[:2] == [99, RECALLABLE] and numbers(model)[-1] == 2
    assert signals.ranges == [("rowsInserted", 0, 0), ("rowsRemoved", 20, 20)]
