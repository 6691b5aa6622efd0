"""Stations on the real window against a real backend: a station's screen shows only its
lines and bumps them; the expo sees which stations are done; View ▸ Station is
remembered; the all-day counts follow the station; the Menu tab moves a category."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import STAFF_TOKEN
from tests.ui.conftest import WAIT_MS, close_window, open_window
from tests.ui.test_board_grid import in_kitchen, rush, staff
from ui.controllers.menu import MenuController
from ui.main_window import MainWindow
from ui.models.stages import Action, Status
from ui.models.stations import Station, StationAction
from ui.views.order_card import MARGIN_X, Style, card_lines
from ui.views.ticket_grid import TicketGrid

# What rush(6) places (tests/ui/test_board_grid.py's MENU, the seed menu's stations):
# 0 Margherita (pizza); 1 Fries (fryer), Burger (grill); 2 Burger, Caesar (grill), Cola
# (bar); 3 Caesar (grill); 4 Cola (bar), Wings (cold); 5 Wings (cold), Carbonara (grill),
# Tiramisu (cold).
GRILL_TICKETS = (1, 2, 3, 5)


def shown(grid: TicketGrid) -> dict[str, list[str | None]]:
    """Each ticket on the grid's page: the stations of the lines its card shows."""
    found = {}
    for placed in grid.placed:
        order = grid.proxy.order_at(placed.row)
        card = grid.delegate.layout(order, placed.rect.width() - 2 * MARGIN_X, grid.font())
        found[order.id] = [
            order.items[line.item].station for line in card.lines if line.item is not None
        ]
    return found


def station_window(qtbot: QtBot, backend: Backend, tmp_path: Path, station: str) -> MainWindow:
    settings = QSettings(str(tmp_path / f"{station}.ini"), QSettings.Format.IniFormat)
    return open_window(qtbot, backend.url, STAFF_TOKEN, settings, station=station)


def chips(window: MainWindow, order_id: str) -> str | None:
    """The expo ticket's station chips, as text ("✓ " before a done station)."""
    order = window.board.model.get(order_id)
    assert order is not None
    found = [line.text for line in card_lines(order) if line.style is Style.STATIONS]
    return found[0] if found else None


def test_a_station_screen_shows_only_its_lines_and_its_bump_reaches_the_expo(
    qtbot: QtBot, window: MainWindow, backend: Backend, tmp_path: Path
) -> None:
    ids = rush(backend, 6)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    grill = station_window(qtbot, backend, tmp_path, "grill")
    try:
        grid = grill.board.view.grid
        want = {ids[n] for n in GRILL_TICKETS}
        qtbot.waitUntil(lambda: set(shown(grid)) == want, timeout=WAIT_MS)
        assert {s for lines in shown(grid).values() for s in lines} == {"GRILL"}
        assert shown(grid)[ids[2]] == ["GRILL", "GRILL"]  # not the cola
        assert grill.station_actions[Station.GRILL].isChecked()
        header = grill.board.view.counts.text().replace("\N{NO-BREAK SPACE}", " ")
        assert header.startswith("Grill station  ·  4 tickets")
        # The expo (the default) shows the whole ticket, and its stations as chips.
        assert window.station_actions[None].isChecked()
        assert len(window.board.view.grid.placed) == 6
        assert chips(window, ids[2]) == "Grill  Bar"

        # Space on the grill's screen bumps the grill's lines of the selected ticket.
        assert grid.select(ids[2])
        grid.setFocus()
        QTest.keyClick(grid, Qt.Key.Key_Space)
        qtbot.waitUntil(lambda: ids[2] not in shown(grid), timeout=WAIT_MS)
        qtbot.waitUntil(
            lambda: chips(window, ids[2]) == "\N{CHECK MARK} Grill  Bar", timeout=WAIT_MS
        )
        expo_order = window.board.model.get(ids[2])
        assert expo_order is not None
        assert [line.done for line in expo_order.items] == [True, True, False]
        assert expo_order.status is Status.IN_KITCHEN  # the expo bumps the ticket
        assert len(window.board.view.grid.placed) == 6

        # Undo on the grill's screen: the lines are to make again, the ticket back.
        # The notice comes with the mutation's answer, which can arrive after the
        # subscription has already moved both screens.
        toast = grill.board.view.toast
        qtbot.waitUntil(
            lambda: toast.isVisible() and "Grill done" in toast.text.text(), timeout=WAIT_MS
        )
        QTest.mouseClick(toast.undo, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: ids[2] in shown(grid), timeout=WAIT_MS)
        qtbot.waitUntil(lambda: chips(window, ids[2]) == "Grill  Bar", timeout=WAIT_MS)
        # The grill's screen offers no Ready: R does nothing there; its ticket's button
        # is the station's Bump.
        assert grid.select(ids[3])
        QTest.keyClick(grid, Qt.Key.Key_R)
        assert grid.button_center(ids[3], Action.MARK_READY) is None
        bump = grid.button_center(ids[3], StationAction.BUMP)
        assert bump is not None
        QTest.mouseClick(grid, Qt.MouseButton.LeftButton, pos=bump)
        qtbot.waitUntil(lambda: ids[3] not in shown(grid), timeout=WAIT_MS)
        order = window.board.model.get(ids[3])
        assert order is not None and order.status is Status.IN_KITCHEN
    finally:
        close_window(qtbot, grill)


