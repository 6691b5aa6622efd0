"""The dashboard under load: startup time, and the Qt loop's lag on a full board.

1. **Startup.** ``python main.py --db <file>`` is started as a subprocess (its own
   embedded backend, as staff start it) until its window is shown, then closed: the
   time from spawning the process to the window's first paint. Median and worst of
   several starts on an existing database, and the first start (which creates the
   database) for context. Also: until the board has listed its orders.
2. **Loop lag.** The real window (offscreen, 1600x1000, shown and painting) against a
   backend with 10,000 open orders (handlers paused: nothing moves but what the
   benchmark moves), the ticket grid and the all-day counts (F3) open. A driver
   commits 100 order changes a second (transitions through the pipeline, one in ten a
   new order) while a probe on the qasync loop asks for a 10 ms sleep again and again;
   the lag is how late each wake-up comes. Also: the time from each change's commit
   to the board showing it, and the listing of the 10,000.
   Runs: the backend (and the driver) in a child process, as ``python main.py`` runs
   its embedded backend (the same set-up as ``--connect``); and, for context, the
   backend on a thread of the window's process, as it ran before backend/child.py
   (it shares the GIL with the Qt thread), also with the orders board alone
   (``board``: no event log, handlers and menu panels), which tells the board's share.

Run alone: ``python -m bench.dashboard`` (or ``startup``, ``embedded``, ``thread``,
``board``, ``lag`` after it for one part). ``PASSLINE_BENCH_PROFILE=1`` prints a
cProfile of the Qt thread under load.
"""

from __future__ import annotations

import asyncio
import cProfile
import gc
import json
import os
import queue
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bench.common import (
    PROFILE_ENV,
    STAFF_TOKEN,
    Figure,
    now,
    percentile,
    print_profile,
    run_section,
    running_backend,
    temp_dir,
)

if TYPE_CHECKING:
    from backend.database import Tx
    from backend.embedded import Backend
    from backend.states import OrderAction
    from ui.main_window import MainWindow

TITLE = "dashboard: startup and loop lag"
ROOT = Path(__file__).resolve().parent.parent
STARTS = 5
TARGET_STARTUP_SECONDS = 1.5
ORDERS = 10_000
SEED_BATCH = 500
CHANGES_PER_SECOND = 100
LOAD_SECONDS = 10.0
NEW_ORDER_SHARE = 0.1  # of the changes, new orders (the rest move open orders on)
PROBE_SECONDS = 0.010
TARGET_LAG_P99_MS = 30.0
WINDOW_SIZE = (1600, 1000)
CHILD = "--startup-child"
BACKEND_CHILD = "--backend-child"


# -- startup ------------------------------------------------------------------------------


def _startup_child(db: str) -> None:
    """In the subprocess: run main.py's dashboard; print when shown and when loaded."""
    from PySide6.QtCore import QTimer

    import main
    from ui import main_window

    show = main_window.MainWindow.show

    def shown(window: main_window.MainWindow) -> None:
        show(window)
        # The next loop turn comes after the window's first expose and paint.
        QTimer.singleShot(0, lambda: print(f"shown {time.time():.6f}", flush=True))

        def loaded() -> None:
            if window.board.is_loaded:
                print(f"loaded {time.time():.6f}", flush=True)
                window.close()
            else:
                QTimer.singleShot(5, loaded)

        QTimer.singleShot(0, loaded)

    main_window.MainWindow.show = shown  # type: ignore[method-assign,assignment]
    sys.exit(main.main(["--db", db, "--port", "0"]))


