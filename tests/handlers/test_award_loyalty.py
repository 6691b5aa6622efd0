"""award_loyalty: a completed order's points go to its phone number, once."""

from __future__ import annotations

from backend.states import Fulfillment, OrderAction
from tests.handlers.harness import Kitchen


def completed(kitchen: Kitchen, phone: str | None, quantity: int = 1) -> str:
    order_id = kitchen.paid(("margherita", quantity), fulfillment=Fulfillment.TAKEAWAY, phone=phone)
    kitchen.staff(order_id, OrderAction.MARK_READY)
    kitchen.staff(order_id, OrderAction.COMPLETE)
    return order_id


def test_points_are_awarded_once_per_order_to_the_phone_number(kitchen: Kitchen) -> None:
    first = completed(kitchen, "+44 20 7946 0001", quantity=2)  # 24.00: 24 points
    second = completed(kitchen, "+44 (20) 7946-0001")  # the same number: 12 more
    for order_id in (first, first, second, second):
        kitchen.handle(order_id, "order_completed", "award_loyalty")
    assert kitchen.rows("SELECT phone, points FROM loyalty_accounts") == [("+442079460001", 36)]
    assert kitchen.rows("SELECT points FROM loyalty_awards ORDER BY points") == [(12,), (24,)]


def test_an_order_without_a_phone_number_earns_nothing(kitchen: Kitchen) -> None:
    order_id = completed(kitchen, None)
    kitchen.handle(order_id, "order_completed", "award_loyalty")
    assert kitchen.rows("SELECT count(*) FROM loyalty_awards") == [(0,)]
