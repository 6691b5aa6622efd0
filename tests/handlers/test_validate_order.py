"""validate_order: order_placed -> VALIDATED, or REJECTED with a reason; nothing once moved on."""

from __future__ import annotations

from backend import menu
from backend.states import OrderAction, OrderStatus
from tests.handlers.harness import Kitchen


def test_an_order_of_available_items_is_validated(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("margherita", 2), ("cola", 1))
    kitchen.handle(order_id, "order_placed", "validate_order")
    assert kitchen.order(order_id).status is OrderStatus.VALIDATED
    assert kitchen.types(order_id) == ["order_placed", "order_validated"]


def test_an_item_sold_out_since_the_order_was_placed_rejects_it_with_the_reason(
    kitchen: Kitchen,
) -> None:
    order_id = kitchen.place(("margherita", 1), ("tiramisu", 1))
    kitchen.call(kitchen.backend.db.write(lambda tx: menu.set_available(tx, "tiramisu", False)))
    kitchen.handle(order_id, "order_placed", "validate_order")
    assert kitchen.order(order_id).status is OrderStatus.REJECTED
    rejected = kitchen.event(order_id, "order_rejected")
    assert rejected.payload["reason"] == "Tiramisu is sold out"


def test_a_total_that_does_not_add_up_is_rejected(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("margherita", 2))
    kitchen.call(
        kitchen.backend.db.write(
            lambda tx: tx.execute("UPDATE orders SET total_cents = 1 WHERE id = ?", (order_id,))
        )
    )
    kitchen.handle(order_id, "order_placed", "validate_order")
    reason = kitchen.event(order_id, "order_rejected").payload["reason"]
    assert reason == "the total 0.01 does not match its items (24.00)"


def test_a_repeated_delivery_validates_once(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("margherita", 1))
    kitchen.handle(order_id, "order_placed", "validate_order")
    kitchen.handle(order_id, "order_placed", "validate_order", attempt=2)
    assert kitchen.types(order_id) == ["order_placed", "order_validated"]


def test_an_order_cancelled_before_validation_is_left_alone(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("margherita", 1))
    kitchen.staff(order_id, OrderAction.CANCEL, reason="customer called")
    kitchen.handle(order_id, "order_placed", "validate_order")
    assert kitchen.order(order_id).status is OrderStatus.CANCELLED
    assert kitchen.types(order_id) == ["order_placed", "order_cancelled"]


# The burger (14.50) with extra cheese (+1.50), bacon (+2.00) and no onion (+0): 18.00.
BURGER = ("burger-no-onion", "burger-bacon", "burger-extra-cheese")


def test_priced_modifiers_are_part_of_the_price_it_checks(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("burger", 2), ("cola", 1), line_modifiers=[BURGER])
    assert kitchen.order(order_id).items[0].unit_price_cents == 1800
    kitchen.handle(order_id, "order_placed", "validate_order")
    assert kitchen.order(order_id).status is OrderStatus.VALIDATED


def test_a_modifier_whose_price_changed_since_rejects_the_order(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("burger", 1), line_modifiers=[BURGER])
    kitchen.call(
        kitchen.backend.db.write(
            lambda tx: tx.execute(
                "UPDATE modifiers SET price_cents = 250 WHERE id = 'burger-bacon'"
            )
        )
    )
    kitchen.handle(order_id, "order_placed", "validate_order")
    reason = kitchen.event(order_id, "order_rejected").payload["reason"]
    assert reason == "the price of Smash burger changed from 18.00 to 18.50"


def test_a_modifier_no_longer_offered_rejects_the_order(kitchen: Kitchen) -> None:
    order_id = kitchen.place(("burger", 1), line_modifiers=[BURGER])
    kitchen.call(
        kitchen.backend.db.write(
            lambda tx: tx.execute("DELETE FROM modifiers WHERE id = 'burger-bacon'")
        )
    )
    kitchen.handle(order_id, "order_placed", "validate_order")
    reason = kitchen.event(order_id, "order_rejected").payload["reason"]
    assert reason == "bacon is no longer offered with Smash burger"
