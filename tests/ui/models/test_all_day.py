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
from ui.models.all_day import COUNT, ITEM, STATION, AllDayModel, Key, still_to_make
from ui.models.orders import OrderLine, OrderRow, OrdersModel
from ui.models.stages import Status
from ui.models.stations import Station

Check = Callable[[Any], Any]


# Where the test's items are made (the seed menu's stations).
STATIONS = {"Margherita": "PIZZA", "Cola": "BAR", "Fries": "FRYER", "Burger": "GRILL"}


def ticket(
    number: int, status: Status, *lines: tuple[str, int, bool], stations: bool = False
) -> OrderRow:
    items = tuple(
        OrderLine(name, quantity, 100, done=done, station=STATIONS.get(name) if stations else None)
        for name, quantity, done in lines
    )
    return replace(order(number, status, seq=number), items=items)


def expected(orders: OrdersModel, station: Station | None = None) -> list[tuple[str, int]]:
    total: Counter[Key] = Counter()
    for row in orders.orders:
        total.update(still_to_make(row, station))
    ranks = {name: rank for rank, name in enumerate(s.value for s in Station)}
    rows = sorted(
        total.items(),
        key=lambda row: (ranks.get(row[0][0] or "", 99), -row[1], row[0][1].casefold()),
    )
    return [(name, count) for (_, name), count in rows]


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
    assert counts.index(0, ITEM).data() == "Margherita" and counts.index(0, COUNT).data() == 3
    assert counts.index(0, STATION).data() == "" and not counts.grouped  # no station set


def test_groups_by_station_and_a_station_sees_only_its_own(checked: Check) -> None:
    orders = OrdersModel()
    counts = checked(AllDayModel(orders))
    signals = Signals(counts)
    orders.extend(
        [
            ticket(
                1, Status.IN_KITCHEN, ("Cola", 5, False), ("Margherita", 1, False), stations=True
            ),
            ticket(2, Status.PAID, ("Burger", 2, False), ("Salad", 1, False), stations=True),
            ticket(3, Status.PAID, ("Margherita", 2, False), ("Fries", 1, True), stations=True),
        ]
    )
    # The stations in the kitchen's order (grill, fryer, pizza, cold, bar), then none.
    assert counts.by_station() == [
        ("GRILL", "Burger", 2),
        ("PIZZA", "Margherita", 3),
        ("BAR", "Cola", 5),
        (None, "Salad", 1),
    ]
    assert counts.grouped
    assert [counts.index(row, STATION).data() for row in range(4)] == ["Grill", "Pizza", "Bar", ""]
    # A second pizza item: the station heads its group once.
    orders.upsert(ticket(4, Status.PAID, ("Diavola", 1, False), stations=True))
    assert counts.counts()[1:3] == [("Margherita", 3), ("Cola", 5)]  # Diavola has no station
    orders.upsert(replace(ticket(4, Status.PAID, ("Margherita", 1, False), stations=True), seq=20))
    assert counts.by_station()[1] == ("PIZZA", "Margherita", 4)
    assert signals.counts["modelReset"] == 0
    counts.set_station(Station.PIZZA)
    assert counts.counts() == [("Margherita", 4)] == expected(orders, Station.PIZZA)
    orders.upsert(replace(ticket(5, Status.PAID, ("Cola", 1, False), stations=True), seq=21))
    assert counts.counts() == [("Margherita", 4)]  # the bar's cola is not the pizza's
    counts.set_station(None)
    assert counts.counts() == expected(orders)


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
            status = rng.choice(statuses)
            # Some tickets' lines have stations: the rows group by them.
            ticketed = ticket(number, status, *lines, stations=rng.random() < 0.5)
            orders.upsert(replace(ticketed, seq=seq))
        assert counts.counts() == expected(orders)
