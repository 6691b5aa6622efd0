"""Allergies, the table and long notes on a ticket, on the real window against a real
backend: an allergy reads in bold red behind a warning sign, the table as large as the
ticket number, and a note wraps instead of being cut short."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import httpx
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import PLACE_ORDER, order_input
from tests.ui.conftest import WAIT_MS
from tests.ui.test_board_grid import in_kitchen
from ui.main_window import MainWindow
from ui.models.order_detail import HistoryModel, LinesModel
from ui.models.orders import OrderRow
from ui.views.order_card import ALLERGY_SIGN, MARGIN_X, MARGIN_Y, Style
from ui.views.order_detail import OrderDetailDialog

NOTE = "the guest is in a wheelchair: please bring it to the table by the door, " * 3


def test_a_ticket_shouts_allergies_names_its_table_and_wraps_its_notes(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    window.resize(1400, 900)
    body = order_input(("margherita", 1), ("cola", 1), channel="COUNTER", fulfillment="DINE_IN")
    body["items"][0]["allergens"] = ["MILK"]
    body |= {"table": 12, "allergens": ["PEANUTS", "TREE_NUTS"], "notes": NOTE.strip()}
    answer = httpx.post(
        backend.url,
        json={"query": PLACE_ORDER, "variables": {"input": body}},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()
    order_id = answer["data"]["placeOrder"]["order"]["id"]
    qtbot.waitUntil(lambda: in_kitchen(window, [order_id]), timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: grid.ticket_rect(order_id) is not None, timeout=WAIT_MS)
    order = window.board.model.get(order_id)
    rect = grid.ticket_rect(order_id)
    assert order is not None and rect is not None
    fonts = grid.delegate.fonts(grid.font())
    card = grid.delegate.layout(order, rect.width() - 2 * MARGIN_X, grid.font())
    by_style = {style: [line for line in card.lines if line.style is style] for style in Style}

    (table,) = by_style[Style.TABLE]
    assert table.text == "Table 12"
    assert table.font.pointSizeF() == fonts.number.pointSizeF() and table.font.bold()
    whole, line = by_style[Style.ALLERGY]
    assert whole.text == f"{ALLERGY_SIGN} ALLERGY: PEANUTS, TREE NUTS"
    assert line.text == f"{ALLERGY_SIGN} ALLERGY: MILK" and line.rect.left() > whole.rect.left()
    assert whole.font.bold()
    # Under the line it belongs to.
    texts = [found.text for found in card.lines]
    assert texts.index(line.text) == texts.index("1\N{MULTIPLICATION SIGN}  Margherita") + 1
    (note,) = by_style[Style.NOTE]
    assert note.text == f"Note: {NOTE.strip()}"  # whole, not elided
    assert note.rect.height() >= 3 * fonts.small_h  # wrapped over lines
    assert card.size.height() + 2 * MARGIN_Y <= rect.height()  # the ticket holds it all

    picture = grid.grab().toImage()
    ratio = picture.devicePixelRatio()
    if path := os.environ.get("PASSLINE_TICKET_SHOT"):  # to look at it
        picture.save(str(Path(path)))
    origin = rect.topLeft() + QPoint(MARGIN_X, MARGIN_Y)
    allergy = whole.rect.translated(origin)
    red = grid.card_colors.red
    colours = {
        QColor(picture.pixelColor(int(x * ratio), int(y * ratio))).name()
        for x in range(allergy.left(), allergy.right())
        for y in range(allergy.top(), allergy.bottom())
    }
    assert red.name() in colours  # its letters are drawn in the theme's red


def test_the_order_detail_names_the_table_and_every_allergy_in_the_allergy_style(
    qtbot: QtBot,
) -> None:
    order = OrderRow.of(
        {
            "id": "o1",
            "number": 7,
            "status": "IN_KITCHEN",
            "channel": "COUNTER",
            "fulfillment": "DINE_IN",
            "table": 12,
            "allergens": ["PEANUTS", "TREE_NUTS"],
            "items": [
                {"name": "Margherita", "quantity": 1, "unitPriceCents": 950, "allergens": ["MILK"]},
                {"name": "Cola", "quantity": 1, "unitPriceCents": 300, "allergens": []},
            ],
            "totalCents": 1250,
            "createdAt": "2026-12-06T12:00:00+00:00",
            "updatedAt": "2026-12-06T12:00:00+00:00",
        }
    )
    dialog = OrderDetailDialog(LinesModel(), HistoryModel())
    qtbot.addWidget(dialog)
    dialog.set_order(order)
    dialog.show()
    allergy, table = dialog.fields["allergy"], dialog.fields["table"]
    assert allergy.text() == f"{ALLERGY_SIGN} PEANUTS, TREE NUTS; Margherita: MILK"
    assert allergy.objectName() == "allergy" and allergy.isVisible()  # the theme's bold red
    assert table.text() == "12" and table.isVisible()
    dialog.set_order(replace(order, table=None, allergens=(), items=order.items[1:]))
    assert not allergy.isVisible() and not table.isVisible()