def _start_once(db: Path) -> tuple[float, float]:
    """Seconds from spawning ``main.py`` to its window shown, and to its board loaded."""
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "PASSLINE_STAFF_TOKEN": STAFF_TOKEN,
        "XDG_CONFIG_HOME": str(db.parent / "config"),  # the window's QSettings
    }
    spawned = time.time()
    done = subprocess.run(
        [sys.executable, "-m", "bench.dashboard", CHILD, str(db)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    marks = dict(
        line.split() for line in done.stdout.splitlines() if line[:6] in ("shown ", "loaded")
    )
    if done.returncode != 0 or set(marks) != {"shown", "loaded"}:
        raise RuntimeError(
            f"main.py did not start: {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
    return float(marks["shown"]) - spawned, float(marks["loaded"]) - spawned


def startup() -> list[Figure]:
    with temp_dir() as folder:
        db = folder / "passline.db"
        first_shown, _ = _start_once(db)
        runs = [_start_once(db) for _ in range(STARTS)]
    shown = [run[0] for run in runs]
    loaded = [run[1] for run in runs]
    median = statistics.median(shown)
    return [
        Figure(
            f"python main.py -> window shown, median of {STARTS} starts",
            median,
            "s",
            f"< {TARGET_STARTUP_SECONDS} s",
            median < TARGET_STARTUP_SECONDS,
        ),
        Figure("same, worst start", max(shown), "s"),
        Figure("same, first start (creates the database)", first_shown, "s"),
        Figure("python main.py -> board listed, median", statistics.median(loaded), "s"),
    ]


# -- loop lag ---------------------------------------------------------------------------------


def seed(backend: Backend, count: int) -> list[str]:
    """``count`` open orders, written straight through the domain (seconds, not minutes)."""
    from backend import orders
    from backend.states import Channel, Fulfillment

    request = orders.OrderRequest(
        lines=(orders.LineRequest("margherita", 2, "no basil"), orders.LineRequest("fries", 1)),
        channel=Channel.COUNTER,
        fulfillment=Fulfillment.TAKEAWAY,
        customer_name="Bench",
    )

    def place(n: int) -> Callable[[Tx], list[orders.Order]]:
        return lambda tx: [orders.place_order(tx, request) for _ in range(n)]

    ids: list[str] = []
    for start in range(0, count, SEED_BATCH):
        placed = backend.call(backend.db.write(place(min(SEED_BATCH, count - start))))
        ids.extend(order.id for order in placed)
    return ids


class Driver(threading.Thread):
    """Commits ``rate`` order changes a second on the backend, paced by the clock."""

    def __init__(self, backend: Backend, open_orders: list[str], rate: float, seconds: float):
        super().__init__(name="bench-driver", daemon=True)
        self.backend = backend
        self.queue = list(open_orders)
        self.rate = rate
        self.seconds = seconds
        self.sent: dict[tuple[str, str], float] = {}  # (order id, status) -> commit time
        self.errors: list[BaseException] = []

    def run(self) -> None:
        from backend.states import OrderAction, OrderStatus

        steps = [
            (OrderAction.VALIDATE, OrderStatus.VALIDATED),
            (OrderAction.RECORD_PAYMENT, OrderStatus.PAID),
            (OrderAction.SEND_TO_KITCHEN, OrderStatus.IN_KITCHEN),
            (OrderAction.MARK_READY, OrderStatus.READY),
            (OrderAction.COMPLETE, OrderStatus.COMPLETED),
        ]
        progress: dict[str, int] = {}
        start = now()
        count = int(self.rate * self.seconds)
        futures = []
        for number in range(count):
            due = start + number / self.rate
            delay = due - now()
            if delay > 0:
                time.sleep(delay)
            if number % round(1 / NEW_ORDER_SHARE) == 0:
                placed = seed_one(self.backend)
                self.queue.append(placed)
                self.sent[(placed, OrderStatus.PLACED.value)] = now()
                continue
            order_id = self.queue[number % len(self.queue)]
            step = progress.get(order_id, 0)
            if step >= len(steps):
                continue
            progress[order_id] = step + 1
            action, status = steps[step]
            future = asyncio.run_coroutine_threadsafe(
                self.backend.db.write(_transition(order_id, action)), self.backend.loop
            )
            future.add_done_callback(self._committed((order_id, status.value)))
            futures.append(future)
        for future in futures:
            try:
                future.result(30)
            except Exception as exc:  # reported, not raised: the figures say what happened
                self.errors.append(exc)

    def _committed(self, key: tuple[str, str]) -> Callable[[Future[Any]], None]:
        def committed(_: Future[Any]) -> None:
            self.sent[key] = now()

        return committed


def _transition(order_id: str, action: OrderAction) -> Callable[[Tx], Any]:
    from backend import orders

    return lambda tx: orders.transition(tx, order_id, action)


def seed_one(backend: Backend) -> str:
    return seed(backend, 1)[0]


async def _until(condition: Callable[[], bool], seconds: float) -> None:
    deadline = now() + seconds
    while not condition():
        if now() > deadline:
            raise TimeoutError("the board did not catch up")
        await asyncio.sleep(0.01)


async def _probe(lags: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        before = now()
        await asyncio.sleep(PROBE_SECONDS)
        lags.append(max(0.0, now() - before - PROBE_SECONDS))


class Load(Protocol):
    """Drives the changes, wherever the backend is; ``sent`` maps (order id, status) to
    the commit time of the change that gave the order that status."""

    async def drive(self) -> tuple[dict[tuple[str, str], float], list[str]]: ...


class InProcess:
    """The backend on a thread of the window's process: how ``python main.py`` ran it
    before backend/child.py (kept for context: it shares the GIL with the Qt thread)."""

    def __init__(self, backend: Backend, ids: list[str]) -> None:
        self.backend = backend
        self.ids = ids

    async def drive(self) -> tuple[dict[tuple[str, str], float], list[str]]:
        driver = Driver(self.backend, self.ids, CHANGES_PER_SECOND, LOAD_SECONDS)
        driver.start()
        await _until(lambda: not driver.is_alive(), LOAD_SECONDS * 3)
        return dict(driver.sent), [repr(error) for error in driver.errors]


class OtherProcess:
    """The backend and the driver in a child process: how ``python main.py`` runs its
    embedded backend (backend/child.py), and the same set-up as ``--connect``."""

    def __init__(self, child: subprocess.Popen[str]) -> None:
        self.child = child
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.child.stdout is not None
        for line in self.child.stdout:
            self.lines.put(line.rstrip("\n"))

    async def line(self, prefix: str, seconds: float = 120) -> str:
        deadline = now() + seconds
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                if now() > deadline or self.child.poll() is not None:
                    raise RuntimeError(f"the backend process said no {prefix!r}") from None
                await asyncio.sleep(0.01)
                continue
            if line.startswith(prefix):
                return line.removeprefix(prefix).strip()

    async def drive(self) -> tuple[dict[tuple[str, str], float], list[str]]:
        assert self.child.stdin is not None
        self.child.stdin.write("go\n")
        self.child.stdin.flush()
        done = json.loads(await self.line("sent", LOAD_SECONDS * 3))
        return {(o, status): t for o, status, t in done["sent"]}, done["errors"]


def _backend_child(folder: str) -> None:
    """In the child process: backend, 10,000 orders, then the driver on "go"."""
    with running_backend(Path(folder), handlers=False) as backend:
        ids = seed(backend, ORDERS)
        print(f"url {backend.url}", flush=True)
        sys.stdin.readline()
        driver = Driver(backend, ids, CHANGES_PER_SECOND, LOAD_SECONDS)
        driver.start()
        driver.join()
        sent = [[o, status, t] for (o, status), t in driver.sent.items()]
        errors = [repr(error) for error in driver.errors]
        print(f"sent {json.dumps({'sent': sent, 'errors': errors})}", flush=True)
        sys.stdin.readline()


async def _under_load(window: MainWindow, load: Load) -> dict[str, Any]:
    from ui.tasks import spawn

    started = now()
    await window.client.start()
    spawn(window.start())
    await _until(lambda: window.board.is_loaded, 120)
    loaded = now() - started
    assert len(window.board.model.orders) >= ORDERS, len(window.board.model.orders)

    arrived: dict[tuple[str, str], float] = {}
    model = window.board.model

    def record(first: int, last: int) -> None:
        for row in range(first, last + 1):
            order = model.order_at(row)
            arrived.setdefault((order.id, order.status.value), now())

    model.dataChanged.connect(lambda top, bottom, _roles: record(top.row(), bottom.row()))
    model.rowsInserted.connect(lambda _parent, first, last: record(first, last))

    idle: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.ensure_future(_probe(idle, stop))
    await asyncio.sleep(2.0)
    stop.set()
    await probe

    lags: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.ensure_future(_probe(lags, stop))
    profiler = cProfile.Profile() if os.environ.get(PROFILE_ENV) else None
    if profiler is not None:
        profiler.enable()
    sent, errors = await load.drive()
    await _until(lambda: set(sent) <= set(arrived), 30)
    stop.set()
    await probe
    if profiler is not None:
        profiler.disable()
        print_profile(profiler, "the Qt thread under load")
    return {
        "loaded": loaded,
        "idle": idle,
        "lags": lags,
        "latencies": [arrived[key] - at for key, at in sent.items()],
        "changes": len(sent),
        "errors": errors,
        "rows": len(model.orders),
    }


def _measure(url: str, folder: Path, load: Load, panels: bool = True) -> dict[str, Any]:
    """The real window against ``url``, offscreen and shown, while ``load`` drives;
    without ``panels``, the window has the orders board only (to tell their shares)."""
    import qasync
    from PySide6.QtCore import QSettings

    from ui import main_window
    from ui.app import application, dispose
    from ui.client import GraphQLClient
    from ui.main_window import MainWindow
    from ui.sound import Chime

    all_panels = main_window.PANELS
    if not panels:
        main_window.PANELS = ()

    app = application([])
    app.setQuitOnLastWindowClosed(False)
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    # The all-day counts (F3) open, as a kitchen leaves them: they recount on every change.
    settings.setValue("board/allDay", True)
    chime = Chime()
    chime.enabled = False
    window = MainWindow(GraphQLClient(url, STAFF_TOKEN), "bench", settings, chime)
    window.resize(*WINDOW_SIZE)
    window.show()
    assert window.board.view.all_day.isVisible()
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    try:
        result: dict[str, Any] = loop.run_until_complete(_under_load(window, load))
        window.close()
        loop.run_until_complete(window.client.close())
        loop.run_until_complete(dispose(window))  # as the app does when it closes
    finally:
        main_window.PANELS = all_panels
        loop.close()
        asyncio.set_event_loop(None)
        del loop, window
        gc.collect()  # here, on the Qt thread (see ui.app.run)
    return result


def _figures(mode: str, result: dict[str, Any], target: bool = True) -> list[Figure]:
    lags_ms = [lag * 1000 for lag in result["lags"]]
    idle_ms = [lag * 1000 for lag in result["idle"]]
    latency_ms = [latency * 1000 for latency in result["latencies"]]
    p99 = percentile(lags_ms, 99)
    note = f"{result['changes']} changes, {result['rows']:,} orders on the board"
    if result["errors"]:
        note += f"; {len(result['errors'])} changes failed: {result['errors'][0]}"
    return [
        Figure(f"{mode}: list {ORDERS:,} orders onto the board", result["loaded"], "s"),
        Figure(f"{mode}: loop lag, idle board, p99", percentile(idle_ms, 99), "ms"),
        Figure(
            f"{mode}: loop lag, {CHANGES_PER_SECOND} changes/s, p50", percentile(lags_ms, 50), "ms"
        ),
        Figure(
            f"{mode}: loop lag, {CHANGES_PER_SECOND} changes/s, p99",
            p99,
            "ms",
            f"< {TARGET_LAG_P99_MS:g} ms" if target else "",
            p99 < TARGET_LAG_P99_MS if target else None,
            note,
        ),
        Figure(f"{mode}: loop lag, worst", max(lags_ms), "ms"),
        Figure(f"{mode}: change committed -> on the board, p50", percentile(latency_ms, 50), "ms"),
        Figure(f"{mode}: change committed -> on the board, p99", percentile(latency_ms, 99), "ms"),
    ]


def loop_lag_thread(panels: bool = True) -> list[Figure]:
    with temp_dir() as folder, running_backend(folder, handlers=False) as backend:
        ids = seed(backend, ORDERS)
        result = _measure(backend.url, folder, InProcess(backend, ids), panels)
    if panels:
        return _figures("backend on a thread (before; context)", result, target=False)
    return _figures("backend on a thread, board only (context)", result, target=False)


def loop_lag_embedded() -> list[Figure]:
    with temp_dir() as folder:
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.dashboard", BACKEND_CHILD, str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        try:
            load = OtherProcess(child)
            url = asyncio.run(load.line("url"))
            result = _measure(url, folder, load)
            assert child.stdin is not None
            child.stdin.write("stop\n")
            child.stdin.flush()
            child.wait(60)
        finally:
            if child.poll() is None:
                child.kill()
    return _figures("embedded backend (child process; also --connect)", result)


def loop_lag() -> list[Figure]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return loop_lag_embedded() + loop_lag_thread()


def run() -> list[Figure]:
    return startup() + loop_lag()


def _only(part: str) -> list[Figure]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parts: dict[str, Callable[[], list[Figure]]] = {
        "startup": startup,
        "lag": loop_lag,
        "embedded": loop_lag_embedded,
        "thread": loop_lag_thread,
        "board": lambda: loop_lag_thread(panels=False),
    }
    return parts[part]()


if __name__ == "__main__":
    if sys.argv[1:2] == [CHILD]:
        _startup_child(sys.argv[2])
    elif sys.argv[1:2] == [BACKEND_CHILD]:
        _backend_child(sys.argv[2])
    elif sys.argv[1:2] in (["startup"], ["lag"], ["embedded"], ["thread"], ["board"]):
        run_section(TITLE, lambda: _only(sys.argv[1]))
    else:
        run_section(TITLE, run)
