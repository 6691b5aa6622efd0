"""Passline: the restaurant's operator console and its embedded backend.

python main.py --headless       the backend only; prints "listening on URL" when ready
python main.py                  the dashboard with its embedded backend
python main.py --connect URL    the dashboard against a backend elsewhere
python main.py --self-test      checks this installation end to end on a temporary database
python main.py --version        prints the version
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from backend.demo import (
    DEFAULT_ORDERS_PER_MINUTE,
    MAX_ORDERS_PER_MINUTE,
    Demo,
    DemoSettings,
    DemoThread,
)
from backend.errors import HandlersConfigError, StorageError
from backend.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    Settings,
    default_data_dir,
    feed_memory_from_env,
)

if TYPE_CHECKING:
    import httpx

    from ui.main_window import MainWindow

SELF_TEST_TIMEOUT_SECONDS = 30.0  # each wait of --self-test, at most


def version() -> str:
    """Passline's version: the installed metadata (also in the bundle), else pyproject.toml."""
    from importlib import metadata

    try:
        return metadata.version("passline")
    except metadata.PackageNotFoundError:
        import tomllib

        with (Path(__file__).resolve().parent / "pyproject.toml").open("rb") as file:
            found: str = tomllib.load(file)["project"]["version"]
        return found


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="passline", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true", help="run the backend only, no window")
    mode.add_argument("--connect", metavar="URL", help="open the dashboard against this backend")
    mode.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation end to end on a temporary database; exit 0 if it works",
    )
    parser.add_argument("--version", action="version", version=f"passline {version()}")
    parser.add_argument(
        "--until-stdin-closes",
        action="store_true",
        help="with --headless: also stop when standard input closes (how the dashboard runs "
        "its embedded backend, so that it never outlives the window)",
    )
    parser.add_argument("--token", help="staff token for --connect")
    parser.add_argument(
        "--db",
        type=Path,
        default=default_data_dir() / "passline.db",
        help="database file (default: %(default)s)",
    )
    parser.add_argument(
        "--host", default=DEFAULT_HOST, help="listen address (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="listen port, 0 = any free (default: %(default)s)",
    )
    parser.add_argument(
        "--gateway-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="added latency of the sandbox payment gateway (default: %(default)s)",
    )
    parser.add_argument(
        "--log-level", default="WARNING", help="logging level (default: %(default)s)"
    )
    parser.add_argument(
        "--handlers-config",
        type=Path,
        metavar="PATH",
        help="TOML file declaring extra handlers as HTTP endpoints ([[webhook]] tables)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="simulated customers place orders and simulated staff move them along",
    )
    parser.add_argument(
        "--demo-rate",
        type=float,
        metavar="ORDERS_PER_MINUTE",
        help=f"with --demo: orders a minute, on average (default: {DEFAULT_ORDERS_PER_MINUTE:g})",
    )
    parser.add_argument(
        "--demo-failure-rate",
        type=float,
        metavar="FRACTION",
        help="with --demo: share of charges the sandbox payment gateway fails, 0 to 1 (default: 0)",
    )
    args = parser.parse_args(argv)
    _check_demo_args(parser, args)
    if args.token is not None and args.connect is None:
        parser.error("--token goes with --connect; the embedded backend has its own token")
    if args.until_stdin_closes and not args.headless:
        parser.error("--until-stdin-closes goes with --headless")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is out of range; use 0 to 65535 (0 = any free port)")
    try:
        args.feed_memory = feed_memory_from_env()
    except ValueError as exc:
        parser.error(str(exc))
    return args


def _check_demo_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not args.demo and (args.demo_rate is not None or args.demo_failure_rate is not None):
        parser.error("--demo-rate and --demo-failure-rate only apply with --demo; add --demo")
    if args.demo and args.connect:
        parser.error("--demo drives the embedded backend; leave out --connect")
    if args.demo_rate is not None and not 0 < args.demo_rate <= MAX_ORDERS_PER_MINUTE:
        parser.error(
            f"--demo-rate {args.demo_rate:g} is out of range; "
            f"use more than 0 and at most {MAX_ORDERS_PER_MINUTE:g} orders a minute"
        )
    if args.demo_failure_rate is not None and not 0 <= args.demo_failure_rate <= 1:
        parser.error(
            f"--demo-failure-rate {args.demo_failure_rate:g} is out of range; "
            "use a fraction from 0 (no charge fails) to 1 (every charge fails)"
        )


def demo_settings(args: argparse.Namespace) -> DemoSettings | None:
    """What ``--demo`` asked for, or None without it."""
    if not args.demo:
        return None
    return DemoSettings(orders_per_minute=args.demo_rate or DEFAULT_ORDERS_PER_MINUTE)


