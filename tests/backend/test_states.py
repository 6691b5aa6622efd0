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
    (OrderStatus.PAID, OrderAction.SEND_TO_KITCHEN): OrderStatus.IN_KITCHEN,
    (OrderStatus.PAID, OrderAction.MARK_READY): OrderStatus.READY,
    (OrderStatus.IN_KITCHEN, OrderAction.MARK_READY): OrderStatus.READY,
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


def test_final_states_have_no_way_out() -> None:
    for rule in ORDER_TRANSITIONS.values():
        assert not rule.sources & FINAL


def test_every_action_writes_a_distinct_event() -> None:
    types = [rule.event_type for rule in ORDER_TRANSITIONS.values()]
    assert len(types) == len(set(types))
