"""Passline: the restaurant's operator console and its embedded backend.

python main.py --headless       the backend only; prints "listening on URL" when ready
python main.py                  the dashboard with its embedded backend
python main.py --connect URL    the dashboard against a backend elsewhere
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from backend.demo import (
    DEFAULT_ORDERS_PER_MINUTE,
    MAX_ORDERS_PER_MINUTE,
    Demo,
    DemoSettings,
    DemoThread,
)
from backend.errors import HandlersConfigError, StorageError
from backend.settings import DEFAULT_HOST, DEFAULT_PORT, Settings, default_data_dir

if TYPE_CHECKING:
    from backend.embedded import Backend


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="passline", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--headless", action="store_true", help="run the backend only, no window")
    mode.add_argument("--connect", metavar="URL", help="open the dashboard against this backend")
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
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is out of range; use 0 to 65535 (0 = any free port)")
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


def run_headless(settings: Settings, demo: DemoSettings | None = None) -> int:
    from backend.embedded import Backend

    try:
        backend = Backend(settings)
        backend.start()
    except (StorageError, HandlersConfigError, OSError) as exc:
        print(f"passline: cannot start: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
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


def run_dashboard(
    settings: Settings,
    connect: str | None,
    token: str | None,
    demo: DemoSettings | None = None,
) -> int:
    """The window, against ``connect`` or against an embedded backend started here."""
    from ui.app import DashboardConfig, run

    install_excepthook()
    if connect is not None:
        url = graphql_url(connect)
        token = token or os.environ.get("PASSLINE_STAFF_TOKEN")
        return run(DashboardConfig(url, token, f"Remote backend · {url}"))

    started: list[Backend] = []
    demo_thread: list[DemoThread] = []

    def start_backend() -> tuple[str, str | None]:
        # Runs on a worker thread once the window is up (see DashboardConfig).
        from backend.embedded import Backend

        try:
            backend = Backend(settings)
            backend.start()
        except (StorageError, HandlersConfigError, OSError) as exc:
            raise RuntimeError(str(exc)) from exc
        started.append(backend)
        if demo is not None:
            demo_thread.append(DemoThread(Demo(backend.url, backend.staff_token, demo)))
            demo_thread[0].start()
        return backend.url, backend.staff_token

    try:
        label = f"Embedded backend · {settings.db_path}"
        return run(DashboardConfig("", None, label, start_backend=start_backend))
    finally:
        for thread in demo_thread:
            thread.stop()
        for backend in started:
            backend.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings(
        db_path=args.db.expanduser().resolve(),
        host=args.host,
        port=args.port,
        gateway_latency_seconds=args.gateway_latency,
        gateway_failure_rate=args.demo_failure_rate or 0.0,
        handlers_config=(
            None if args.handlers_config is None else args.handlers_config.expanduser().resolve()
        ),
    )
    if args.headless:
        return run_headless(settings, demo_settings(args))
    return run_dashboard(settings, args.connect, args.token, demo_settings(args))


if __name__ == "__main__":
    sys.exit(main())
