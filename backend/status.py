"""Order and delivery states, each with its one transition table.

Everything that changes an order's status asks :data:`ORDER_TRANSITIONS`; an action
not allowed from the current status is an ``INVALID_TRANSITION`` and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
    event_type: str


def _t(target: OrderStatus, event_type: str, *sources: OrderStatus) -> Transition:
    return Transition(frozenset(sources), target, event_type)


S = OrderStatus
ORDER_PLACED = "order_placed"
ORDER_TRANSITIONS: dict[OrderAction, Transition] = {
    OrderAction.VALIDATE: _t(S.VALIDATED, "order_validated", S.PLACED),
    OrderAction.REJECT: _t(S.REJECTED, "order_rejected", S.PLACED),
    OrderAction.RECORD_PAYMENT: _t(S.PAID, "order_paid", S.VALIDATED),
    OrderAction.FAIL_PAYMENT: _t(S.PAYMENT_FAILED, "payment_failed", S.VALIDATED),
    OrderAction.SEND_TO_KITCHEN: _t(S.IN_KITCHEN, "order_in_kitchen", S.PAID),
    OrderAction.MARK_READY: _t(S.READY, "order_ready", S.PAID, S.IN_KITCHEN),
    OrderAction.DISPATCH: _t(S.OUT_FOR_DELIVERY, "order_out_for_delivery", S.READY),
    OrderAction.COMPLETE: _t(S.COMPLETED, "order_completed", S.READY, S.OUT_FOR_DELIVERY),
    OrderAction.CANCEL: _t(
        S.CANCELLED,
        "order_cancelled",
        S.PLACED,
        S.VALIDATED,
        S.PAID,
        S.PAYMENT_FAILED,
        S.IN_KITCHEN,
        S.READY,
    ),
}
del S


class DeliveryStatus(StrEnum):
    """Where one event's delivery to one handler stands (DESIGN.md, delivery semantics)."""

    PENDING = "PENDING"  # due at next_attempt_at, waiting for the runner (or paused)
    RUNNING = "RUNNING"  # leased until lease_until; an expired lease makes it due again
    SUCCEEDED = "SUCCEEDED"  # the handler returned
    RETRYING = "RETRYING"  # the last attempt failed; due again after backoff
    DEAD = "DEAD"  # out of attempts or a permanent error; waits for a person


EVENT_TYPES = (
    "order_placed",
    "order_validated",
    "order_rejected",
    "order_paid",
    "payment_failed",
    "order_in_kitchen",
    "order_ready",
    "order_out_for_delivery",
    "order_completed",
    "order_cancelled",
    "menu_item_changed",
)