def test_shift_and_a_number_strikes_the_stations_own_line(
    qtbot: QtBot, window: MainWindow, backend: Backend, tmp_path: Path
) -> None:
    ids = rush(backend, 6)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    cold = station_window(qtbot, backend, tmp_path, "cold")
    try:
        grid = cold.board.view.grid
        qtbot.waitUntil(lambda: set(shown(grid)) == {ids[4], ids[5]}, timeout=WAIT_MS)
        # Ticket 5 shows Wings and Tiramisu (lines 0 and 2): Shift+2 is the tiramisu.
        assert grid.select(ids[5])
        QTest.keyClick(grid, Qt.Key.Key_At, Qt.KeyboardModifier.ShiftModifier)
        qtbot.waitUntil(
            lambda: (
                [line.done for line in window.board.model.get(ids[5]).items]  # type: ignore[union-attr]
                == [False, False, True]
            ),
            timeout=WAIT_MS,
        )
    finally:
        close_window(qtbot, cold)


def test_the_station_chosen_from_the_menu_is_remembered_and_the_command_line_wins(
    qtbot: QtBot, qloop: object, backend: Backend, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "terminal.ini"), QSettings.Format.IniFormat)
    first = open_window(qtbot, backend.url, STAFF_TOKEN, settings)
    ids = rush(backend, 6)
    try:
        qtbot.waitUntil(lambda: in_kitchen(first, ids), timeout=WAIT_MS)
        first.station_actions[Station.PIZZA].trigger()
        grid = first.board.view.grid
        qtbot.waitUntil(lambda: list(shown(grid)) == [ids[0]], timeout=WAIT_MS)
        assert not first.board.view.lane_box.isVisible()
    finally:
        close_window(qtbot, first)
    assert settings.value("board/station") == "pizza"

    again = open_window(qtbot, backend.url, STAFF_TOKEN, settings)
    try:
        assert again.board.view.station is Station.PIZZA
        qtbot.waitUntil(lambda: list(shown(again.board.view.grid)) == [ids[0]], timeout=WAIT_MS)
    finally:
        close_window(qtbot, again)
    # --station bar opens on the bar, and leaves the choice made in the menu as it was.
    bar = open_window(qtbot, backend.url, STAFF_TOKEN, settings, station="bar")
    try:
        assert bar.board.view.station is Station.BAR
        qtbot.waitUntil(
            lambda: set(shown(bar.board.view.grid)) == {ids[2], ids[4]}, timeout=WAIT_MS
        )
        bar.station_actions[None].trigger()  # the expo, from the menu: remembered
        qtbot.waitUntil(lambda: len(bar.board.view.grid.placed) == 6, timeout=WAIT_MS)
    finally:
        close_window(qtbot, bar)
    assert settings.value("board/station") == "expo"


