"""Late tickets on the real window: a ticket's target is its longest line's prep time;
its whole header band turns amber at the target and red at the target plus the grace
(View ▸ Late tickets…). Time is driven through the board's clock, not waited for."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import PLACE_ORDER, order_input
from tests.ui.conftest import WAIT_MS
from tests.ui.test_board_grid import in_kitchen
from ui.main_window import MainWindow
from ui.models.lateness import Lateness
from ui.views.order_card import (
    BADGE_PAD,
    FULFILLMENT_COLORS,
    LATE_BANDS,
    LATE_WORDS,
    MARGIN_X,
    MARGIN_Y,
    header_layout,
)
from ui.views.ticket_grid import TicketGrid


def place(backend: Backend, *lines: tuple[str, int]) -> str:
    answer = httpx.post(
        backend.url,
        json={"query": PLACE_ORDER, "variables": {"input": order_input(*lines)}},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()
    order_id: str = answer["data"]["placeOrder"]["order"]["id"]
    return order_id


def band_colour(grid: TicketGrid, order_id: str) -> str:
    """The colour of the ticket's header band as drawn (between its type and channel)."""
    order = grid.proxy.sourceModel().get(order_id)  # type: ignore[attr-defined]
    rect = grid.ticket_rect(order_id)
    assert order is not None and rect is not None
    fonts = grid.delegate.fonts(grid.font())
    card = grid.delegate.layout(order, rect.width() - 2 * MARGIN_X, grid.font())
    header = header_layout(order, card, fonts)
    spot = QPoint(header.kind.right() + BADGE_PAD, header.kind.center().y())
    spot += rect.topLeft() + QPoint(MARGIN_X, MARGIN_Y)
    picture = grid.grab().toImage()
    ratio = picture.devicePixelRatio()
    if path := os.environ.get("PASSLINE_TICKET_SHOT"):  # to look at it
        picture.save(str(Path(path)))
    return QColor(picture.pixelColor(int(spot.x() * ratio), int(spot.y() * ratio))).name()


def test_a_ticket_s_header_turns_amber_at_its_target_and_red_after_the_grace(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    window.resize(1400, 900)
    window.set_grace(5)
    quick = place(backend, ("cola", 2))  # 30 s, the seed menu's
    slow = place(backend, ("cola", 1), ("risotto", 1), ("fries", 1))  # 18 min: the risotto
    qtbot.waitUntil(lambda: in_kitchen(window, [quick, slow]), timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: grid.ticket_rect(slow) is not None, timeout=WAIT_MS)
    model = window.board.model
    assert model.get(quick).target_seconds == 30  # type: ignore[union-attr]
    assert model.get(slow).target_seconds == 18 * 60  # type: ignore[union-attr]
    placed = model.get(slow).created_at  # type: ignore[union-attr]
    takeaway = QColor(FULFILLMENT_COLORS["TAKEAWAY"]).name()
    amber = QColor(LATE_BANDS[Lateness.LATE][0]).name()
    red = QColor(LATE_BANDS[Lateness.OVERDUE][0]).name()
    delegate = grid.delegate

    def at(minutes: float) -> Callable[[], datetime]:
        return lambda: placed + timedelta(minutes=minutes)

    delegate.now = at(0)
    assert band_colour(grid, quick) == band_colour(grid, slow) == takeaway
    delegate.now = at(1)  # the cola is past its 30 s; the risotto has 17 min to go
    assert (band_colour(grid, quick), band_colour(grid, slow)) == (amber, takeaway)
    assert delegate.lateness(model.get(quick)) is Lateness.LATE  # type: ignore[arg-type]
    delegate.now = at(6)  # 30 s + 5 min of grace
    assert (band_colour(grid, quick), band_colour(grid, slow)) == (red, takeaway)
    delegate.now = at(18.1)
    assert (band_colour(grid, quick), band_colour(grid, slow)) == (red, amber)
    # The grace is the restaurant's: at 2 minutes, 20 minutes in is red.
    delegate.now = at(20.5)
    assert band_colour(grid, slow) == amber
    window.set_grace(2)
    assert band_colour(grid, slow) == red

    # Once ready, a ticket is no longer the kitchen's to be late with.
    ready = "mutation($id: ID!) { markReady(orderId: $id) { id } }"
    answer = httpx.post(
        backend.url,
        json={"query": ready, "variables": {"id": slow}},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()
    assert "errors" not in answer, answer
    qtbot.waitUntil(lambda: model.get(slow).status.value == "READY", timeout=WAIT_MS)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: grid.ticket_rect(slow) is not None, timeout=WAIT_MS)
    assert band_colour(grid, slow) == takeaway


def test_the_grace_is_chosen_in_the_late_tickets_dialog(qtbot: QtBot, window: MainWindow) -> None:
    dialog = window.ask_grace()
    assert dialog.grace.value() == window.grace_minutes
    dialog.grace.setValue(12)
    buttons = dialog.findChild(QDialogButtonBox)
    assert buttons is not None
    buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    assert window.grace_minutes == 12
    assert window.board.view.delegate.targets.grace_seconds == 12 * 60.0


def tag_colours(grid: TicketGrid, order_id: str) -> set[str]:
    """The colours of the solid runs (a tag's fill, not a glyph's stroke) across the
    ticket's title row, right of its number."""
    order = grid.proxy.sourceModel().get(order_id)  # type: ignore[attr-defined]
    rect = grid.ticket_rect(order_id)
    assert order is not None and rect is not None
    card = grid.delegate.layout(order, rect.width() - 2 * MARGIN_X, grid.font())
    row = card.age.translated(rect.topLeft() + QPoint(MARGIN_X, MARGIN_Y))
    picture = grid.grab().toImage()
    ratio = picture.devicePixelRatio()
    runs = set()
    for y in range(int(row.top() * ratio), int(row.bottom() * ratio)):
        colour, length = "", 0
        for x in range(int(row.left() * ratio), int(row.right() * ratio)):
            here = QColor(picture.pixelColor(x, y)).name()
            length = length + 1 if here == colour else 1
            colour = here
            if length >= 20 * ratio:
                runs.add(colour)
    return runs - {QColor(grid.card_colors.card).name()}


def test_a_late_ticket_says_late_in_words_beside_its_age(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    window.resize(1400, 900)
    window.set_grace(5)
    order_id = place(backend, ("cola", 2))  # a 30 s target
    qtbot.waitUntil(lambda: in_kitchen(window, [order_id]), timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: grid.ticket_rect(order_id) is not None, timeout=WAIT_MS)
    placed = window.board.model.get(order_id).created_at  # type: ignore[union-attr]
    delegate = grid.delegate
    delegate.now = lambda: placed
    assert tag_colours(grid, order_id) == set()  # on time: the age alone
    delegate.now = lambda: placed + timedelta(minutes=1)
    assert tag_colours(grid, order_id) == {QColor(LATE_BANDS[Lateness.LATE][0]).name()}
    delegate.now = lambda: placed + timedelta(minutes=6)
    assert tag_colours(grid, order_id) == {QColor(LATE_BANDS[Lateness.OVERDUE][0]).name()}
    assert (LATE_WORDS[Lateness.LATE], LATE_WORDS[Lateness.OVERDUE]) == ("LATE", "OVERDUE")
