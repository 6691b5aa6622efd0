"""Where an order stands on the board, and what staff may do with it from there.

The backend's transition table is the authority (an action it refuses comes back as
``INVALID_TRANSITION``); this is the dashboard's one copy of the part staff act on, so
that the board offers only the buttons that can work.
"""

from __future__ import annotations

from enum import Enum, StrEnum


class Status(StrEnum):
    """An order's status, as the API spells it (tests/test_contract.py checks the copy)."""

    PLACED = "PLACED"  # accepted; waiting for validate_order
    VALIDATED = "VALIDATED"  # checked; waiting for the payment
    REJECTED = "REJECTED"  # validation failed (final)
    PAID = "PAID"  # paid; on its way to the kitchen
    PAYMENT_FAILED = "PAYMENT_FAILED"  # the charge was declined: charge again, take cash, cancel
    IN_KITCHEN = "IN_KITCHEN"  # the kitchen has the ticket
    READY = "READY"  # ready for pick-up, serving or a driver
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"  # a driver has it
    COMPLETED = "COMPLETED"  # handed over (final)
    CANCELLED = "CANCELLED"  # cancelled by staff (final)


class Stage(Enum):
    """Where an order shows on the board; the value is its title."""

    PAYMENT = "Payment failed"  # work for a person: a lane of its own over the grid
    NEW = "New"  # placed or validated: the pipeline is on it
    KITCHEN = "In kitchen"  # paid, or with the kitchen
    READY = "Ready"
    OUT = "Out for delivery"
    DONE = "Done"  # completed, cancelled or rejected: out of the way, but reachable


class Action(Enum):
    """A staff action on an order; the value is its button label."""

    RETRY_PAYMENT = "Charge again"
    TAKE_CASH = "Take cash"
    MARK_READY = "Ready"
    COMPLETE = "Complete"
    CANCEL = "Cancel"


STAGE_OF: dict[Status, Stage] = {
    Status.PLACED: Stage.NEW,
    Status.VALIDATED: Stage.NEW,
    Status.PAYMENT_FAILED: Stage.PAYMENT,
    Status.PAID: Stage.KITCHEN,
    Status.IN_KITCHEN: Stage.KITCHEN,
    Status.READY: Stage.READY,
    Status.OUT_FOR_DELIVERY: Stage.OUT,
    Status.COMPLETED: Stage.DONE,
    Status.CANCELLED: Stage.DONE,
    Status.REJECTED: Stage.DONE,
}

# Which actions each status allows: the backend's ORDER_TRANSITIONS for staff (docs/api.md,
# "Order status"), held to it by tests/test_contract.py.
ACTIONS_OF: dict[Status, tuple[Action, ...]] = {
    Status.PLACED: (Action.CANCEL,),
    Status.VALIDATED: (Action.CANCEL,),
    Status.PAYMENT_FAILED: (Action.RETRY_PAYMENT, Action.TAKE_CASH, Action.CANCEL),
    Status.PAID: (Action.MARK_READY, Action.CANCEL),
    Status.IN_KITCHEN: (Action.MARK_READY, Action.CANCEL),
    Status.READY: (Action.COMPLETE, Action.CANCEL),
    Status.OUT_FOR_DELIVERY: (Action.COMPLETE,),
    Status.COMPLETED: (),
    Status.CANCELLED: (),
    Status.REJECTED: (),
}

# How a status reads on a card (the column already says most of it).
LABEL_OF: dict[Status, str] = {
    Status.PLACED: "placed",
    Status.VALIDATED: "validated",
    Status.REJECTED: "rejected",
    Status.PAID: "paid",
    Status.PAYMENT_FAILED: "payment failed",
    Status.IN_KITCHEN: "in kitchen",
    Status.READY: "ready",
    Status.OUT_FOR_DELIVERY: "out for delivery",
    Status.COMPLETED: "completed",
    Status.CANCELLED: "cancelled",
}

FINISHED = frozenset(status for status, stage in STAGE_OF.items() if stage is Stage.DONE)