def test_the_all_day_counts_group_by_station_and_a_station_counts_its_own(
    qtbot: QtBot, window: MainWindow, backend: Backend, tmp_path: Path
) -> None:
    ids = rush(backend, 6)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    QTest.keyClick(window, Qt.Key.Key_F3)
    panel = window.board.view.all_day
    model = panel.model
    qtbot.waitUntil(lambda: len(model.counts()) == 8, timeout=WAIT_MS)
    assert [station for station, _, _ in model.by_station()] == [
        "GRILL",
        "GRILL",
        "GRILL",
        "FRYER",
        "PIZZA",
        "COLD",
        "COLD",
        "BAR",
    ]
    assert not panel.table.isColumnHidden(0)
    heads = [model.index(row, 0).data() for row in range(model.rowCount())]
    assert heads == ["Grill", "", "", "Fryer", "Pizza", "Cold", "", "Bar"]
    window.station_actions[Station.COLD].trigger()
    qtbot.waitUntil(
        lambda: model.counts() == [("Chicken wings (8)", 3), ("Tiramisu", 3)], timeout=WAIT_MS
    )
    assert panel.table.isColumnHidden(0)
    assert "Cold" in panel.title.text()


def test_the_menu_tab_moves_a_category_to_another_station(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    panel = window.panels["Menu"]
    assert isinstance(panel, MenuController)
    view, model = panel.view, panel.model
    qtbot.waitUntil(lambda: model.get("cola") is not None, timeout=WAIT_MS)
    assert model.station_of("Drinks") == "BAR"
    view.select("cola")
    assert view.station_box.currentText() == "Bar"
    view.station_box.setCurrentIndex(view.station_box.findData("COLD"))
    view.station_box.activated.emit(view.station_box.currentIndex())
    # Every item of the category follows (the answer, and each item's menu_item_changed).
    drinks = [item.id for item in model.items if item.category == "Drinks"]
    assert len(drinks) == 6

    def moved() -> bool:
        return all(getattr(model.get(item), "station", None) == "COLD" for item in drinks)

    qtbot.waitUntil(moved, timeout=WAIT_MS)
    assert model.station_of("Drinks") == "COLD"
    # A new order's cola goes to the cold station now.
    ids = rush(backend, 5)[4:]  # cola and wings
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    order = window.board.model.get(ids[0])
    assert order is not None and [line.station for line in order.items] == ["COLD", "COLD"]
    assert chips(window, ids[0]) == "Cold"


def test_the_done_tickets_are_whole_on_a_stations_screen(
    qtbot: QtBot, window: MainWindow, backend: Backend
) -> None:
    ids = rush(backend, 3)
    qtbot.waitUntil(lambda: in_kitchen(window, ids), timeout=WAIT_MS)
    staff(backend, "mutation($id: ID!) { markReady(orderId: $id) { id } }", ids[2])
    staff(backend, "mutation($id: ID!) { completeOrder(orderId: $id) { id } }", ids[2])
    window.station_actions[Station.BAR].trigger()
    grid = window.board.view.grid
    qtbot.waitUntil(lambda: shown(grid) == {}, timeout=WAIT_MS)  # the cola's ticket is done
    window.show_done_action.trigger()
    qtbot.waitUntil(lambda: shown(grid) == {ids[2]: ["GRILL", "GRILL", "BAR"]}, timeout=WAIT_MS)
    window.show_done_action.trigger()
    qtbot.waitUntil(lambda: shown(grid) == {}, timeout=WAIT_MS)
