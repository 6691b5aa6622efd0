"""Render the event log, handlers and menu panels: ``python -m tools.panel_screenshots [DIR]``.

The demo afternoon of :mod:`tools.screenshots`, plus one card payment the sandbox
gateway refuses until it is dead (handlers give up after two quick tries here), then
the real window offscreen: the event log with that dead delivery selected, the handlers
with the payment handler selected and live throughput, the menu with an item sold out
and one low on stock.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings

from backend.embedded import Backend
from backend.registry import Registry
from backend.settings import Settings
from handlers.adapters import SandboxGateway
from main import restaurant_backend, restaurant_registry
from tools.screenshots import (
    OUT,
    TOKEN,
    WINDOW_SIZE,
    Api,
    on_qt_loop,
    opened_window,
    save,
    seed,
    until,
)
from ui.controllers.event_log import EventLogController
from ui.controllers.handlers import HandlersController
from ui.controllers.menu import MenuController
from ui.main_window import MainWindow
from ui.models.events import DeliveryStatus

EVENTS = "query Dead { events(deliveryStatus: DEAD, first: 10) { seq } }"


def quick() -> Registry:
    return Registry(
        replace(d, max_attempts=2, backoff_base_seconds=0.5, backoff_cap_seconds=0.5)
        for d in restaurant_registry()
    )


def refused_payment(api: Api, backend: Backend) -> str:
    """A web order whose card the gateway refuses: charge_payment goes dead."""
    api('mutation { pauseHandler(name: "charge_payment") { name } }')
    order_id = api.place(
        "WEB", "TAKEAWAY", ("burrata", 1, None), ("margherita", 1, None), customerName="Joan C."
    )
    gateway = backend.adapters.payment
    assert isinstance(gateway, SandboxGateway)
    gateway.fail_orders.add(order_id)
    api('mutation { resumeHandler(name: "charge_payment") { name } }')
    deadline = time.monotonic() + 20
    while not api(EVENTS)["events"]:
        if time.monotonic() > deadline:
            raise TimeoutError("the refused payment never went dead")
        time.sleep(0.05)
    return order_id


async def shoot(window: MainWindow, api: Api, order_id: str, out: Path) -> None:
    log = window.panels["Event log"]
    figures = window.panels["Handlers"]
    menu = window.panels["Menu"]
    assert isinstance(log, EventLogController)
    assert isinstance(figures, HandlersController)
    assert isinstance(menu, MenuController)
    await until(lambda: log.backlog is None and menu.backlog is None)
    # Some live traffic for the throughput chart: orders arriving over a few seconds.
    for n in range(6):
        api.place("COUNTER", "TAKEAWAY", ("fries", 1 + n % 2, None))
        await asyncio.sleep(0.4)
    api('mutation { setMenuItemAvailable(menuItemId: "salmon", available: false) { id } }')
    api('mutation { setMenuItemStock(menuItemId: "funghi", stock: 3) { id } }')  # low: amber

    def dead_event() -> int | None:
        return next(
            (
                row.seq
                for row in log.model
                if row.order_id == order_id
                and any(d.status is DeliveryStatus.DEAD for d in row.deliveries)
            ),
            None,
        )

    await until(lambda: dead_event() is not None)
    window.tabs.setCurrentWidget(log.view)
    seq = dead_event()
    assert seq is not None and log.view.select_seq(seq)
    await save(window, out, "event_log")

    window.tabs.setCurrentWidget(figures.view)
    figures.view.select("charge_payment")
    await until(lambda: (figures.model.get("charge_payment") or _NONE).dead > 0)
    await save(window, out, "handlers")

    window.tabs.setCurrentWidget(menu.view)
    await until(lambda: not (menu.model.get("salmon") or _NONE).available)
    await until(lambda: (menu.model.get("funghi") or _NONE).stock == 3)
    menu.view.select("salmon")
    await save(window, out, "menu")


class _None:
    dead = 0
    available = True
    stock: int | None = None


_NONE = _None()


async def _run(url: str, api: Api, order_id: str, settings: QSettings, out: Path) -> None:
    async with opened_window(url, settings, WINDOW_SIZE) as window:
        await shoot(window, api, order_id, out)


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else OUT
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(Path(tmp) / "demo.db", port=0, staff_token=TOKEN)
        backend = restaurant_backend(settings, quick())
        backend.start()
        try:
            api = Api(backend.url)
            seed(api)
            api('mutation { resumeHandler(name: "validate_order") { name } }')
            order_id = refused_payment(api, backend)
            on_qt_loop(tmp, lambda settings: _run(backend.url, api, order_id, settings, out))
        finally:
            backend.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
