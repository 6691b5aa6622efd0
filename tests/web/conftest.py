"""Browser tests of the customer pages: Debian's Chromium, driven by Playwright.

Playwright drives the system browser (/usr/bin/chromium, installed by `make test`'s
install step); Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from backend.embedded import Backend
from backend.settings import PUBLIC_ORDERS_PER_WINDOW
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import PLACE_ORDER, order_input

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 360, "height": 740}
TV = {"width": 1920, "height": 1080}
# `make screenshots` sets it to docs/screenshots; otherwise they go to the test's tmp_path.
SCREENSHOTS_ENV = "PASSLINE_WEB_SCREENSHOTS"


@dataclass
class Api:
    """The API over HTTP, as staff or as the public (a page's own requests aside)."""

    url: str

    def call(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = STAFF_TOKEN
    ) -> dict[str, Any]:
        headers = {} if token is None else {"Authorization": f"Bearer {token}"}
        response = httpx.post(
            self.url, json={"query": query, "variables": variables or {}}, headers=headers
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def place(self, *lines: tuple[str, int], **extra: Any) -> dict[str, Any]:
        """A public WEB order (as the page places it): its order and accessToken."""
        data = self.call(PLACE_ORDER, {"input": order_input(*lines, **extra)}, token=None)
        placed: dict[str, Any] = data["placeOrder"]
        return placed

    def order(self, order_id: str) -> dict[str, Any]:
        query = "query($id: ID!) { order(id: $id) { id number status channel fulfillment "
        query += "customerName phone notes table items { menuItemId quantity notes } } }"
        found: dict[str, Any] = self.call(query, {"id": order_id})["order"]
        return found

    def orders(self) -> list[dict[str, Any]]:
        query = "{ orders(first: 500) { id number status channel customerName notes } }"
        found: list[dict[str, Any]] = self.call(query)["orders"]
        return found

    def wait_status(self, order_id: str, *statuses: str, timeout: float = 20.0) -> str:
        """Wait until the order's status is one of ``statuses`` (the handlers move it)."""
        deadline = time.monotonic() + timeout
        while True:
            status: str = self.order(order_id)["status"]
            if status in statuses:
                return status
            assert time.monotonic() < deadline, f"order still {status}, not {statuses}"
            time.sleep(0.05)

    def mark_ready(self, order_id: str) -> None:
        self.call("mutation($id: ID!) { markReady(orderId: $id) { id } }", {"id": order_id})

    def complete(self, order_id: str) -> None:
        self.call("mutation($id: ID!) { completeOrder(orderId: $id) { id } }", {"id": order_id})


def wait_for_status_page(page: Page) -> None:
    """Wait until placing the order took the page to its status page; if it did not,
    fail with what the page says (an error shown to the customer)."""
    try:
        page.wait_for_url("**/orders/**", wait_until="commit")
    except PlaywrightTimeout:
        shown = page.locator(".error:visible, .field-error:visible").all_inner_texts()
        raise AssertionError(f"still on {page.url}; the page shows {shown}") from None


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    assert CHROMIUM.exists(), "install Debian's chromium (make test does: apt-get install chromium)"
    chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()


@pytest.fixture
def site(db_path: Path) -> Iterator[Backend]:
    """A backend with the restaurant's handlers, serving the pages on an ephemeral port."""
    with running(db_path, public_orders_per_window=PUBLIC_ORDERS_PER_WINDOW) as server:
        yield server


def base_of(server: Backend) -> str:
    return server.url.removesuffix("/graphql")


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    """Where the tests save the pages' screenshots (``make screenshots``: the docs)."""
    folder = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def api(site: Backend) -> Api:
    return Api(site.url)


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Pages in fresh browser contexts; each page's console errors fail the test."""
    contexts: list[BrowserContext] = []
    errors: list[str] = []

    def make(viewport: dict[str, int] = PHONE, **options: Any) -> Page:
        context = browser.new_context(viewport=viewport, **options)  # type: ignore[arg-type]
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.set_default_timeout(20_000)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, errors
