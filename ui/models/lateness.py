"""Whether a ticket is late: its target is its longest line's prep time, and it turns
amber at the target and red at the target plus a grace the restaurant sets.

The one notion of late on the board (the header band and the age digits both ask it).
Lateness is the kitchen's: it counts while the ticket is being made (new or in the
kitchen); a ticket that is ready, out, declined or done is not late, whatever its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from ui.models.orders import OrderRow
from ui.models.stages import Stage

DEFAULT_GRACE_SECONDS = 5 * 60.0
MAX_GRACE_MINUTES = 120
# The stages where the kitchen still owes the ticket.
BEING_MADE = frozenset({Stage.NEW, Stage.KITCHEN})


class Lateness(Enum):
    ON_TIME = "on time"  # under its target, or not the kitchen's to make any more
    LATE = "late"  # at or past its target: amber
    OVERDUE = "overdue"  # at or past its target plus the grace: red


@dataclass(frozen=True, slots=True)
class PrepTargets:
    """Decides a ticket's lateness from its age (since it was placed) and its target:
    ``LATE`` from ``target`` on, ``OVERDUE`` from ``target + grace_seconds`` on."""

    grace_seconds: float = DEFAULT_GRACE_SECONDS

    def decide(self, order: OrderRow, now: datetime) -> Lateness:
        target = order.target_seconds
        if target is None or order.stage not in BEING_MADE:
            return Lateness.ON_TIME
        age = (now - order.created_at).total_seconds()
        if age >= target + self.grace_seconds:
            return Lateness.OVERDUE
        if age >= target:
            return Lateness.LATE
        return Lateness.ON_TIME
