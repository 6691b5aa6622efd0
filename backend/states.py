"""Order and delivery states, each with its one transition table.

Everything that changes an order's status asks :data:`ORDER_TRANSITIONS`; an action
not allowed from the current status is an ``INVALID_TRANSITION`` and changes nothing.
Deliveries move only as :data:`DELIVERY_TRANSITIONS` says: the runner, the staff
commands and every SQL statement that writes ``deliveries.status`` (annotated
``-- FROM -> TO``) follow it, and tests/backend/test_delivery_transitions.py holds
all three to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from handlers.sdk import EventType


class OrderStatus(StrEnum):
    PLACED = "PLACED"  # accepted and saved; waiting for validate_order
    VALIDATED = "VALIDATED"  # items and totals checked; waiting for payment
    REJECTED = "REJECTED"  # validation failed (final)
    PAID = "PAID"  # payment recorded; going to the kitchen
    PAYMENT_FAILED = (
        "PAYMENT_FAILED"  # the charge was declined: staff charge again, take cash or cancel
    )
    IN_KITCHEN = "IN_KITCHEN"  # the ticket is with the kitchen
    READY = "READY"  # staff marked it ready for pick-up, serving or a driver
    OUT_FOR_DELIVERY = "OUT_FOR_DELIVERY"  # a driver has it
    COMPLETED = "COMPLETED"  # handed over (final)
    CANCELLED = "CANCELLED"  # cancelled by staff, with a reason (final)


class Channel(StrEnum):
    COUNTER = "COUNTER"
    PHONE = "PHONE"
    WEB = "WEB"
    KIOSK = "KIOSK"


class Fulfillment(StrEnum):
    DINE_IN = "DINE_IN"
    TAKEAWAY = "TAKEAWAY"
    DELIVERY = "DELIVERY"


class Allergen(StrEnum):
    """The 14 allergens EU law (Regulation 1169/2011, Annex II) makes a kitchen declare."""

    GLUTEN = "GLUTEN"
    CRUSTACEANS = "CRUSTACEANS"
    EGGS = "EGGS"
    FISH = "FISH"
    PEANUTS = "PEANUTS"
    SOY = "SOY"
    MILK = "MILK"
    TREE_NUTS = "TREE_NUTS"
    CELERY = "CELERY"
    MUSTARD = "MUSTARD"
    SESAME = "SESAME"
    SULPHITES = "SULPHITES"
    LUPIN = "LUPIN"
    MOLLUSCS = "MOLLUSCS"


class Station(StrEnum):
    """Where in the kitchen a menu category is made; each has its own screen (--station)."""

    GRILL = "GRILL"  # mains off the grill and the stove
    FRYER = "FRYER"  # fries, rings, anything from the fryer
    PIZZA = "PIZZA"  # the pizza oven
    COLD = "COLD"  # cold starters, salads, desserts
    BAR = "BAR"  # drinks


class OrderAction(StrEnum):
    """Something that moves an order; each writes the event of the same purpose."""

    VALIDATE = "validate"
    REJECT = "reject"
    RECORD_PAYMENT = "record_payment"
    FAIL_PAYMENT = "fail_payment"
    RETRY_PAYMENT = "retry_payment"  # staff: charge a declined order again
    TAKE_CASH = "take_cash"  # staff: the customer paid a declined order in cash
    SEND_TO_KITCHEN = "send_to_kitchen"
    MARK_READY = "mark_ready"
    RECALL = "recall"  # staff: a ticket bumped ready goes back to the kitchen
    REOPEN = "reopen"  # staff: a ticket bumped complete is ready again
    DISPATCH = "dispatch"
    COMPLETE = "complete"
    CANCEL = "cancel"


@dataclass(frozen=True, slots=True)
class Transition:
    sources: frozenset[OrderStatus]
    target: OrderStatus
    event_type: EventType


def _t(target: OrderStatus, event_type: EventType, *sources: OrderStatus) -> Transition:
    return Transition(frozenset(sources), target, event_type)


S = OrderStatus
E = EventType
ORDER_TRANSITIONS: dict[OrderAction, Transition] = {
    OrderAction.VALIDATE: _t(S.VALIDATED, E.ORDER_VALIDATED, S.PLACED),
    OrderAction.REJECT: _t(S.REJECTED, E.ORDER_REJECTED, S.PLACED),
    OrderAction.RECORD_PAYMENT: _t(S.PAID, E.ORDER_PAID, S.VALIDATED),
    OrderAction.FAIL_PAYMENT: _t(S.PAYMENT_FAILED, E.PAYMENT_FAILED, S.VALIDATED),
    # Validated again, with its event: charge_payment runs again through the pipeline.
    OrderAction.RETRY_PAYMENT: _t(S.VALIDATED, E.ORDER_VALIDATED, S.PAYMENT_FAILED),
    # Paid, with order_paid as any payment: the kitchen gets the order as usual.
    OrderAction.TAKE_CASH: _t(S.PAID, E.ORDER_PAID, S.PAYMENT_FAILED),
    OrderAction.SEND_TO_KITCHEN: _t(S.IN_KITCHEN, E.ORDER_IN_KITCHEN, S.PAID),
    OrderAction.MARK_READY: _t(S.READY, E.ORDER_READY, S.PAID, S.IN_KITCHEN),
    # Only from READY: once out for delivery or handed over, the ticket has moved on.
    OrderAction.RECALL: _t(S.IN_KITCHEN, E.ORDER_RECALLED, S.READY),
    # A Complete bump taken back (the food is still at the pass). Not for an order that
    # went out for delivery: orders.recall refuses that one, the driver delivered it.
    OrderAction.REOPEN: _t(S.READY, E.ORDER_REOPENED, S.COMPLETED),
    OrderAction.DISPATCH: _t(S.OUT_FOR_DELIVERY, E.ORDER_OUT_FOR_DELIVERY, S.READY),
    OrderAction.COMPLETE: _t(S.COMPLETED, E.ORDER_COMPLETED, S.READY, S.OUT_FOR_DELIVERY),
    OrderAction.CANCEL: _t(
        S.CANCELLED,
        E.ORDER_CANCELLED,
        S.PLACED,
        S.VALIDATED,
        S.PAID,
        S.PAYMENT_FAILED,
        S.IN_KITCHEN,
        S.READY,
    ),
}
del S, E


class DeliveryStatus(StrEnum):
    """Where one event's delivery to one handler stands (docs/api.md, "Deliveries")."""

    PENDING = "PENDING"  # due at next_attempt_at, waiting for the runner (or paused)
    RUNNING = "RUNNING"  # leased until lease_until; an expired lease makes it due again
    SUCCEEDED = "SUCCEEDED"  # the handler returned
    RETRYING = "RETRYING"  # the last attempt failed; due again after backoff
    DEAD = "DEAD"  # out of attempts or a permanent error; waits for a person
    # A person settled a DEAD delivery that must not run again, with a reason (final,
    # though replayEvent may still run it: a person may change their mind).
    RESOLVED = "RESOLVED"


