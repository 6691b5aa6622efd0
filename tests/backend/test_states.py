"""The order transition table: every (status, action) pair, checked against the table."""

from __future__ import annotations

import pytest

from backend.states import ORDER_TRANSITIONS, OrderAction, OrderStatus

FINAL = {OrderStatus.REJECTED, OrderStatus.COMPLETED, OrderStatus.CANCELLED}
EXPECTED: dict[tuple[OrderStatus, OrderAction], OrderStatus] = {
    (OrderStatus.PLACED, OrderAction.VALIDATE): OrderStatus.VALIDATED,
    (OrderStatus.PLACED, OrderAction.REJECT): OrderStatus.REJECTED,
    (OrderStatus.VALIDATED, OrderAction.RECORD_PAYMENT): OrderStatus.PAID,
    (OrderStatus.VALIDATED, OrderAction.FAIL_PAYMENT): OrderStatus.PAYMENT_FAILED,
    (OrderStatus.PAYMENT_FAILED, OrderAction.RETRY_PAYMENT): OrderStatus.VALIDATED,
    (OrderStatus.PAYMENT_FAILED, OrderAction.TAKE_CASH): OrderStatus.PAID,
    (OrderStatus.PAID, OrderAction.SEND_TO_KITCHEN): OrderStatus.IN_KITCHEN,
    (OrderStatus.PAID, OrderAction.MARK_READY): OrderStatus.READY,
    (OrderStatus.IN_KITCHEN, OrderAction.MARK_READY): OrderStatus.READY,
    (OrderStatus.READY, OrderAction.RECALL): OrderStatus.IN_KITCHEN,
    (OrderStatus.COMPLETED, OrderAction.REOPEN): OrderStatus.READY,
    (OrderStatus.READY, OrderAction.DISPATCH): OrderStatus.OUT_FOR_DELIVERY,
    (OrderStatus.READY, OrderAction.COMPLETE): OrderStatus.COMPLETED,
    (OrderStatus.OUT_FOR_DELIVERY, OrderAction.COMPLETE): OrderStatus.COMPLETED,
    **{
        (status, OrderAction.CANCEL): OrderStatus.CANCELLED
        for status in OrderStatus
        if status not in FINAL and status is not OrderStatus.OUT_FOR_DELIVERY
    },
}


@pytest.mark.parametrize("status", list(OrderStatus))
@pytest.mark.parametrize("action", list(OrderAction))
def test_transition_table(status: OrderStatus, action: OrderAction) -> None:
    rule = ORDER_TRANSITIONS[action]
    allowed = status in rule.sources
    assert allowed == ((status, action) in EXPECTED)
    if allowed:
        assert rule.target == EXPECTED[(status, action)]


def test_final_states_have_no_way_out_but_a_complete_bump_taken_back() -> None:
    for action, rule in ORDER_TRANSITIONS.items():
        if action is OrderAction.REOPEN:
            assert rule.sources == {OrderStatus.COMPLETED}
            continue
        assert not rule.sources & FINAL


def test_an_event_type_always_means_the_same_status() -> None:
    # Two actions may write one event type (staff's retryPayment and the pipeline's
    # markValidated both write order_validated, so charge_payment runs on either), but
    # an event always leaves the order in the same status: readers of the log rely on it.
    target_of: dict[str, set[OrderStatus]] = {}
    for rule in ORDER_TRANSITIONS.values():
        target_of.setdefault(rule.event_type, set()).add(rule.target)
    assert all(len(targets) == 1 for targets in target_of.values())
