"""Order and delivery states, each with its one transition table.

Everything that changes an order's status asks :data:`ORDER_TRANSITIONS`; an action
not allowed from the current status is an ``INVALID_TRANSITION`` and changes nothing.
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
    PAYMENT_FAILED = "PAYMENT_FAILED"  # the charge was declined (final unless cancelled)
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


class OrderAction(StrEnum):
    """Something that moves an order; each writes the event of the same purpose."""

    VALIDATE = "validate"
    REJECT = "reject"
    RECORD_PAYMENT = "record_payment"
    FAIL_PAYMENT = "fail_payment"
    SEND_TO_KITCHEN = "send_to_kitchen"
    MARK_READY = "mark_ready"
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
    OrderAction.SEND_TO_KITCHEN: _t(S.IN_KITCHEN, E.ORDER_IN_KITCHEN, S.PAID),
    OrderAction.MARK_READY: _t(S.READY, E.ORDER_READY, S.PAID, S.IN_KITCHEN),
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
