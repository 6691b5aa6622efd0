"""Order type at a glance, on the real window against a real backend: each ticket's
header band is drawn in its fulfillment's colour, with its channel as a badge and its
stage as a pill in the stage's colour."""

from __future__ import annotations

import httpx
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QFontMetrics
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import PLACE_ORDER, order_input
from tests.ui.conftest import WAIT_MS
from tests.ui.test_board_grid import in_kitchen
from ui.main_window import MainWindow
from ui.models.stages import Stage
from ui.views.order_card import (
    CHANNEL_SHORT,
    FULFILLMENT_COLORS,
    MARGIN_X,
    MARGIN_Y,
    NUMBER_TEXT,
    PAD,
    STAGE_COLORS,
    header_layout,
)

ORDERS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("KIOSK", "DINE_IN", {}),
    ("PHONE", "TAKEAWAY", {}),
    ("WEB", "DELIVERY", {"address": "1 Quay"}),
)


def place(backend: Backend, channel: str, fulfillment: str, extra: dict[str, str]) -> str:
    """Place an order of fries as staff; its id."""
    body = order_input(("fries", 1), channel=channel, fulfillment=fulfillment, **extra)
    answer = httpx.post(
        backend.url,
        json={"query": PLACE_ORDER, "variables": {"input": body}},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()
    order_id: str = answer["data"]["placeOrder"]["order"]["id"]
    return order_id


def test_each_ticket_wears_its_type_s_colour_its_channel_and_its_stage(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = []
    for channel, fulfillment, extra in ORDERS:
        ids.append(place(backend, channel, fulfillment, extra))
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: len(grid.placed) == 3, timeout=WAIT_MS)
    picture = grid.grab().toImage()
    ratio = picture.devicePixelRatio()
    fonts = grid.delegate.fonts(grid.font())

    def pixel(at: QPoint) -> str:
        return QColor(picture.pixelColor(int(at.x() * ratio), int(at.y() * ratio))).name()

    for order_id, (channel, fulfillment, _) in zip(ids, ORDERS, strict=True):
        order = window.board.model.get(order_id)
        rect = grid.ticket_rect(order_id)
        assert order is not None and rect is not None
        card = grid.delegate.layout(order, rect.width() - 2 * MARGIN_X, grid.font())
        header = header_layout(order, card, fonts)
        origin = rect.topLeft() + QPoint(MARGIN_X, MARGIN_Y)
        assert (header.kind_text, header.badge_text, header.pill_text) == (
            fulfillment.replace("_", " "),
            channel,
            "KITCHEN",
        )
        # The band, below its rounded corner and left of its text, in the type's colour.
        band_bottom_left = origin + QPoint(3, card.header.bottom() - 2)
        assert pixel(band_bottom_left) == FULFILLMENT_COLORS[fulfillment]
        # The stage pill, inside its white outline, in the stage's colour.
        pill = header.pill
        assert (
            pixel(origin + QPoint(pill.left() + 2, pill.bottom() - 2))
            == STAGE_COLORS[Stage.KITCHEN]
        )
    assert len(set(FULFILLMENT_COLORS.values())) == 3  # three types, three colours


def test_on_a_narrow_ticket_the_channel_badge_gives_way_to_the_stage_and_number(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = []
    for channel, fulfillment, extra in (
        ("COUNTER", "TAKEAWAY", {}),
        ("PHONE", "DELIVERY", {"address": "1 Quay"}),
    ):
        ids.append(place(backend, channel, fulfillment, extra))
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    fonts = grid.delegate.fonts(grid.font())
    metrics = QFontMetrics(fonts.small_bold)
    shortened = dropped = 0
    for order_id in ids:
        order = window.board.model.get(order_id)
        assert order is not None
        for width in range(220, 420, 4):
            card = grid.delegate.layout(order, width, grid.font())
            header = header_layout(order, card, fonts)
            # The bump-bar number's space at the band's right end stays free…
            number_left = card.header.right() - PAD - metrics.horizontalAdvance(NUMBER_TEXT)
            assert header.pill.right() < number_left, (order.channel, width)
            # …and the badge, if any, stands clear of the kind and the pill.
            if header.badge_text:
                assert header.badge.left() > header.kind.right()
                assert header.badge.right() < header.pill.left(), (order.channel, width)
            shortened += header.badge_text == CHANNEL_SHORT.get(order.channel, "")
            dropped += not header.badge_text
        # A wide ticket says the whole channel.
        wide = header_layout(order, grid.delegate.layout(order, 420, grid.font()), fonts)
        assert wide.badge_text == order.channel
    assert shortened and dropped  # both steps were needed somewhere in that range
