"""send_to_kitchen: a paid order's ticket is printed once, then the order is IN_KITCHEN."""

from __future__ import annotations

import pytest

from backend import orders
from backend.errors import InvalidTransition
from backend.states import Allergen, Fulfillment, OrderAction, OrderStatus
from tests.handlers.harness import Kitchen


def test_a_paid_order_gets_one_ticket_and_goes_in_the_kitchen(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(("margherita", 2), ("cola", 1), fulfillment=Fulfillment.TAKEAWAY)
    kitchen.handle(order_id, "order_paid", "send_to_kitchen")
    kitchen.handle(order_id, "order_paid", "send_to_kitchen", attempt=2)
    number = kitchen.order(order_id).number
    (ticket,) = kitchen.tickets()
    assert ticket.name.startswith(f"{number}-")
    assert ticket.read_text().splitlines() == [
        f"ORDER #{number}",
        "TAKEAWAY - PHONE",
        "for Ada",
        "-" * 32,
        "  2 x Margherita",
        "  1 x Cola",
        "-" * 32,
    ]
    assert kitchen.order(order_id).status is OrderStatus.IN_KITCHEN
    assert kitchen.types(order_id).count("order_in_kitchen") == 1


def test_the_ticket_shouts_each_allergy_and_names_the_table(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(
        ("margherita", 1),
        ("cola", 2),
        fulfillment=Fulfillment.DINE_IN,
        table=12,
        allergens=(Allergen.TREE_NUTS, Allergen.PEANUTS),
        line_allergens=[(Allergen.MILK,)],
    )
    kitchen.handle(order_id, "order_paid", "send_to_kitchen")
    number = kitchen.order(order_id).number
    (ticket,) = kitchen.tickets()
    assert ticket.read_text().splitlines() == [
        f"ORDER #{number}",
        "DINE IN - PHONE",
        "TABLE 12",
        # In the EU list's order, whatever order the guest named them in.
        "!! ALLERGY: PEANUTS",
        "!! ALLERGY: TREE NUTS",
        "for Ada",
        "-" * 32,
        "  1 x Margherita",
        "      !! ALLERGY: MILK",
        "  2 x Cola",
        "-" * 32,
    ]


def test_a_retry_after_a_crash_between_print_and_mutation_prints_nothing_new(
    kitchen: Kitchen,
) -> None:
    order_id = kitchen.paid(("margherita", 1))
    event = kitchen.event(order_id, "order_paid")
    kitchen.call(
        kitchen.adapters.printer.print_ticket(1, "the first print", f"{event.id}:send_to_kitchen")
    )
    kitchen.deliver(event, "send_to_kitchen", attempt=2)
    (ticket,) = kitchen.tickets()
    assert ticket.read_text() == "the first print"
    assert kitchen.order(order_id).status is OrderStatus.IN_KITCHEN


def test_an_order_the_staff_already_marked_ready_gets_no_ticket(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(("margherita", 1))
    kitchen.staff(order_id, OrderAction.MARK_READY)
    kitchen.handle(order_id, "order_paid", "send_to_kitchen")
    assert kitchen.tickets() == []
    assert kitchen.order(order_id).status is OrderStatus.READY


def test_a_reprint_asked_for_prints_the_ticket_again_marked_reprint(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(("margherita", 1), fulfillment=Fulfillment.TAKEAWAY)
    kitchen.handle(order_id, "order_paid", "send_to_kitchen")
    kitchen.call(kitchen.backend.db.write(lambda tx: orders.request_ticket(tx, order_id)))
    kitchen.handle(order_id, "kitchen_ticket_requested", "send_to_kitchen")
    kitchen.handle(order_id, "kitchen_ticket_requested", "send_to_kitchen", attempt=2)
    number = kitchen.order(order_id).number
    first, again = sorted(kitchen.tickets(), key=lambda path: "REPRINT" in path.read_text())
    assert first.read_text().splitlines()[0] == f"ORDER #{number}"
    assert again.read_text().splitlines()[0] == f"ORDER #{number}  (REPRINT)"
    assert again.read_text().splitlines()[1:] == first.read_text().splitlines()[1:]
    assert kitchen.order(order_id).status is OrderStatus.IN_KITCHEN  # nothing moved


def test_only_an_order_in_the_kitchen_s_hands_can_be_reprinted(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(("margherita", 1))
    kitchen.staff(order_id, OrderAction.MARK_READY)
    kitchen.staff(order_id, OrderAction.COMPLETE)
    with pytest.raises(InvalidTransition, match="only an order that is paid and not yet"):
        kitchen.call(kitchen.backend.db.write(lambda tx: orders.request_ticket(tx, order_id)))
    assert "kitchen_ticket_requested" not in kitchen.types(order_id)


def test_the_ticket_lists_each_lines_modifiers_under_it(kitchen: Kitchen) -> None:
    order_id = kitchen.paid(
        ("burger", 1),
        ("steak-frites", 1),
        fulfillment=Fulfillment.TAKEAWAY,
        line_modifiers=[
            ("burger-no-onion", "burger-extra-cheese", "burger-well-done"),
            ("steak-medium-rare",),
        ],
        line_allergens=[(Allergen.MILK,)],
    )
    kitchen.handle(order_id, "order_paid", "send_to_kitchen")
    (ticket,) = kitchen.tickets()
    lines = ticket.read_text().splitlines()
    start = lines.index("  1 x Smash burger")
    # The allergy first; then in menu order (Cook, Extras, Without), what is left off
    # reading "-" and what is added "+".
    assert lines[start : start + 7] == [
        "  1 x Smash burger",
        "      !! ALLERGY: MILK",
        "      WELL DONE",
        "      + EXTRA CHEESE",
        "      - NO ONION",
        "  1 x Steak frites",
        "      MEDIUM RARE",
    ]