def run_headless(
    settings: Settings, demo: DemoSettings | None = None, until_stdin_closes: bool = False
) -> int:
    from backend.embedded import Backend, tune_collector

    try:
        backend = Backend(settings)
        backend.start()
    except (StorageError, HandlersConfigError, OSError) as exc:
        print(f"passline: cannot start: {exc}", file=sys.stderr)
        return 2
    tune_collector()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if until_stdin_closes:
        threading.Thread(target=_stop_at_eof, args=(stop,), daemon=True).start()
    print(f"listening on {backend.url}", flush=True)
    print(f"database {settings.db_path}", flush=True)
    demo_thread = None
    if demo is not None:
        demo_thread = DemoThread(Demo(backend.url, backend.staff_token, demo))
        demo_thread.start()
        print(
            f"demo: about {demo.orders_per_minute:g} orders a minute, "
            f"payment gateway failure rate {settings.gateway_failure_rate:.0%}",
            flush=True,
        )
    stop.wait()
    if demo_thread is not None:
        demo_thread.stop()
    backend.stop()
    print("stopped", flush=True)
    return 0


def _stop_at_eof(stop: threading.Event) -> None:
    while sys.stdin.buffer.read(4096):
        pass
    stop.set()


def graphql_url(address: str) -> str:
    """The GraphQL endpoint of ``--connect``: ``host:port`` or a URL, ``/graphql`` by default."""
    if "://" not in address:
        address = f"http://{address}"
    parts = urlsplit(address)
    path = parts.path if parts.path not in ("", "/") else "/graphql"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def install_excepthook() -> None:
    """Log what escapes a Qt slot or a task (qasync routes those here) and keep running."""
    log = logging.getLogger("passline")

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        log.critical("unexpected error", exc_info=(kind, value, tb))

    sys.excepthook = hook


def headless_options(args: argparse.Namespace) -> list[str]:
    """The options the dashboard hands on to its embedded backend (``--headless``)."""
    options = ["--host", args.host, "--port", str(args.port), "--log-level", args.log_level]
    options += ["--gateway-latency", repr(args.gateway_latency)]
    if args.handlers_config is not None:
        options += ["--handlers-config", str(args.handlers_config.expanduser().resolve())]
    if args.demo:
        options.append("--demo")
    if args.demo_rate is not None:
        options += ["--demo-rate", repr(args.demo_rate)]
    if args.demo_failure_rate is not None:
        options += ["--demo-failure-rate", repr(args.demo_failure_rate)]
    return options


def run_dashboard(
    settings: Settings, connect: str | None, token: str | None, options: list[str]
) -> int:
    """The window, against ``connect`` or against an embedded backend started here
    as a child process with ``options`` (see backend/child.py for why a process)."""
    from backend.child import ChildBackend
    from ui.app import DashboardConfig, run

    install_excepthook()
    if connect is not None:
        url = graphql_url(connect)
        token = token or os.environ.get("PASSLINE_STAFF_TOKEN")
        return run(DashboardConfig(url, token, f"Remote backend · {url}"))

    # Started on a worker thread once the window is up (see DashboardConfig).
    child = ChildBackend(settings.db_path, options)
    try:
        label = f"Embedded backend · {settings.db_path}"
        return run(DashboardConfig("", None, label, start_backend=child.start))
    finally:
        child.stop()


class SelfTestError(Exception):
    """A step of ``--self-test`` failed; the message says which and why."""


def _process_age() -> float:
    """Seconds since this process started (Linux; 0 where /proc is not there)."""
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def self_test() -> int:
    """``--self-test``: backend, an order through the handlers, the window showing it.

    On a temporary database and any free port: starts the embedded backend, places an
    order over GraphQL, waits until the handlers have taken it to IN_KITCHEN, opens the
    main window (offscreen unless ``QT_QPA_PLATFORM`` says otherwise) and checks that the
    order's card is on the board. Exit status 0, or 1 with what failed on stderr.
    """
    started = time.monotonic() - _process_age()

    def mark(what: str) -> None:
        print(f"self-test: {what} ({time.monotonic() - started:.2f} s after start)", flush=True)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="passline-self-test-") as tmp:
        # The window's settings go to the temporary folder, not the user's.
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        try:
            _self_test(Path(tmp), mark)
        except SelfTestError as exc:
            print(f"passline: self-test FAILED: {exc}", file=sys.stderr, flush=True)
            return 1
        except Exception as exc:
            print(
                f"passline: self-test FAILED: unexpected {type(exc).__name__}: {exc}",
                file=sys.stderr,
                flush=True,
            )
            return 1
    print(f"passline {version()}: self-test passed", flush=True)
    return 0


def _self_test(tmp: Path, mark: Callable[[str], None]) -> None:
    import httpx

    from backend.child import ChildBackend

    # The embedded backend as the dashboard starts it: this program again, as a child.
    child = ChildBackend(tmp / "passline.db", ["--host", DEFAULT_HOST, "--port", "0"])
    try:
        url, token = child.start()
    except Exception as exc:
        child.stop()
        raise SelfTestError(f"the embedded backend did not start: {exc}") from exc
    mark("backend started")
    try:
        with httpx.Client(
            base_url=url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=SELF_TEST_TIMEOUT_SECONDS,
        ) as http:
            order_id = _self_test_order(http)
            mark("order in the kitchen")
            _self_test_window(url, token, order_id, mark)
    finally:
        child.stop()


