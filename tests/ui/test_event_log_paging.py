"""The event log over a big log: the newest page first, older pages on scroll, and
server filters that page through matches only, never the whole log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from backend.embedded import Backend
from tests.conftest import running
from tests.ui.panels import event_log, find_event, place, wait_for
from tests.ui.seed import DEAD, RARE, RARE_TYPE, seed_events, seeded_type
from ui.controllers._event_pages import PAGE_ROWS
from ui.controllers.event_log import EventLogController
from ui.main_window import MainWindow
from ui.models._table import ROW_ROLE
from ui.models.events import DeliveryStatus

COUNT = 3_000


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    seed_events(db_path, COUNT)
    with running(db_path) as server:
        yield server


def shown(log: EventLogController) -> list[int]:
    proxy = log.proxy
    return [proxy.index(r, 0).data(ROW_ROLE).seq for r in range(proxy.rowCount())]


def loaded(log: EventLogController) -> list[int]:
    return [row.seq for row in log.model]


def count_rows_read(log: EventLogController) -> list[int]:
    """How many events each page request of the log returned, from now on."""
    pages: list[int] = []
    execute = log.client.execute

    async def counting(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        data = await execute(query, variables)
        if query.lstrip().startswith("query Page"):
            pages.append(sum(len(found) for found in data.values()))
        return data

    log.client.execute = counting  # type: ignore[method-assign]
    return pages


def choose(combo: Any, value: str | None) -> None:
    combo.setCurrentIndex(combo.findData(value))


def test_the_newest_page_first_then_older_pages_on_scroll(qtbot: QtBot, window: MainWindow) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    assert loaded(log) == list(range(COUNT, COUNT - PAGE_ROWS, -1))
    assert log.model.more_available
    assert "200 events loaded" in log.view.counts.text()

    log.view.table.scrollToBottom()
    wait_for(qtbot, lambda: log.model.rowCount() == 2 * PAGE_ROWS)
    log.view.older_button.click()
    wait_for(qtbot, lambda: log.model.rowCount() == 3 * PAGE_ROWS)
    assert loaded(log) == list(range(COUNT, COUNT - 3 * PAGE_ROWS, -1))
    first = log.view.table.model().index(0, 2).data()
    assert first == seeded_type(COUNT)


def test_server_filters_page_through_matches_only(qtbot: QtBot, window: MainWindow) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    pages = count_rows_read(log)
    view = log.view

    choose(view.type_filter, RARE_TYPE)
    rare = list(range(COUNT - COUNT % RARE, 0, -RARE))
    wait_for(qtbot, lambda: loaded(log) == rare and not log.model.loading)
    assert shown(log) == rare
    assert not log.model.more_available  # the whole log was searched
    assert sum(pages) == len(rare)  # and only the matches were read

    choose(view.type_filter, None)
    choose(view.status_filter, DeliveryStatus.DEAD.value)
    dead = [s for s in range(COUNT, 0, -1) if s % DEAD == 0 and seeded_type(s) != RARE_TYPE]
    wait_for(qtbot, lambda: loaded(log) == dead and not log.model.loading)
    assert shown(log) == dead

    choose(view.status_filter, None)
    wait_for(qtbot, lambda: log.model.rowCount() == PAGE_ROWS and log.backlog is None)
    pages.clear()
    old = COUNT - 2500  # far below the page loaded: the server searches the whole log
    view.text_filter.setText(f"Guest {old}")
    wait_for(qtbot, lambda: shown(log) == [old] and not log.model.loading)
    assert not log.model.more_available
    assert sum(pages) == 1  # only the match was read
    assert "1 events loaded · all" in view.counts.text()


def test_an_order_filter_and_live_events_beside_it(qtbot: QtBot, window: MainWindow) -> None:
    log = event_log(window)
    wait_for(qtbot, lambda: log.backlog is None)
    view = log.view
    choose(view.type_filter, RARE_TYPE)
    wait_for(qtbot, lambda: log.model.rowCount() == COUNT // RARE and not log.model.loading)

    order = place(qtbot, window, channel="COUNTER")
    wait_for(qtbot, lambda: log.head > COUNT + 3)  # placed, validated, paid … arrived live
    assert find_event(log.model, order["id"], "order_placed") is None  # not a cancellation

    choose(view.type_filter, None)
    view.order_filter.setText(f"#{order['number']}")
    view.order_filter.editingFinished.emit()
    wait_for(qtbot, lambda: log.filter.order_id == order["id"] and log.backlog is None)
    wait_for(qtbot, lambda: find_event(log.model, order["id"], "order_in_kitchen"))
    assert {row.order_id for row in log.model} == {order["id"]}
    types = [row.type for row in log.model]
    assert types[-3:] == ["order_paid", "order_validated", "order_placed"]