class DeliveryAction(StrEnum):
    """Something that moves a delivery; each is one row of :data:`DELIVERY_TRANSITIONS`."""

    WRITE = "write"  # the event is written, with a delivery per handler of its type
    LEASE = "lease"  # the runner starts an attempt (attempts + 1)
    SUCCEED = "succeed"  # the handler returned
    BACK_OFF = "back_off"  # it failed with attempts left, or the runner stopped it
    GIVE_UP = "give_up"  # a permanent error, or that was the last attempt
    RETRY = "retry"  # staff: retryDelivery, retryDead
    REPLAY = "replay"  # staff: replayEvent
    RESOLVE = "resolve"  # staff: resolveDelivery, resolveDeliveries


class Mover(StrEnum):
    """Who makes a delivery transition."""

    OUTBOX = "outbox"  # the transaction that writes the event
    RUNNER = "runner"  # the event runner, applying an attempt's outcome
    STAFF = "staff"  # a person, through a staff-only mutation


@dataclass(frozen=True, slots=True)
class DeliveryTransition:
    sources: frozenset[DeliveryStatus | None]  # None: there is no delivery yet
    target: DeliveryStatus
    by: Mover


def _d(target: DeliveryStatus, by: Mover, *sources: DeliveryStatus | None) -> DeliveryTransition:
    return DeliveryTransition(frozenset(sources), target, by)


D = DeliveryStatus
M = Mover
DELIVERY_TRANSITIONS: dict[DeliveryAction, DeliveryTransition] = {
    DeliveryAction.WRITE: _d(D.PENDING, M.OUTBOX, None),
    # From RUNNING only once its lease has run out (the process running it died).
    DeliveryAction.LEASE: _d(D.RUNNING, M.RUNNER, D.PENDING, D.RETRYING, D.RUNNING),
    DeliveryAction.SUCCEED: _d(D.SUCCEEDED, M.RUNNER, D.RUNNING),
    DeliveryAction.BACK_OFF: _d(D.RETRYING, M.RUNNER, D.RUNNING),
    DeliveryAction.GIVE_UP: _d(D.DEAD, M.RUNNER, D.RUNNING),
    # Not from RESOLVED: "retry all dead" must not pick up what a person settled.
    DeliveryAction.RETRY: _d(D.PENDING, M.STAFF, D.PENDING, D.RETRYING, D.DEAD),
    # From RESOLVED too: replaying one named event is a deliberate second thought.
    DeliveryAction.REPLAY: _d(
        D.PENDING, M.STAFF, D.PENDING, D.RETRYING, D.SUCCEEDED, D.DEAD, D.RESOLVED
    ),
    DeliveryAction.RESOLVE: _d(D.RESOLVED, M.STAFF, D.DEAD),
}
del D, M


def delivery_sources(action: DeliveryAction) -> list[str]:
    """The statuses ``action`` moves a delivery from, for a SQL ``WHERE status IN``."""
    return sorted(status.value for status in DELIVERY_TRANSITIONS[action].sources if status)
