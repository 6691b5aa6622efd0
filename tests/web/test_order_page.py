"""The order page (/) and the kiosk (/kiosk) in a real browser at a phone's width."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, Route, expect

from backend.embedded import Backend
from backend.settings import PUBLIC_ORDERS_PER_WINDOW
from tests.web.conftest import Api, base_of, wait_for_status_page


def fill_cart(page: Page) -> None:
    expect(page.locator("[data-item=margherita] button.add")).to_be_visible()
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_role("button", name="Add Fries").click()
    page.get_by_label("Note for Fries").fill("extra salt")
    page.get_by_label("Your name").fill("Ada")
    page.get_by_label("Phone").fill("+44 20 7946 0000")


def test_an_order_placed_at_360px_reaches_the_kitchen_once(
    site: Backend, api: Api, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page()
    page.goto(base_of(site) + "/")
    fill_cart(page)
    expect(page.locator("#total")).to_have_text("28.50")
    # Nothing of the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(screenshots / "web-order-phone.png"), full_page=True)

    page.get_by_role("button", name="Place order").dblclick()  # a double tap
    wait_for_status_page(page)
    expect(page.locator("#number")).not_to_have_text("")

    placed = api.orders()
    assert len(placed) == 1, placed
    order = api.order(placed[0]["id"])
    assert order["channel"] == "WEB"
    assert order["customerName"] == "Ada"
    assert order["phone"] == "+442079460000"
    assert order["items"] == [
        {"menuItemId": "margherita", "quantity": 2, "notes": None},
        {"menuItemId": "fries", "quantity": 1, "notes": "extra salt"},
    ]
    # The pipeline's handlers take it to the kitchen; the page follows without a reload.
    api.wait_status(order["id"], "IN_KITCHEN")
    expect(page.locator("#progress li.current")).to_have_text("In the kitchen (now)")
    page.evaluate("window.notReloaded = true")
    api.mark_ready(order["id"])
    expect(page.locator("#progress li.current")).to_have_text("Ready (now)")
    expect(page.locator("#headline")).to_have_text("Ready! Collect it at the counter.")
    assert page.evaluate("window.notReloaded") is True
    page.screenshot(path=str(screenshots / "web-status-phone.png"), full_page=True)


def test_a_retried_request_places_one_order(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    """The first answer is lost on the way back: the order was placed, the page saw a
    network error, the customer taps again with the same cart and gets the same order."""
    page = new_page()
    lost: list[str] = []

    def lose_answer(route: Route) -> None:
        placing = route.request.method == "POST" and "placeOrder" in (route.request.post_data or "")
        if placing and not lost:
            response = route.fetch()  # the server places the order…
            lost.append(response.text())
            route.abort("connectionreset")  # …and the answer never arrives
            return
        route.continue_()

    page.route("**/graphql", lose_answer)
    page.goto(base_of(site) + "/")
    fill_cart(page)
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#form-error")).to_contain_text("No connection")
    assert len(api.orders()) == 1
    page.get_by_role("button", name="Place order").click()
    wait_for_status_page(page)
    placed = api.orders()
    assert len(placed) == 1, placed
    assert placed[0]["id"] in page.url and placed[0]["id"] in lost[0]


def test_a_table_qr_code_orders_dine_in_for_that_table(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    page.goto(base_of(site) + "/order?table=12")
    expect(page.locator("#table-banner")).to_have_text("Table 12")
    # Shown, not editable: the only way to eat is at that table.
    expect(page.get_by_label("Takeaway")).to_be_hidden()
    expect(page.get_by_label("Eat in at table 12")).to_be_checked()
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_role("button", name="Place order").click()
    wait_for_status_page(page)
    order = api.order(api.orders()[0]["id"])
    assert (order["fulfillment"], order["table"], order["notes"]) == ("DINE_IN", 12, None)


def test_the_servers_objection_is_shown_next_to_its_field(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    page.goto(base_of(site) + "/")
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_label("Phone").fill("12")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#phone-error")).to_contain_text("phone number")
    expect(page.get_by_label("Phone")).to_have_attribute("aria-invalid", "true")
    assert api.orders() == []
    # Delivery without an address is said next to the address, before anything is sent.
    page.get_by_label("Phone").fill("")
    page.get_by_label("Delivery", exact=True).check()
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#address-error")).to_contain_text("address")
    assert api.orders() == []


def test_an_item_that_sells_out_greys_out_while_the_page_is_open(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    page.goto(base_of(site) + "/")
    page.get_by_role("button", name="Add Diavola").click()
    api.call('mutation { setMenuItemAvailable(menuItemId: "diavola", available: false) { id } }')
    expect(page.locator("[data-item=diavola]")).to_have_class("item sold-out")
    expect(page.locator("[data-item=diavola] .badge")).to_have_text("Sold out")
    expect(page.locator("[data-line=diavola]")).to_contain_text("has just sold out")
    api.call('mutation { setMenuItemAvailable(menuItemId: "diavola", available: true) { id } }')
    expect(page.get_by_role("button", name="Add Diavola")).to_be_visible()


def test_the_kiosk_orders_as_kiosk_and_goes_back_to_the_start(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page(viewport={"width": 1024, "height": 768})
    page.goto(base_of(site) + "/kiosk?idle=2")
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#placed-number")).to_have_text("1")
    assert api.order(api.orders()[0]["id"])["channel"] == "KIOSK"
    # Untouched, it goes back to an empty start for the next customer.
    expect(page.locator("#placed")).to_be_hidden(timeout=10_000)
    expect(page.locator("#cart-empty")).to_be_visible()
    # A second order gets a key of its own: it is a new order, not the first one again.
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#placed-number")).to_have_text("2")
    assert len(api.orders()) == 2


def test_past_the_order_limit_the_page_says_when_to_try_again(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    for _ in range(PUBLIC_ORDERS_PER_WINDOW):  # from this address, as the page is
        api.place(("cola", 1))
    page = new_page()
    page.goto(base_of(site) + "/")
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#form-error")).to_have_text(
        re.compile(r"Too many orders from this device just now\. Please try again in \d+ seconds\.")
    )
    assert len(api.orders()) == PUBLIC_ORDERS_PER_WINDOW


def test_eating_in_at_the_kiosk_asks_for_the_table_number(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page(viewport={"width": 1024, "height": 768})
    page.goto(base_of(site) + "/kiosk")
    expect(page.get_by_label("Table number")).to_be_hidden()
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_label("Eat here").check()
    page.get_by_role("button", name="Place order").click()
    # The server's refusal, said next to the field it names.
    expect(page.locator("#table-error")).to_contain_text("table number")
    assert api.orders() == []
    page.get_by_label("Table number").fill("9")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#placed-number")).to_have_text("1")
    order = api.order(api.orders()[0]["id"])
    assert (order["fulfillment"], order["table"]) == ("DINE_IN", 9)


def test_a_steak_asks_its_doneness_before_it_is_sent_and_extras_are_priced(
    site: Backend, api: Api, new_page: Callable[..., Page], screenshots: Path
) -> None:
    page = new_page()
    page.goto(base_of(site) + "/")
    expect(page.locator("[data-item=steak-frites] button.add")).to_be_visible()
    page.get_by_role("button", name="Add Steak frites").click()
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_label("Extras for Margherita").get_by_label("gluten-free base (+2.50)").check()
    expect(page.locator("#total")).to_have_text("41.00")  # 26.50 + 12.00 + 2.50
    page.get_by_role("button", name="Place order").click()
    # Said by the steak's line, before anything is sent.
    expect(page.locator("[id='items.0-error']")).to_have_text(
        "Choose the doneness of your Steak frites first."
    )
    assert api.orders() == []
    page.get_by_label("Doneness for Steak frites").select_option(label="medium rare")
    expect(page.locator("[id='items.0-error']")).to_be_hidden()  # done as it asked
    page.get_by_label("Sauce for Steak frites").select_option(label="pepper sauce (+1.50)")
    expect(page.locator("#total")).to_have_text("42.50")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=str(screenshots / "web-order-modifiers.png"), full_page=True)
    page.get_by_role("button", name="Place order").click()
    wait_for_status_page(page)
    # The status page lists the choices under their line.
    expect(page.locator("#items li").first).to_contain_text("medium rare, pepper sauce")
    (placed,) = api.orders()
    order = api.call(
        "query($id: ID!) { order(id: $id) { totalCents items { modifiers { modifierId } } } }",
        {"id": placed["id"]},
    )["order"]
    assert order == {
        "totalCents": 4250,
        "items": [
            {
                "modifiers": [
                    {"modifierId": "steak-medium-rare"},
                    {"modifierId": "steak-pepper-sauce"},
                ]
            },
            {"modifiers": [{"modifierId": "margherita-gluten-free"}]},
        ],
    }


def test_a_guests_allergies_go_with_the_order_and_its_lines(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    page.goto(base_of(site) + "/")
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_role("button", name="Add Fries").click()
    # One line's own: the margherita's, folded away under its line until opened.
    margherita = page.locator("[data-line=margherita]")
    margherita.get_by_text("Allergies for this item?").click()
    page.get_by_label("Allergies for Margherita").get_by_label("Milk").check()
    expect(margherita.locator("summary")).to_have_text("Allergies: Milk")
    # A second margherita is a line of its own: the first one's allergy is not its.
    page.get_by_role("button", name="Add Margherita").click()
    expect(page.locator("[data-line=margherita]")).to_have_count(2)
    # And the whole order's.
    page.get_by_text("Allergies?").click()
    whole = page.get_by_label("Allergies for the whole order")
    whole.get_by_label("Peanuts").check()
    whole.get_by_label("Tree nuts").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Place order").click()
    wait_for_status_page(page)
    # The status page says them back.
    expect(page.locator("#allergies")).to_have_text(
        "Allergies: Peanuts, Tree nuts (the whole order)"
    )
    expect(page.locator("#items li").first).to_contain_text("Allergies: Milk")

    (placed,) = api.orders()
    order = api.call(
        "query($id: ID!) { order(id: $id) { allergens items { menuItemId allergens } } }",
        {"id": placed["id"]},
    )["order"]
    assert order == {
        "allergens": ["PEANUTS", "TREE_NUTS"],
        "items": [
            {"menuItemId": "margherita", "allergens": ["MILK"]},
            {"menuItemId": "fries", "allergens": []},
            {"menuItemId": "margherita", "allergens": []},
        ],
    }


def test_a_changed_cart_after_a_lost_answer_is_told_plainly_and_can_go_on(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    """The first answer is lost (the order was placed), then the guest changes the cart:
    the server refuses the old key for the new cart. The guest is told what happened in
    plain words, and the next tap places the changed cart as an order of its own."""
    page = new_page()
    lost: list[str] = []

    def lose_first_answer(route: Route) -> None:
        placing = route.request.method == "POST" and "placeOrder" in (route.request.post_data or "")
        if placing and not lost:
            lost.append(route.fetch().text())
            route.abort("connectionreset")
            return
        route.continue_()

    page.route("**/graphql", lose_first_answer)
    page.goto(base_of(site) + "/")
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#form-error")).to_contain_text("No connection")
    page.get_by_role("button", name="Add Fries").click()  # the cart changes
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#form-error")).to_have_text(
        "Your order had already gone through before you changed it (the confirmation was "
        "lost on the way). Tap Place order again to send this changed order as a new one, "
        "or ask at the counter about the first."
    )
    assert len(api.orders()) == 1
    page.get_by_role("button", name="Place order").click()
    wait_for_status_page(page)
    first, second = api.orders()
    assert [item["menuItemId"] for item in api.order(second["id"])["items"]] == [
        "margherita",
        "fries",
    ]
    assert second["id"] in page.url and first["id"] in lost[0]


def test_a_table_number_is_asked_for_in_plain_words(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page(viewport={"width": 1024, "height": 768})
    page.goto(base_of(site) + "/kiosk")
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_label("Eat here").check()
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#table-error")).to_have_text(
        "Please type your table number: it is on your table."
    )
    assert api.orders() == []


def test_a_wrong_table_code_is_told_not_taken_for_takeaway(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page()
    page.goto(base_of(site) + "/?table=1000")
    expect(page.locator("#table-problem")).to_have_text(
        'This table code is not right ("1000" is no table here). '
        "Type the number on your table below, or ask the staff."
    )
    expect(page.locator("#table-banner")).to_be_hidden()
    # They scanned a table's code: they eat in, at the table they type.
    expect(page.get_by_label("Eat here")).to_be_checked()
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_label("Table number").fill("0")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#table-error")).to_have_text(
        "There is no table with that number here: it is from 1 to 999, on your table."
    )
    page.get_by_label("Table number").fill("14")
    page.get_by_role("button", name="Place order").click()
    wait_for_status_page(page)
    order = api.order(api.orders()[0]["id"])
    assert (order["fulfillment"], order["table"]) == ("DINE_IN", 14)


def test_the_kiosk_starts_the_next_customer_at_takeaway(
    site: Backend, api: Api, new_page: Callable[..., Page]
) -> None:
    page = new_page(viewport={"width": 1024, "height": 768})
    page.goto(base_of(site) + "/kiosk?placed=1")
    page.get_by_role("button", name="Add Margherita").click()
    page.get_by_label("Eat here").check()
    page.get_by_label("Table number").fill("9")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#placed-number")).to_have_text("1")
    # The number shown for a second, then the start for whoever comes next.
    expect(page.locator("#placed")).to_be_hidden(timeout=10_000)
    expect(page.get_by_label("Takeaway")).to_be_checked()
    expect(page.get_by_label("Table number")).to_be_hidden()
    expect(page.get_by_label("Table number")).to_have_value("")
    page.get_by_role("button", name="Add Fries").click()
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#placed-number")).to_have_text("2")
    second = api.order(api.orders()[1]["id"])
    assert (second["fulfillment"], second["table"]) == ("TAKEAWAY", None)
