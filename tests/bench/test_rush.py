"""bench.rush: a short evening end to end, its check of the screens, and its documents."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from graphql import build_schema, parse, validate

from bench import _rush_documents
from bench._rush_plan import (
    CustomersResult,
    Errors,
    Placed,
    ScreensResult,
    StaffAction,
    StaffResult,
    Window,
)
from bench._rush_report import ServerEvent, Truth, analyse

ROOT = Path(__file__).resolve().parents[2]
FIGURES = [
    "staff action -> every screen has it, p50",
    "staff action -> every screen has it, p99",
    "placeOrder -> customer's page IN_KITCHEN, p50",
    "placeOrder -> customer's page IN_KITCHEN, p99",
    "errors",
    "backend CPU (% of one core)",
    "backend RSS, peak",
    "screens' process CPU",
    "customers' process CPU",
    "staff's process CPU",
]


@pytest.mark.timeout(240)
def test_a_short_rush_reports_every_figure_and_no_error(tmp_path: Path) -> None:
    report_path = tmp_path / "rush.json"
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.rush",
            *("--minutes", "0.15", "--rate", "2", "--pages", "8", "--dashboards", "3"),
            *("--report", str(report_path)),
        ],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=220,
    )
    assert finished.returncode == 0, finished.stderr
    report = json.loads(report_path.read_text(encoding="utf-8"))
    figures = {figure["name"]: figure for figure in report["figures"]}
    assert list(figures) == FIGURES
    for figure in figures.values():
        assert figure["value"] == figure["value"], figure  # no NaN: each was measured
    assert report["errors"] == 0, report["error_examples"]
    assert figures["errors"]["met"] is True
    assert report["actions"]["markReady"] > 0
    assert report["actions"]["completeOrder"] > 0
    assert report["orders_measured"] > 0
    assert report["card_charges"] > 0
    assert "staff action -> every screen has it, p99" in finished.stdout


def _evening(second_board: list[tuple[float, int, str, str]]) -> tuple[ScreensResult, Truth]:
    """One takeaway order taken to READY by staff at t=5.0, two dashboards."""
    history = [
        (1, "order_placed", "PLACED", 1.00),
        (2, "order_validated", "VALIDATED", 1.01),
        (3, "order_paid", "PAID", 1.02),
        (4, "order_in_kitchen", "IN_KITCHEN", 1.03),
        (5, "order_ready", "READY", 5.01),
    ]
    board = [(at, seq, "o1", status) for seq, _, status, at in history]
    truth = Truth(
        [
            ServerEvent(seq, kind, "o1", status, "CARD" if kind == "order_paid" else None)
            for seq, kind, status, _ in history
        ],
        5,
        {1: "READY"},
    )
    screens = ScreensResult(
        cursor=0,
        boards=[board, second_board],
        other_messages=0,
        pickup=[(1.04, 1, "PREPARING"), (5.02, 1, "READY")],
        pickup_final={1: "READY"},
        errors=Errors(),
        cpu_seconds=0.0,
    )
    return screens, truth


def _analysed(second_board: list[tuple[float, int, str, str]]) -> tuple[Errors, list[float]]:
    screens, truth = _evening(second_board)
    page = [(1.05, "IN_KITCHEN"), (5.03, "READY")]
    customers = CustomersResult([Placed("o1", 1, "WEB", 1.0, 1.01, page)], [], Errors(), 0.0)
    ready = StaffAction("markReady", "o1", 1, "TAKEAWAY", "READY", 5.0, 5.005, True)
    staff = StaffResult([ready], Errors(), 0.0)
    analysis = analyse(Window(0.0, 0.5, 10.0), screens, customers, staff, truth)
    return analysis.errors, analysis.action_ms


def test_an_action_is_timed_until_the_last_screen_has_it() -> None:
    screens, _ = _evening([])
    errors, action_ms = _analysed([*screens.boards[0][:4], (5.04, 5, "o1", "READY")])
    assert errors.total == 0, errors.examples
    assert action_ms == [pytest.approx(40.0)]  # the second dashboard, last at 5.04


def test_a_dashboard_that_missed_a_change_is_an_error() -> None:
    screens, _ = _evening([])
    errors, _ = _analysed(screens.boards[0][:4])  # the second one never got READY
    assert errors.counts == {"missed": 2}
    assert errors.examples == [
        "missed: dashboard 1 never got the change of seq 5",
        "missed: dashboard 1 never showed markReady of #1",
    ]


def test_a_dashboard_that_got_changes_out_of_order_is_an_error() -> None:
    screens, _ = _evening([])
    first = screens.boards[0]
    errors, _ = _analysed([first[0], first[2], first[1], first[3], first[4], first[4]])
    assert errors.counts == {"out-of-order": 2}
    assert errors.examples == [
        "out-of-order: dashboard 1 got seq 2 after 3",
        "out-of-order: dashboard 1 got seq 5 after 5",
    ]


def test_the_documents_are_the_real_clients_and_valid_against_the_schema() -> None:
    from ui.controllers import board

    schema = build_schema((ROOT / "docs" / "schema.graphql").read_text(encoding="utf-8"))
    documents = _rush_documents.load()
    assert documents.dashboard[0][1] == board.ORDER_CHANGES
    texts = [
        *(document for _, document, _ in documents.dashboard),
        documents.last_seq,
        *documents.mutations.values(),
        documents.place_order,
        documents.status_page,
        documents.pickup,
    ]
    for text in texts:
        assert validate(schema, parse(text)) == [], text
    assert "statusReason" in documents.status_page  # ${FIELDS} filled in