def _graphql(http: httpx.Client, query: str, **variables: Any) -> dict[str, Any]:
    try:
        response = http.post("", json={"query": query, "variables": variables})
        body: dict[str, Any] = response.json()
    except Exception as exc:
        raise SelfTestError(f"GraphQL request failed: {exc}") from exc
    if body.get("errors") or not body.get("data"):
        raise SelfTestError(f"GraphQL answered with errors: {body.get('errors')}")
    data: dict[str, Any] = body["data"]
    return data


def _self_test_order(http: httpx.Client) -> str:
    """Place an order; wait until the handlers take it to IN_KITCHEN; its id."""
    menu = _graphql(http, "{ menu { id available } }")["menu"]
    item = next((entry["id"] for entry in menu if entry["available"]), None)
    if item is None:
        raise SelfTestError("the seed menu is empty: resources/menu.json missing from the install?")
    placed = _graphql(
        http,
        "mutation($item: ID!) { placeOrder(input: {channel: COUNTER, fulfillment: TAKEAWAY,"
        ' customerName: "Self-test", items: [{menuItemId: $item, quantity: 1}]})'
        " { order { id } } }",
        item=item,
    )
    order_id: str = placed["placeOrder"]["order"]["id"]
    deadline = time.monotonic() + SELF_TEST_TIMEOUT_SECONDS
    status = "PLACED"
    while time.monotonic() < deadline:
        status = _graphql(http, "query($id: ID!) { order(id: $id) { status } }", id=order_id)[
            "order"
        ]["status"]
        if status == "IN_KITCHEN":
            return order_id
        if status in ("REJECTED", "PAYMENT_FAILED", "CANCELLED"):
            break
        time.sleep(0.05)
    handlers = _graphql(http, "{ handlers { name pending retrying dead lastError } }")["handlers"]
    if not handlers:
        raise SelfTestError(
            f"the order stayed {status}: no handlers are registered "
            "(the handlers package is missing from this installation)"
        )
    troubled = [h for h in handlers if h["dead"] or h["retrying"] or h["lastError"]]
    raise SelfTestError(
        f"the order did not reach IN_KITCHEN within {SELF_TEST_TIMEOUT_SECONDS:g} s "
        f"(status {status}); handlers with trouble: {troubled or 'none'}"
    )


def _self_test_window(url: str, token: str, order_id: str, mark: Callable[[str], None]) -> None:
    """Open the real main window on the backend; check the order's card is on the board."""
    from PySide6.QtCore import QTimer

    from ui.app import DashboardConfig, application, run
    from ui.main_window import MainWindow

    app = application()
    problems: list[str] = []
    seen: list[str] = []
    deadline = time.monotonic() + SELF_TEST_TIMEOUT_SECONDS

    def check() -> None:
        windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        try:
            if windows and not seen:
                seen.append("shown")
                mark("window shown")
            if windows and _card_on_board(windows[0], order_id):
                mark("card on the board")
                windows[0].close()
                return
        except Exception as exc:
            problems.append(f"checking the window failed: {type(exc).__name__}: {exc}")
        if problems or time.monotonic() > deadline:
            if not problems:
                state = windows[0].client.state if windows else "no window shown"
                problems.append(
                    f"the order's card was not on the board within "
                    f"{SELF_TEST_TIMEOUT_SECONDS:g} s (connection: {state})"
                )
            for window in windows:
                window.close()
            if not windows:
                app.quit()
            return
        QTimer.singleShot(20, check)

    QTimer.singleShot(0, check)
    try:
        status = run(DashboardConfig(url, token, "Self-test"))
    except Exception as exc:
        raise SelfTestError(f"the window failed: {type(exc).__name__}: {exc}") from exc
    if problems:
        raise SelfTestError("; ".join(problems))
    if status != 0:
        raise SelfTestError(f"the window ended with status {status}")


def _card_on_board(window: MainWindow, order_id: str) -> bool:
    order = window.board.model.get(order_id)
    if order is None or order.status.value != "IN_KITCHEN":
        return False
    return window.board.view.card_center(order_id) is not None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.self_test:
        return self_test()
    settings = Settings(
        db_path=args.db.expanduser().resolve(),
        host=args.host,
        port=args.port,
        gateway_latency_seconds=args.gateway_latency,
        gateway_failure_rate=args.demo_failure_rate or 0.0,
        handlers_config=(
            None if args.handlers_config is None else args.handlers_config.expanduser().resolve()
        ),
        feed_memory=args.feed_memory,
    )
    if args.headless:
        return run_headless(settings, demo_settings(args), args.until_stdin_closes)
    return run_dashboard(settings, args.connect, args.token, headless_options(args))


if __name__ == "__main__":
    sys.exit(main())
