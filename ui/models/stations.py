"""Kitchen stations as the board reads them: which lines of a ticket are a station's,
and which stations of a ticket are done.

A terminal shows one station (``--station grill``, View ▸ Station) or the expo view
(whole tickets). The station of a line is the API's ``OrderItem.station``: its
category's when the order was placed.
"""

from __future__ import annotations

from enum import Enum, StrEnum

from ui.models.orders import OrderRow


class Station(StrEnum):
    """A station, as the API spells it (tests/test_contract.py checks the copy)."""

    GRILL = "GRILL"
    FRYER = "FRYER"
    PIZZA = "PIZZA"
    COLD = "COLD"
    BAR = "BAR"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class StationAction(Enum):
    """What a station's ticket offers instead of the order's actions; the value is its
    button label. A station bumps its own lines; the order's status is the expo's."""

    BUMP = "Bump"


EXPO = "expo"  # the command line's and the settings' name of the whole-ticket view
# How a station is named on the command line and in the settings: its label, lowercase.
NAMES: dict[str, Station | None] = {EXPO: None, **{s.value.lower(): s for s in Station}}


def station_named(name: str) -> Station | None:
    """The station called ``name`` (any case; ``expo``: None); else ValueError."""
    key = name.strip().lower()
    if key not in NAMES:
        raise ValueError(f"{name!r} is not a station; use one of {', '.join(NAMES)}")
    return NAMES[key]


def name_of(station: Station | None) -> str:
    return EXPO if station is None else station.value.lower()


def lines_of(order: OrderRow, station: Station | None) -> list[int]:
    """The indexes of the lines a view of ``station`` shows (None: every line)."""
    if station is None:
        return list(range(len(order.items)))
    return [index for index, line in enumerate(order.items) if line.station == station.value]


def has_work(order: OrderRow, station: Station) -> bool:
    """Whether ``station`` has a line of ``order`` still to make."""
    return any(line.station == station.value and not line.done for line in order.items)


def progress(order: OrderRow) -> list[tuple[Station, bool]]:
    """Each station with a line on ``order`` (in the kitchen's order), and whether all
    its lines are done: the expo's chips."""
    done: dict[str, bool] = {}
    for line in order.items:
        if line.station is not None:
            done[line.station] = done.get(line.station, True) and line.done
    return [(station, done[station.value]) for station in Station if station.value in done]
