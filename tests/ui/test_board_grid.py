"""The board in a dinner rush, on the real window against a real backend: tickets tile the
screen a page at a time, the selection stays on its ticket, the zoom is remembered."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractScrollArea, QScrollBar
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from handlers.adapters import SandboxGateway
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import PLACE_ORDER, order_input
from tests.ui.conftest import WAIT_MS, close_window, open_window
from ui.main_window import MainWindow
from ui.models.all_day import ITEM
from ui.models.stages import Action, Status
from ui.views.ticket_grid import SETTLE_CAP_MS, pack

RUSH = 40
RUSH_LINES = (3, 5)  # a dinner rush's tickets, as the issue counts them
MENU = ("margherita", "fries", "burger", "caesar", "cola", "wings", "carbonara", "tiramisu")


def rush(backend: Backend, count: int = RUSH, lines: tuple[int, int] = (1, 3)) -> list[str]:
    """``count`` orders of ``lines`` (fewest, most) lines each, in turn, placed through
    the API as a kiosk would. Short tickets take 1, 2, 3 of their items; a long one
    takes 2 of its first and 1 of the rest (the rush stays within the menu's stock)."""
    ids = []
    fewest, most = lines
    with httpx.Client(headers={"Authorization": f"Bearer {STAFF_TOKEN}"}, timeout=10) as http:
        for n in range(count):
            size = fewest + n % (most - fewest + 1)
            items = [
                (MENU[(n + k) % len(MENU)], 1 + k if most <= 3 else 1 + (k == 0))
                for k in range(size)
            ]
            body = {"query": PLACE_ORDER, "variables": {"input": order_input(*items)}}
            answer = http.post(backend.url, json=body).json()
            assert "errors" not in answer, answer
            ids.append(str(answer["data"]["placeOrder"]["order"]["id"]))
    return ids


def staff(backend: Backend, query: str, order_id: str) -> None:
    """A second terminal's action (any client of the API)."""
    answer = httpx.post(
        backend.url,
        json={"query": query, "variables": {"id": order_id}},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    ).json()
    assert "errors" not in answer, answer


def in_kitchen(window: MainWindow, ids: list[str]) -> bool:
    model = window.board.model
    return all(getattr(model.get(i), "status", None) is Status.IN_KITCHEN for i in ids)


def test_a_rush_tiles_whole_tickets_over_the_screen_and_pages_the_rest(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.width() == 1600 and window.height() == 1000, timeout=WAIT_MS)
    ids = rush(backend, lines=RUSH_LINES)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    view = window.board.view
    grid = view.grid
    qtbot.waitUntil(lambda: grid.before + len(grid.placed) + grid.more == RUSH, timeout=WAIT_MS)

    first_page = grid.placed
    assert len(first_page) >= 12
    # Whole tickets only, none overlapping, oldest first down the columns.
    area = grid.rect()
    assert all(area.contains(p.rect) for p in first_page)
    assert not any(a.rect.intersects(b.rect) for a in first_page for b in first_page if a != b)
    numbers = [window.board.model.get(p.order_id).number for p in first_page]  # type: ignore[union-attr]
    assert numbers == sorted(numbers) and numbers[0] == 1
    xs = sorted({p.rect.x() for p in first_page})
    assert len(xs) >= 4  # a grid of columns, not one column
    # The rest is counted, and no scrollbar hides it.
    assert grid.more == RUSH - len(first_page)
    assert view.marker.isVisible() and view.marker.text() == f"+{grid.more} more  ·  PgDn"
    scrollbars = view.findChildren(QScrollBar) + view.findChildren(QAbstractScrollArea)
    assert not [bar for bar in scrollbars if bar.isVisible()]

    # PgDn: the next page, its first ticket selected; PgUp: back.
    grid.setFocus()
    QTest.keyClick(grid, Qt.Key.Key_PageDown)
    assert grid.before == len(first_page)
    assert grid.selected == grid.placed[0].order_id
    assert window.board.model.get(grid.placed[0].order_id).number == len(first_page) + 1  # type: ignore[union-attr]
    assert view.marker.text().startswith(f"PgUp: {len(first_page)} before")
    QTest.keyClick(grid, Qt.Key.Key_PageUp)
    assert grid.placed == first_page


def test_a_rush_beside_the_payment_lane_and_the_all_day_counts_shows_twelve_tickets(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    window.resize(1600, 1000)
    qtbot.waitUntil(lambda: window.width() == 1600 and window.height() == 1000, timeout=WAIT_MS)
    gateway = backend.adapters.payment
    assert isinstance(gateway, SandboxGateway)
    gateway.failure_rate, gateway.decline_share = 1.0, 1.0  # two cards declined…
    declined = rush(backend, 2, lines=RUSH_LINES)
    view = window.board.view
    qtbot.waitUntil(lambda: view.lane.proxy.rowCount() == 2, timeout=WAIT_MS)
    gateway.failure_rate = 0.0  # …and the rest of the rush paid
    ids = rush(backend, RUSH - len(declined), lines=RUSH_LINES)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    window.all_day_action.trigger()
    grid = view.grid
    qtbot.waitUntil(lambda: grid.before + len(grid.placed) + grid.more == len(ids), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: view.all_day.isVisible() and view.lane_box.isVisible())
    # (ticket_rect lays the page out again at the grid's size now, panel and lane beside)
    qtbot.waitUntil(lambda: grid.ticket_rect(ids[0]) is not None, timeout=WAIT_MS)
    assert len(grid.placed) >= 12, len(grid.placed)
    assert all(grid.rect().contains(p.rect) for p in grid.placed)


def test_a_rush_fits_a_1280_by_800_screen(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, lines=RUSH_LINES)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    window.board.view.all_day.show()  # the widest the board gets: the all-day counts open
    window.resize(1280, 800)
    # No tab, header or legend holds the window wider than the screen.
    assert window.minimumSizeHint().width() <= 1280, window.minimumSizeHint()
    qtbot.waitUntil(lambda: window.width() == 1280 and window.height() == 800, timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: grid.before + len(grid.placed) + grid.more == RUSH, timeout=WAIT_MS)
    assert len(grid.placed) >= 6
    assert all(grid.rect().contains(p.rect) for p in grid.placed)
    # The all-day counts read each name whole, on one line ("Smash burger", not
    # "Smash / burger").
    table = window.board.view.all_day.table
    names = [str(table.model().index(r, ITEM).data()) for r in range(table.model().rowCount())]
    assert "Chicken Caesar salad" in names
    for name in names:
        assert table.fontMetrics().horizontalAdvance(name) + 8 <= table.columnWidth(ITEM), name


def test_the_selection_stays_on_its_ticket_when_the_tickets_before_it_leave(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, 6)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    view = window.board.view
    assert view.select(ids[4])
    before = view.grid.ticket_rect(ids[4])
    # Another terminal bumps the two oldest tickets: the selected one slides up…
    staff(backend, "mutation($id: ID!) { markReady(orderId: $id) { id } }", ids[0])
    staff(backend, 'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "x") { id } }', ids[1])
    qtbot.waitUntil(
        lambda: getattr(window.board.model.get(ids[1]), "status", None) is Status.CANCELLED,
        timeout=WAIT_MS,
    )
    qtbot.waitUntil(lambda: view.grid.ticket_rect(ids[4]) != before, timeout=WAIT_MS)
    # …and stays selected: the key acts on it, not on what took its old place.
    assert view.grid.selected == ids[4]
    QTest.keyClick(view.grid, Qt.Key.Key_R)
    qtbot.waitUntil(
        lambda: getattr(window.board.model.get(ids[4]), "status", None) is Status.READY,
        timeout=WAIT_MS,
    )
    assert window.board.model.get(ids[5]).status is Status.IN_KITCHEN  # type: ignore[union-attr]
    assert window.board.model.get(ids[3]).status is Status.IN_KITCHEN  # type: ignore[union-attr]


def test_a_bumped_selected_ticket_hands_the_selection_to_the_next(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, 3)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    assert window.board.view.select(ids[1])
    staff(backend, 'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "x") { id } }', ids[1])
    qtbot.waitUntil(lambda: grid.ticket_rect(ids[1]) is None, timeout=WAIT_MS)
    assert grid.selected == ids[2]
    # Arrows move it in ticket order.
    QTest.keyClick(grid, Qt.Key.Key_Up)
    assert grid.selected == ids[0]


def test_the_zoom_changes_the_ticket_size_and_is_remembered(
    qtbot: QtBot, qloop: asyncio.AbstractEventLoop, backend: Backend, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "zoom.ini"), QSettings.Format.IniFormat)
    first = open_window(qtbot, backend.url, STAFF_TOKEN, settings)
    grid = first.board.view.grid
    width, point = grid.ticket_width, grid.font().pointSizeF()
    QTest.keyClick(first, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(first, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert grid.ticket_width > width and grid.font().pointSizeF() > point
    zoom = first.board.view.zoom
    QTest.keyClick(first, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert first.board.view.zoom < zoom
    zoom = first.board.view.zoom
    close_window(qtbot, first)
    second = open_window(qtbot, backend.url, STAFF_TOKEN, settings)
    try:
        assert second.board.view.zoom == zoom > 1.0
        assert second.board.view.grid.ticket_width > width
    finally:
        close_window(qtbot, second)


def test_pack_fills_columns_with_whole_tickets_and_a_tall_one_gets_its_own() -> None:
    heights = [300, 300, 300, 900, 200]
    placed = pack(heights.__getitem__, 0, len(heights), columns=3, column_width=100, height=700)
    assert [(row, rect.x(), rect.y(), rect.height()) for row, rect in placed] == [
        (0, 0, 0, 300),
        (1, 0, 300, 300),
        (2, 100, 0, 300),
        (3, 200, 0, 700),  # taller than the page: alone in its column, clipped
    ]
    # The next page starts after the last placed ticket.
    assert [row for row, _ in pack(heights.__getitem__, 4, 5, 3, 100, 700)] == [4]


CANCEL = 'mutation($id: ID!) { cancelOrder(orderId: $id, reason: "x") { id } }'


def test_a_ticket_under_the_pointer_stays_put_until_the_pointer_leaves(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, 6)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    view = window.board.view
    grid = view.grid
    grid.settle_cap_ms = 60_000  # a loaded machine's waits stay under it (its own test below)
    qtbot.waitUntil(lambda: grid.ticket_rect(ids[4]) is not None, timeout=WAIT_MS)
    before = grid.ticket_rect(ids[4])
    assert before is not None
    QTest.mouseMove(grid, before.center())
    # Another terminal takes an older ticket off, and a new order arrives: both would
    # shift the page, the ticket under the pointer first of all.
    staff(backend, CANCEL, ids[1])
    (new,) = rush(backend, 1)
    qtbot.waitUntil(lambda: in_kitchen(window, [new]), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: grid.layout_pending, timeout=WAIT_MS)
    assert grid.ticket_rect(ids[4]) == before
    assert grid.ticket_rect(new) is None
    # The pointer leaves the grid: the page is laid out, the new ticket shows.
    QTest.mouseMove(view.counts, view.counts.rect().center())
    qtbot.waitUntil(lambda: grid.ticket_rect(new) is not None, timeout=WAIT_MS)
    assert grid.ticket_rect(ids[4]) != before
    assert grid.ticket_rect(ids[1]) is None


def test_a_pointer_that_rests_on_a_ticket_holds_the_page_only_a_moment(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, 4)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: grid.ticket_rect(ids[3]) is not None, timeout=WAIT_MS)
    before = grid.ticket_rect(ids[3])
    assert before is not None
    QTest.mouseMove(grid, before.center())
    (new,) = rush(backend, 1)
    qtbot.waitUntil(lambda: grid.layout_pending, timeout=WAIT_MS)
    started = time.monotonic()
    # The pointer never moves: the new ticket still shows after the settle cap.
    qtbot.waitUntil(lambda: grid.ticket_rect(new) is not None, timeout=WAIT_MS)
    assert time.monotonic() - started >= SETTLE_CAP_MS / 1000 - 0.5
    assert not grid.layout_pending


def test_a_click_acts_only_on_the_ticket_it_was_pressed_on(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, 3)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: grid.button_center(ids[2], Action.MARK_READY) is not None)
    first = grid.button_center(ids[0], Action.MARK_READY)
    third = grid.button_center(ids[2], Action.MARK_READY)
    assert first is not None and third is not None
    left = Qt.MouseButton.LeftButton
    # Pressed on one ticket's Ready, released on another's (the page moved under it,
    # or the hand slipped): nothing happens to either.
    with qtbot.assertNotEmitted(grid.actionRequested, wait=100):
        QTest.mousePress(grid, left, Qt.KeyboardModifier.NoModifier, first)
        QTest.mouseRelease(grid, left, Qt.KeyboardModifier.NoModifier, third)
    # Pressed and released on the same one: that one is bumped.
    with qtbot.waitSignal(grid.actionRequested, timeout=WAIT_MS) as said:
        QTest.mousePress(grid, left, Qt.KeyboardModifier.NoModifier, third)
        QTest.mouseRelease(grid, left, Qt.KeyboardModifier.NoModifier, third)
    assert said.args == [ids[2], Action.MARK_READY]
    qtbot.waitUntil(
        lambda: getattr(window.board.model.get(ids[2]), "status", None) is Status.READY,
        timeout=WAIT_MS,
    )
    assert window.board.model.get(ids[0]).status is Status.IN_KITCHEN  # type: ignore[union-attr]
