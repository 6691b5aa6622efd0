"""The all-day counts: what is still to make across the open tickets, most first, kept
row by row as orders come, change and go (checked by both model testers)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from tests.ui.models.signals import Signals
from tests.ui.models.test_orders import order
from ui.models.all_day import AllDayModel, still_to_make
from ui.models.orders import OrderLine, OrderRow, OrdersModel
from ui.models.stages import Status

Check = Callable[[Any], Any]


def ticket(number: int, status: Status, *lines: tuple[str, int, bool]) -> OrderRow:
    items = tuple(OrderLine(name, quantity, 100, done=done) for name, quantity, done in lines)
    return replace(order(number, status, seq=number), items=items)


def expected(orders: OrdersModel) -> list[tuple[str, int]]:
    total: Counter[str] = Counter()
    for row in orders.orders:
        total.update(still_to_make(row))
    return sorted(total.items(), key=lambda row: (-row[1], row[0].casefold()))


def test_counts_the_portions_not_yet_made_of_paid_and_cooking_tickets(checked: Check) -> None:
    orders = OrdersModel()
    counts = checked(AllDayModel(orders))
    orders.extend(
        [
            ticket(1, Status.IN_KITCHEN, ("Margherita", 2, False), ("Cola", 1, False)),
            ticket(2, Status.PAID, ("Margherita", 1, False), ("Fries", 3, True)),
            ticket(3, Status.READY, ("Margherita", 5, False)),  # made
            ticket(4, Status.PLACED, ("Cola", 4, False)),  # not paid yet
        ]
    )
    assert counts.counts() == [("Margherita", 3), ("Cola", 1)]
    assert counts.index(0, 0).data() == "Margherita" and counts.index(0, 1).data() == 3


def test_a_change_moves_only_its_rows(checked: Check) -> None:
    orders = OrdersModel()
    orders.extend(
        [
            ticket(1, Status.IN_KITCHEN, ("Margherita", 2, False), ("Cola", 1, False)),
            ticket(2, Status.IN_KITCHEN, ("Fries", 1, False)),
        ]
    )
    counts = checked(AllDayModel(orders))
    signals = Signals(counts)
    # Cola 1 -> 4: it moves above Margherita, without a reset.
    orders.upsert(ticket(3, Status.PAID, ("Cola", 3, False)))
    assert counts.counts() == [("Cola", 4), ("Margherita", 2), ("Fries", 1)]
    # The Margherita struck through: its row goes.
    orders.upsert(
        replace(ticket(1, Status.IN_KITCHEN, ("Margherita", 2, True), ("Cola", 1, False)), seq=10)
    )
    assert counts.counts() == [("Cola", 4), ("Fries", 1)]
    orders.remove("order-3")
    assert counts.counts() == [("Cola", 1), ("Fries", 1)]
    assert signals.counts["modelReset"] == signals.counts["layoutChanged"] == 0


def test_random_changes_keep_the_counts_right(checked: Check) -> None:
    rng = random.Random(13)
    names = ["Margherita", "Cola", "Fries", "Burger", "Salad"]
    statuses = [Status.PLACED, Status.PAID, Status.IN_KITCHEN, Status.READY]
    orders = OrdersModel()
    counts = checked(AllDayModel(orders))
    for seq in range(1, 301):
        number = rng.randint(1, 25)
        if rng.random() < 0.15:
            orders.remove(f"order-{number}")
        else:
            lines = [
                (rng.choice(names), rng.randint(1, 4), rng.random() < 0.3)
                for _ in range(rng.randint(1, 3))
            ]
            orders.upsert(replace(ticket(number, rng.choice(statuses), *lines), seq=seq))
        assert counts.counts() == expected(orders)
