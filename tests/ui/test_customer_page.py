"""The customer side meets the dashboard: an order placed on the order page (a real
Chromium at a phone's width) appears on the real window, and marking it ready there
moves the customer's status page and the pickup screen (neither reloaded); Orders ▸
Customer page… gives the page's QR code."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtGui import QImage, QPixmap
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.ui.test_board_flow import click_button
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, TV
from ui.customer_page import order_page_url, qr_png
from ui.main_window import MainWindow
from ui.models.stages import Action, Status
from ui.views.customer_page import CustomerPageDialog

WAIT_MS = 30_000


def test_the_order_page_address_names_the_lan_when_the_dashboard_uses_loopback() -> None:
    api = "http://127.0.0.1:8787/graphql"
    assert order_page_url(api) == "http://127.0.0.1:8787/"
    assert order_page_url(api, "192.168.1.20") == "http://192.168.1.20:8787/"
    assert order_page_url(api, "192.168.1.20", "12") == "http://192.168.1.20:8787/?table=12"
    # A backend elsewhere is reached at its own address, LAN or not.
    assert order_page_url("http://10.0.0.5:9000/graphql", "192.168.1.20") == "http://10.0.0.5:9000/"


def test_a_backend_on_every_address_is_named_by_its_lan_address() -> None:
    # --host 0.0.0.0 (or ::): the dashboard reaches it there, but no phone can open 0.0.0.0.
    lan = "192.168.1.20"
    assert order_page_url("http://0.0.0.0:8787/graphql", lan) == "http://192.168.1.20:8787/"
    assert (
        order_page_url("http://[::]:8787/graphql", lan, "7") == "http://192.168.1.20:8787/?table=7"
    )
    # Without a LAN address, this computer's own browser can still open it.
    assert order_page_url("http://0.0.0.0:8787/graphql") == "http://127.0.0.1:8787/"


def customer_in_browser(base: str, outcome: dict[str, str], watching: threading.Event) -> None:
    """The customer's phone and the pickup screen by the counter, on a thread of their
    own (Playwright's sync API runs its own loop; the window's qasync loop stays on the
    test's thread). ``watching`` is set once both follow the order."""
    from playwright.sync_api import expect, sync_playwright

    try:
        with sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=PHONE).new_page()  # type: ignore[arg-type]
            page.set_default_timeout(WAIT_MS)
            page.goto(base + "/")
            page.get_by_role("button", name="Add Margherita").click()
            page.get_by_label("Your name").fill("Phone customer")
            page.get_by_role("button", name="Place order").click()
            page.wait_for_url("**/orders/**")
            expect(page.locator("#number")).not_to_have_text("")
            number = page.locator("#number").inner_text()
            tv = browser.new_context(viewport=TV).new_page()  # type: ignore[arg-type]
            tv.set_default_timeout(WAIT_MS)
            tv.goto(base + "/pickup")
            expect(tv.locator("#preparing li")).to_have_text([number])
            tv.evaluate("window.notReloaded = true")
            watching.set()
            expect(page.locator("#progress li.current")).to_have_text("Ready (now)")
            outcome["headline"] = page.locator("#headline").inner_text()
            expect(tv.locator("#ready li")).to_have_text([number])
            expect(tv.locator("#preparing li")).to_have_count(0)
            outcome["pickup"] = "ready" if tv.evaluate("window.notReloaded") else "reloaded"
            browser.close()
    except Exception as exc:  # reported to the test's thread
        outcome["error"] = repr(exc)
    finally:
        watching.set()


def test_an_order_from_the_page_is_on_the_board_and_ready_reaches_the_page(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    outcome: dict[str, str] = {}
    watching = threading.Event()
    phone = threading.Thread(
        target=customer_in_browser,
        args=(backend.url.removesuffix("/graphql"), outcome, watching),
        daemon=True,
    )
    phone.start()

    def in_kitchen() -> bool:
        return any(
            row.customer_name == "Phone customer" and row.status is Status.IN_KITCHEN
            for row in window.board.model.orders
        )

    qtbot.waitUntil(in_kitchen, timeout=WAIT_MS)
    qtbot.waitUntil(watching.is_set, timeout=WAIT_MS)  # the pickup screen shows it too
    assert "error" not in outcome, outcome
    order = next(r for r in window.board.model.orders if r.customer_name == "Phone customer")
    click_button(qtbot, window, order, Action.MARK_READY)
    qtbot.waitUntil(lambda: not phone.is_alive(), timeout=WAIT_MS)
    # The status page and the pickup screen both moved, without a reload.
    assert outcome == {"headline": "Ready! Collect it at the counter.", "pickup": "ready"}


def test_the_customer_page_dialog_shows_a_qr_code_per_table(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    dialog = window.open_customer_page()
    assert isinstance(dialog, CustomerPageDialog)
    port = window.client.url.split(":")[2].split("/")[0]
    assert dialog.address.text().endswith(f":{port}/")
    dialog.table.setText("12")
    url = dialog.address.text()
    assert url.endswith(f":{port}/?table=12")
    assert dialog.caption.text() == "Table 12 · scan to order"
    # The code shown is the code of the address shown.
    expected = QPixmap()
    expected.loadFromData(qr_png(url, scale=6))
    assert dialog.code.pixmap().toImage() == expected.toImage()
    # Only the API's tables, 1 to 999: no 0, no fourth digit, no letters.
    for typed, kept in (("0", ""), ("1000", "100"), ("12a", "12"), ("-3", "3")):
        dialog.table.clear()
        QTest.keyClicks(dialog.table, typed)
        assert dialog.table.text() == kept, typed
        assert dialog.address.text().endswith(f"/?table={kept}" if kept else f":{port}/")
    dialog.table.setText("12")
    card = tmp_path / "table-12.png"
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        dialog.save(str(card))
    assert not QImage(str(card)).isNull()
    dialog.close()
