"""assign_driver: a READY delivery order goes out with the least busy driver."""

from __future__ import annotations

from backend.states import Fulfillment, OrderAction, OrderStatus
from tests.handlers.harness import Kitchen


def ready(kitchen: Kitchen, fulfillment: Fulfillment = Fulfillment.DELIVERY) -> str:
    order_id = kitchen.paid(("margherita", 1), fulfillment=fulfillment)
    kitchen.staff(order_id, OrderAction.MARK_READY)
    return order_id


def dispatch(kitchen: Kitchen, order_id: str) -> str:
    kitchen.handle(order_id, "order_ready", "assign_driver")
    driver: str = kitchen.event(order_id, "order_out_for_delivery").payload["driver"]["name"]
    return driver


def test_a_ready_delivery_order_goes_out_with_a_driver(kitchen: Kitchen) -> None:
    order_id = ready(kitchen)
    assert dispatch(kitchen, order_id) == "Amara Okafor"
    assert kitchen.order(order_id).status is OrderStatus.OUT_FOR_DELIVERY
    assert kitchen.rows("SELECT order_id, driver_id FROM driver_assignments") == [
        (order_id, "driver-amara")
    ]


def test_the_least_busy_driver_is_chosen(kitchen: Kitchen) -> None:
    first, second = ready(kitchen), ready(kitchen)
    assert dispatch(kitchen, first) == "Amara Okafor"
    assert dispatch(kitchen, second) == "Bruno Costa"  # Amara is out
    kitchen.staff(first, OrderAction.COMPLETE)
    # Amara is back but has made a delivery today; Chen has made none.
    assert dispatch(kitchen, ready(kitchen)) == "Chen Wei"
    assert dispatch(kitchen, ready(kitchen)) == "Amara Okafor"  # Bruno and Chen are out


def test_a_repeated_delivery_dispatches_once(kitchen: Kitchen) -> None:
    order_id = ready(kitchen)
    kitchen.handle(order_id, "order_ready", "assign_driver")
    kitchen.handle(order_id, "order_ready", "assign_driver", attempt=2)
    assert kitchen.types(order_id).count("order_out_for_delivery") == 1


def test_orders_that_are_not_delivered_get_no_driver(kitchen: Kitchen) -> None:
    order_id = ready(kitchen, Fulfillment.TAKEAWAY)
    kitchen.handle(order_id, "order_ready", "assign_driver")
    assert kitchen.order(order_id).status is OrderStatus.READY
    assert kitchen.rows("SELECT count(*) FROM driver_assignments") == [(0,)]


def test_an_order_handed_over_before_a_driver_was_assigned_is_left_alone(
    kitchen: Kitchen,
) -> None:
    order_id = ready(kitchen)
    kitchen.staff(order_id, OrderAction.COMPLETE)  # the customer came for it after all
    kitchen.handle(order_id, "order_ready", "assign_driver")
    assert kitchen.order(order_id).status is OrderStatus.COMPLETED
    assert kitchen.rows("SELECT count(*) FROM driver_assignments") == [(0,)]
