"""The evening Passline is for: ``python -m bench.rush``.

A real ``main.py --headless`` (its own process, the sandbox gateway declining 30 % of
the card charges) and, each in a client process of its own:

- **screens**: 10 dashboards, each one WebSocket with the subscriptions a dashboard
  window holds (the board's ``orderChanges``, the backlog's and the handlers panel's
  ``handlerStats``, the event log's, the handlers' and the menu's ``eventLog``; the
  documents imported from ui/controllers/), and the pickup screen (``pickupBoard``,
  from resources/web/js/pickup.js);
- **customers**: orders at ``--rate`` a second (a Poisson process) with the demo's
  made-up baskets, each followed by its customer's status page (``order(id)`` from
  resources/web/js/status.js) until it is finished;
- **staff**: they watch the board and mark orders ready, complete them, and take cash
  for, charge again or cancel declined ones, with the board's own mutations.

First a warm-up fills the restaurant to about ``--pages`` open orders (each with its
page open); then ``--minutes`` are measured. Timed, on the machine's monotonic clock:

- per staff action, from sending it until every screen that shows it has it: the 10
  dashboards, the pickup screen (for markReady, completeOrder and takeCash of orders
  collected at the counter) and the order's customer page;
- per order placed, from sending placeOrder until its customer page shows IN_KITCHEN
  (orders whose card went through at once).

Errors are every GraphQL error, dropped socket, and change a screen missed or got out of
order (each dashboard's feed and each page against the backend's event log at the end,
the pickup screen against the backend's board), and each line the backend logged at
ERROR. The backend's CPU and resident memory are sampled from /proc; each client
process reports its own CPU.

``--report PATH`` also writes the figures and errors as JSON.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import queue
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench import _rush_documents
from bench._rush_backend import ProcessSampler, headless, logged_errors
from bench._rush_customers import customers
from bench._rush_plan import (
    CustomersResult,
    Plan,
    Quiet,
    ScreensResult,
    StaffResult,
    Window,
    run_worker,
)
from bench._rush_report import Analysis, ServerEvent, Truth, analyse
from bench._rush_screens import screens
from bench._rush_staff import staff
from bench.common import LOOPBACK, STAFF_TOKEN, Figure, now, percentile, run_section, temp_dir
from clients.graphql import execute_sync

TITLE = "Rush: the evening (issue 16, python -m bench.rush)"
RATE = 5.0  # orders a second
MINUTES = 5.0
PAGES = 500
DASHBOARDS = 10
DECLINE_RATE = 0.3
SEED = 16
READY_SECONDS = 180.0
QUIET_SECONDS = 2.0  # the backend's log stands still this long: the evening is over
QUIET_LIMIT_SECONDS = 120.0
RESULT_SECONDS = 120.0
TARGET_ACTION_P99_MS = 50.0
TARGET_KITCHEN_P99_MS = 100.0
EVENTS = """
query Events($after: Int!) { events(afterSeq: $after, first: 500) { seq type orderId payload } }
"""
PICKUP_BOARD = "{ pickupBoard { number state } }"
WORKERS = {"screens": screens, "customers": customers, "staff": staff}


def _last_seq(url: str, query: str) -> int:
    data = execute_sync(url, query, {"before": 2**31 - 1}, token=STAFF_TOKEN, **LOOPBACK)
    return int(data["events"][0]["seq"]) if data["events"] else 0


def _quiet(url: str, query: str) -> int:
    """Wait until nothing is committed for QUIET_SECONDS; the last seq then."""
    deadline = now() + QUIET_LIMIT_SECONDS
    last, since = _last_seq(url, query), now()
    while now() - since < QUIET_SECONDS:
        if now() > deadline:
            raise TimeoutError(f"the backend kept committing for {QUIET_LIMIT_SECONDS:.0f} s")
        time.sleep(0.2)
        seq = _last_seq(url, query)
        if seq != last:
            last, since = seq, now()
    return last


def _truth(url: str, last_seq: int) -> Truth:
    events: list[ServerEvent] = []
    after = 0
    while True:
        page = execute_sync(url, EVENTS, {"after": after}, token=STAFF_TOKEN, **LOOPBACK)["events"]
        for event in page:
            if event["seq"] > last_seq:
                break
            order = (event["payload"] or {}).get("order")
            if event["orderId"] is not None and order is not None:
                payment = event["payload"].get("payment") or {}
                events.append(
                    ServerEvent(
                        event["seq"],
                        event["type"],
                        event["orderId"],
                        order["status"],
                        payment.get("method"),
                    )
                )
        if len(page) < 500 or page[-1]["seq"] >= last_seq:
            break
        after = page[-1]["seq"]
    board = execute_sync(url, PICKUP_BOARD, token=STAFF_TOKEN, **LOOPBACK)["pickupBoard"]
    return Truth(events, last_seq, {entry["number"]: entry["state"] for entry in board})


def measure(
    rate: float = RATE,
    minutes: float = MINUTES,
    pages: int = PAGES,
    dashboards: int = DASHBOARDS,
    decline_rate: float = DECLINE_RATE,
) -> tuple[list[Figure], Analysis]:
    documents = _rush_documents.load()
    context = multiprocessing.get_context("spawn")  # never forked from the sampler thread
    with temp_dir() as folder:
        with headless(folder, decline_rate) as (process, url):
            plan = Plan(url, STAFF_TOKEN, documents, rate, 60 * minutes, pages, dashboards, SEED)
            outbox: Any = context.Queue()
            inboxes: dict[str, Any] = {name: context.Queue() for name in WORKERS}
            workers = [
                context.Process(
                    target=run_worker,
                    args=(name, body, plan, inboxes[name], outbox),
                    name=f"rush-{name}",
                )
                for name, body in WORKERS.items()
            ]
            for worker in workers:
                worker.start()
            try:
                with ProcessSampler(process.pid) as sampler:
                    _expect(outbox, "ready", READY_SECONDS)
                    start = now() + 0.5
                    window = Window(
                        start, start + plan.lifetime, start + plan.lifetime + plan.seconds
                    )
                    for inbox in inboxes.values():
                        inbox.put(window)
                    time.sleep(max(0.0, window.stop - now()))
                    last_seq = _quiet(url, documents.last_seq)
                    truth = _truth(url, last_seq)
                    quiet = Quiet(
                        max((event.seq for event in truth.events), default=0),
                        {event.order_id: event.status for event in truth.events},
                        truth.pickup_board,
                    )
                    for inbox in inboxes.values():
                        inbox.put(quiet)
                    results = _expect(outbox, "result", RESULT_SECONDS)
                    usage = (
                        sampler.cpu_between(window.measure_from, window.stop),
                        *sampler.rss_between(window.measure_from, window.stop),
                    )
            finally:
                for worker in workers:
                    worker.join(timeout=30)
                    if worker.is_alive():
                        worker.kill()
        backend_errors = logged_errors(folder)  # the backend has stopped: its whole log
    figures, analysis = _figures(plan, window, results, truth, backend_errors, usage)
    return figures, analysis


def _figures(
    plan: Plan,
    window: Window,
    results: dict[str, Any],
    truth: Truth,
    backend_errors: list[str],
    usage: tuple[float, int, int],
) -> tuple[list[Figure], Analysis]:
    """The figures of a run; ``usage``: the backend's CPU seconds while measuring, and its
    largest and last RSS then."""
    screens_result: ScreensResult = results["screens"]
    customers_result: CustomersResult = results["customers"]
    staff_result: StaffResult = results["staff"]
    analysis = analyse(window, screens_result, customers_result, staff_result, truth)
    backend_cpu, rss_peak, rss_end = usage
    for line in backend_errors:
        analysis.errors.add("backend", line)
    measured = [count for at, count in customers_result.open_pages if window.measured(at)]
    context_note = (
        f"{len(customers_result.placed)} orders placed ({analysis.orders_measured} while "
        f"measuring, after {plan.lifetime:.0f} s of warm-up), {analysis.declined} of "
        f"{analysis.card_charges} card charges declined; staff actions measured: "
        + ", ".join(f"{count} {kind}" for kind, count in sorted(analysis.actions.items()))
        + f" (HTTP ack p50 {percentile(analysis.action_ack_ms, 50):.1f} ms); customer pages "
        f"open {min(measured, default=0)}-{max(measured, default=0)}; "
        f"{plan.dashboards} dashboards got {sum(len(b) for b in screens_result.boards):,} board "
        f"changes and {screens_result.other_messages:,} other messages"
    )
    seconds = plan.seconds
    figures = [
        Figure(
            "staff action -> every screen has it, p50",
            percentile(analysis.action_ms, 50),
            "ms",
        ),
        Figure(
            "staff action -> every screen has it, p99",
            percentile(analysis.action_ms, 99),
            "ms",
            f"< {TARGET_ACTION_P99_MS:.0f} ms",
            percentile(analysis.action_ms, 99) < TARGET_ACTION_P99_MS,
            f"{len(analysis.action_ms)} actions; each kind of screen alone, p50 / p99: "
            + ", ".join(
                f"{screen} {percentile(ms, 50):.0f} / {percentile(ms, 99):.0f} ms"
                for screen, ms in sorted(analysis.by_screen.items())
            )
            + "; "
            + context_note,
        ),
        Figure(
            "placeOrder -> customer's page IN_KITCHEN, p50",
            percentile(analysis.kitchen_ms, 50),
            "ms",
        ),
        Figure(
            "placeOrder -> customer's page IN_KITCHEN, p99",
            percentile(analysis.kitchen_ms, 99),
            "ms",
            f"< {TARGET_KITCHEN_P99_MS:.0f} ms",
            percentile(analysis.kitchen_ms, 99) < TARGET_KITCHEN_P99_MS,
            f"{len(analysis.kitchen_ms)} orders straight through the pipeline",
        ),
        Figure(
            "errors",
            analysis.errors.total,
            "",
            "0",
            analysis.errors.total == 0,
            "; ".join(f"{count} {kind}" for kind, count in sorted(analysis.errors.counts.items())),
        ),
        Figure("backend CPU (% of one core)", 100 * backend_cpu / seconds, "%"),
        Figure(
            "backend RSS, peak",
            rss_peak / 2**20,
            "MiB",
            note=f"{rss_end / 2**20:.0f} MiB at the end",
        ),
        Figure("screens' process CPU", 100 * screens_result.cpu_seconds / seconds, "%"),
        Figure("customers' process CPU", 100 * customers_result.cpu_seconds / seconds, "%"),
        Figure("staff's process CPU", 100 * staff_result.cpu_seconds / seconds, "%"),
    ]
    return figures, analysis


def _expect(outbox: Any, kind: str, seconds: float) -> dict[str, Any]:
    """One ``kind`` message from each worker (its payload, by name); a worker's failure
    is raised here with its traceback."""
    got: dict[str, Any] = {}
    deadline = now() + seconds
    while len(got) < len(WORKERS):
        try:
            message = outbox.get(timeout=max(1.0, deadline - now()))
        except queue.Empty:
            missing = sorted(set(WORKERS) - set(got))
            raise TimeoutError(f"no {kind!r} from {missing} in {seconds:.0f} s") from None
        if message[0] == "failed":
            raise RuntimeError(f"the {message[1]} process failed:\n{message[2]}")
        if message[0] != kind:
            raise RuntimeError(f"expected {kind!r} from the workers, got {message[:2]}")
        got[message[1]] = message[2] if len(message) > 2 else None
    return got


def run() -> list[Figure]:
    return measure()[0]


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.rush", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--minutes", type=float, default=MINUTES, help="measured (default: %(default)s)"
    )
    parser.add_argument(
        "--rate", type=float, default=RATE, help="orders a second (default: %(default)s)"
    )
    parser.add_argument(
        "--pages",
        type=int,
        default=PAGES,
        help="customer pages open at once (default: %(default)s)",
    )
    parser.add_argument(
        "--dashboards",
        type=int,
        default=DASHBOARDS,
        help="dashboard windows following the evening (default: %(default)s)",
    )
    parser.add_argument(
        "--report", type=Path, metavar="PATH", help="also write the figures and errors as JSON"
    )
    args = parser.parse_args()
    for option, value, least in (
        ("--minutes", args.minutes, 0.01),
        ("--rate", args.rate, 0.01),
        ("--pages", args.pages, 1),
        ("--dashboards", args.dashboards, 1),
    ):
        if value < least:
            parser.error(f"{option} {value:g} is too small; give {least:g} or more")
    print(f"1-min load average before: {os.getloadavg()[0]:.2f}")
    result: dict[str, Any] = {}

    def bench() -> list[Figure]:
        figures, analysis = measure(args.rate, args.minutes, args.pages, args.dashboards)
        result["analysis"] = analysis
        return figures

    section = run_section(TITLE, bench)
    analysis = result["analysis"]
    for example in analysis.errors.examples:
        print(f"  error: {example}")
    if args.report is not None:
        report = {
            "figures": [asdict(figure) for figure in section.figures],
            "errors": analysis.errors.total,
            "error_counts": analysis.errors.counts,
            "error_examples": analysis.errors.examples,
            "actions": dict(analysis.actions),
            "by_screen_p99_ms": {
                screen: percentile(ms, 99) for screen, ms in analysis.by_screen.items()
            },
            "orders_measured": analysis.orders_measured,
            "card_charges": analysis.card_charges,
            "declined": analysis.declined,
            "machine": section.machine_note(),
        }
        args.report.write_text(json.dumps(report, indent=2), encoding="utf-8")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
