"""Passline: the restaurant's operator console and its embedded backend.

python main.py --headless       the backend only; prints "listening on URL" when ready
python main.py                  the dashboard with its embedded backend
python main.py --connect URL    the dashboard against a backend elsewhere
python main.py --self-test      checks this installation end to end on a temporary database
python main.py --restore FILE   puts a backup back in place of the database (--db)
python main.py --version        prints the version
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from backend import phones
from backend.errors import DISK_FULL_MESSAGE, HandlersConfigError, StorageError, StorageFull
from backend.settings import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    METRICS_TOKEN_ENV,
    PUBLIC_ORDERS_PER_WINDOW,
    Settings,
    default_data_dir,
    feed_memory_bytes_from_env,
    feed_memory_from_env,
    shared_subscriptions_from_env,
)
from backend.states import Station
from clients.demo import (
    DEFAULT_ORDERS_PER_MINUTE,
    MAX_ORDERS_PER_MINUTE,
    Demo,
    DemoSettings,
    DemoThread,
)

if TYPE_CHECKING:
    from backend.embedded import Backend
    from backend.registry import Registry
    from handlers.sdk.adapters import Adapters
    from ui.app import DashboardConfig

DATABASE_NAME = "passline.db"
# The demo's made-up orders, text messages and tickets stay in a folder of their own.
DEMO_FOLDER = "demo"
DEMO_DATABASE_NAME = "demo.db"
DEMO_TITLE = "Passline — demo (made-up orders, not the restaurant's)"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


# What --station takes: the expo's whole tickets, or one station's lines.
STATION_NAMES = ("expo", *(station.value.lower() for station in Station))


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


def _region(value: str) -> str:
    try:
        return phones.check_region(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


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
    mode.add_argument(
        "--restore",
        type=Path,
        metavar="FILE",
        help="put the backup FILE back in place of the database (--db); the database it "
        "replaces is kept beside it, renamed. Refused while a backend runs on the database",
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
        help=f"database file (default: {default_data_dir() / DATABASE_NAME}; "
        f"with --demo: {default_data_dir() / DEMO_FOLDER / DEMO_DATABASE_NAME})",
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
        "--phone-region",
        type=_region,
        default=phones.default_region(),
        metavar="CC",
        help="the country whose phone numbers may be given without their country code, "
        "e.g. GB or US (default: from the locale, %(default)s; none: numbers need +CC)",
    )
    parser.add_argument(
        "--gateway-latency",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="added latency of the sandbox payment gateway (default: %(default)s)",
    )
    parser.add_argument(
        "--gateway-decline-rate",
        type=float,
        default=0.0,
        metavar="FRACTION",
        help="share of card charges the sandbox payment gateway declines, 0 to 1 "
        "(default: %(default)s); with or without --demo",
    )
    parser.add_argument(
        "--public-order-limit",
        type=int,
        default=PUBLIC_ORDERS_PER_WINDOW,
        metavar="N",
        help="orders a minute one client address may place without the staff token, "
        "from the customer pages or a kiosk (default: %(default)s; 0: no limit; "
        "none with --demo)",
    )
    parser.add_argument(
        "--backup-dir",
        type=Path,
        metavar="PATH",
        help="folder for the hourly backups (default: 'backups' beside the database)",
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
        "--metrics-token",
        metavar="TOKEN",
        help="a token that reads GET /metrics (Prometheus) besides the staff token, so the "
        "monitoring system need not hold the staff token (default: $PASSLINE_METRICS_TOKEN)",
    )
    parser.add_argument(
        "--station",
        metavar="NAME",
        help="this dashboard is one station's screen: only its lines of each ticket, bumped "
        f"for the station ({', '.join(STATION_NAMES)}; default: the one last chosen in "
        "View ▸ Station, else expo, the whole tickets)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="simulated customers place orders and simulated staff move them along",
    )
    parser.add_argument(
        "--reset",
        action="store_true",
        help="with --demo: start the demo's own database afresh",
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
    if args.station is not None:
        if args.headless:
            parser.error("--station chooses what a dashboard shows; leave it out with --headless")
        name = args.station.strip().lower()
        if name not in STATION_NAMES:
            parser.error(
                f"--station {args.station} is not a station; use one of {', '.join(STATION_NAMES)}"
            )
        args.station = name
    if args.log_level.upper() not in LOG_LEVELS:
        parser.error(
            f"--log-level {args.log_level} is not a level; use one of {', '.join(LOG_LEVELS)}"
        )
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is out of range; use 0 to 65535 (0 = any free port)")
    try:
        args.feed_memory = feed_memory_from_env()
        args.feed_memory_bytes = feed_memory_bytes_from_env()
    except ValueError as exc:
        parser.error(str(exc))
    return args


def _check_demo_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if not args.demo and (args.demo_rate is not None or args.demo_failure_rate is not None):
        parser.error("--demo-rate and --demo-failure-rate only apply with --demo; add --demo")
    if args.demo and args.connect:
        parser.error("--demo drives the embedded backend; leave out --connect")
    if args.reset and not args.demo:
        parser.error("--reset starts the demo's database afresh; it goes with --demo")
    if args.reset and args.db is not None:
        parser.error("--reset only empties the demo's own database; leave out --db to reset it")
    real = default_data_dir() / DATABASE_NAME
    if args.demo and args.db is not None and args.db.expanduser().resolve() == real.resolve():
        parser.error(
            f"--demo would write made-up orders into the restaurant's database {real}; "
            "leave out --db (the demo has a database of its own) or give another file"
        )
    if args.demo_rate is not None and not 0 < args.demo_rate <= MAX_ORDERS_PER_MINUTE:
        parser.error(
            f"--demo-rate {args.demo_rate:g} is out of range; "
            f"use more than 0 and at most {MAX_ORDERS_PER_MINUTE:g} orders a minute"
        )
    if args.public_order_limit < 0:
        parser.error(
            f"--public-order-limit {args.public_order_limit} is out of range; "
            "use 0 (no limit) or more orders a minute"
        )
    if not 0 <= args.gateway_decline_rate <= 1:
        parser.error(
            f"--gateway-decline-rate {args.gateway_decline_rate:g} is out of range; "
            "use a fraction from 0 (no card declined) to 1 (every card declined)"
        )
    if args.demo_failure_rate is not None and not 0 <= args.demo_failure_rate <= 1:
        parser.error(
            f"--demo-failure-rate {args.demo_failure_rate:g} is out of range; "
            "use a fraction from 0 (no charge fails) to 1 (every charge fails)"
        )


def database_path(args: argparse.Namespace) -> Path:
    """``--db``, else the demo's own database with ``--demo``, else the restaurant's."""
    if args.db is not None:
        return Path(args.db).expanduser().resolve()
    if args.demo:
        return default_data_dir() / DEMO_FOLDER / DEMO_DATABASE_NAME
    return default_data_dir() / DATABASE_NAME


def reset_demo(db_path: Path) -> str | None:
    """``--demo --reset``: the demo's folder goes, with its database and sandbox files.
    None once done; while a demo runs on it, why not (and nothing is deleted)."""
    import shutil

    from backend.lockfile import LockFile

    if db_path.parent.name != DEMO_FOLDER or db_path.name != DEMO_DATABASE_NAME:
        return None
    if not db_path.parent.exists():
        return None
    # A running backend holds the database's lock (backend/lockfile.py); deleting its
    # database, WAL and token from under it would break it, as --restore knows.
    lock = LockFile(db_path)
    if not lock.acquire(exclusive=True):
        return (
            f"a demo is running on {db_path}; close its window (or stop it) first, "
            "then start again with --demo --reset"
        )
    with lock:
        shutil.rmtree(db_path.parent, ignore_errors=True)
    return None


def demo_settings(args: argparse.Namespace) -> DemoSettings | None:
    """What ``--demo`` asked for, or None without it."""
    if not args.demo:
        return None
    return DemoSettings(orders_per_minute=args.demo_rate or DEFAULT_ORDERS_PER_MINUTE)


def restaurant_registry() -> Registry:
    """The restaurant's handlers (handlers/pipeline.py), as a backend's registry."""
    from backend.registry import Registry
    from handlers import pipeline

    return Registry(pipeline.definitions())


def restaurant_backend(
    settings: Settings, registry: Registry | None = None, adapters: Adapters | None = None
) -> Backend:
    """The composition root: a backend (not started) that runs the restaurant's handlers
    with the restaurant's adapters, both as handlers/pipeline.py picks them.

    ``registry`` and ``adapters`` replace either (tests run their own handlers, or keep
    the sandboxes at hand). This is the one place that names both the backend and the
    restaurant's handlers: ``backend/`` imports only the handler SDK (pyproject.toml's
    import contracts). Imported here, not at the top, so that the dashboard's own
    process never loads the backend.
    """
    from backend.embedded import Backend
    from handlers import pipeline

    return Backend(
        settings,
        registry=restaurant_registry() if registry is None else registry,
        adapters=pipeline.adapters(
            settings.db_path.parent,
            gateway_failure_rate=settings.gateway_failure_rate,
            gateway_latency_seconds=settings.gateway_latency_seconds,
            gateway_decline_rate=settings.gateway_decline_rate,
        )
        if adapters is None
        else adapters,
    )


def run_headless(
    settings: Settings, demo: DemoSettings | None = None, until_stdin_closes: bool = False
) -> int:
    from backend.descriptors import raise_open_files_limit
    from backend.embedded import tune_collector

    # Each subscriber holds a descriptor: before the server accepts any.
    raised, line = raise_open_files_limit()
    logging.getLogger("passline").log(logging.INFO if raised else logging.WARNING, line)
    try:
        backend = restaurant_backend(settings)
        backend.start()
    except Exception as exc:
        # One line that says what to do; the traceback only for who asks for it.
        logging.getLogger("passline").debug("the backend did not start", exc_info=exc)
        print(f"passline: cannot start: {start_problem(exc, settings)}", file=sys.stderr)
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


def start_problem(exc: Exception, settings: Settings) -> str:
    """What stopped the backend from starting, and what to do about it."""
    folder = settings.db_path.parent
    if isinstance(exc, StorageFull) or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)
    ):
        return f"{DISK_FULL_MESSAGE} (the disk of {folder}): free space there, then start again"
    if isinstance(exc, StorageError | HandlersConfigError):
        return str(exc)  # these say what to do already
    if isinstance(exc, OSError):
        where = f" ({exc.filename})" if exc.filename else ""
        if exc.errno == errno.EADDRINUSE:
            return (
                f"{settings.host}:{settings.port} is already in use by another program: "
                "choose another --port (0 = any free port) or stop that program"
            )
        if exc.errno == errno.EADDRNOTAVAIL:
            return f"{settings.host} is not an address of this computer: choose another --host"
        return (
            f"{exc.strerror or exc}{where}: check that Passline may read and write "
            f"{folder} and the files in it, or choose another --db path"
        )
    return (
        f"unexpected {type(exc).__name__}: {exc}. Run again with --log-level DEBUG for "
        "the details, and report them"
    )


def _stop_at_eof(stop: threading.Event) -> None:
    while sys.stdin.buffer.read(4096):
        pass
    stop.set()


def run_restore(backup: Path, db_path: Path) -> int:
    """``--restore FILE``: exit 0 once restored, 2 with the reason when refused."""
    from datetime import UTC, datetime

    from backend.backups import BackupError, restore

    try:
        done = restore(backup.expanduser(), db_path, datetime.now(UTC))
    except BackupError as exc:
        print(f"passline: cannot restore: {exc} Nothing was changed.", file=sys.stderr)
        return 2
    print(f"restored {done.source} into {done.db_path}")
    if done.aside is not None:
        print(f"the database it replaced is kept as {done.aside}")
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


def headless_options(args: argparse.Namespace) -> list[str]:
    """The options the dashboard hands on to its embedded backend (``--headless``);
    secrets go in :func:`headless_environment`."""
    options = ["--host", args.host, "--port", str(args.port), "--log-level", args.log_level]
    options += ["--gateway-latency", repr(args.gateway_latency)]
    options += ["--gateway-decline-rate", repr(args.gateway_decline_rate)]
    if args.phone_region is not None:
        options += ["--phone-region", args.phone_region]
    if args.handlers_config is not None:
        options += ["--handlers-config", str(args.handlers_config.expanduser().resolve())]
    if args.backup_dir is not None:
        options += ["--backup-dir", str(args.backup_dir.expanduser().resolve())]
    if args.demo:
        options.append("--demo")
    if args.demo_rate is not None:
        options += ["--demo-rate", repr(args.demo_rate)]
    if args.demo_failure_rate is not None:
        options += ["--demo-failure-rate", repr(args.demo_failure_rate)]
    return options


def headless_environment(args: argparse.Namespace) -> dict[str, str]:
    """What the dashboard hands on to its embedded backend in the environment: secrets,
    which on a command line anyone on the machine could read (``ps``)."""
    if args.metrics_token is None:
        return {}
    return {METRICS_TOKEN_ENV: args.metrics_token}


def run_dashboard(
    settings: Settings,
    connect: str | None,
    token: str | None,
    options: list[str],
    *,
    environment: dict[str, str] | None = None,
    demo: bool = False,
    station: str | None = None,
) -> int:
    """The window, against ``connect`` or against an embedded backend started here
    as a child process with ``options`` and ``environment`` (see backend/child.py for
    why a process); ``station``: the one station it shows (None: as last chosen in the
    window)."""
    from ui import qt_libraries

    missing = qt_libraries.missing_libraries() if qt_libraries.uses_xcb() else []
    if missing:  # Qt would abort the process with a message naming no package
        print(qt_libraries.refusal(missing), file=sys.stderr)
        return qt_libraries.MISSING

    from backend.child import ChildBackend
    from ui.app import DashboardConfig, run

    install_excepthook()
    if connect is not None:
        url = graphql_url(connect)
        token = token or os.environ.get("PASSLINE_STAFF_TOKEN")
        return run(DashboardConfig(url, token, f"Remote backend · {url}", station=station))

    running = already_running(settings)
    if isinstance(running, str):
        print(f"passline: {running}", file=sys.stderr)
        return 2
    if running is not None:
        url, token = running
        print(f"passline: Passline is already running on {url}; opening a window on it")
        return run(window_on_running(url, token, demo=demo, station=station))

    # Started on a worker thread once the window is up (see DashboardConfig).
    child = ChildBackend(settings.db_path, options, environment)
    try:
        if demo:
            label = f"Demo database · {settings.db_path}"
            title = DEMO_TITLE
        else:
            label, title = f"Embedded backend · {settings.db_path}", "Passline"
        return run(
            DashboardConfig(
                "", None, label, start_backend=child.start, title=title, station=station
            )
        )
    finally:
        child.stop()


def window_on_running(url: str, token: str, *, demo: bool, station: str | None) -> DashboardConfig:
    """A second window on the backend already running on this database: with ``demo``
    (that database is the demo's, or the probe would have refused) it says so, as the
    first window does."""
    from ui.app import DashboardConfig

    if demo:
        return DashboardConfig(
            url, token, f"Demo backend (running) · {url}", title=DEMO_TITLE, station=station
        )
    return DashboardConfig(url, token, f"Running backend · {url}", station=station)


def already_running(settings: Settings) -> tuple[str, str] | str | None:
    """What listens on the dashboard's address already: None (nothing: start the
    embedded backend), ``(url, token)`` (this database's Passline: open a window on
    it), or why this one cannot start there."""
    from backend.auth import existing_staff_token
    from clients import probe

    if settings.port == 0:
        return None
    return probe.already_running(
        settings.host,
        settings.port,
        graphql_url(f"{settings.host}:{settings.port}"),
        existing_staff_token(settings.db_path),
    )


def self_test() -> int:
    """``--self-test`` (clients/self_test.py): the embedded backend as the dashboard starts
    it (this program again, as a child), an order through the handlers over the API, the
    window showing it (ui/self_test.py). Exit status 0, or 1 with what failed on stderr."""
    from backend.child import ChildBackend
    from clients.self_test import run_self_test

    def backend_in(folder: Path) -> ChildBackend:
        return ChildBackend(folder / DATABASE_NAME, ["--host", DEFAULT_HOST, "--port", "0"])

    def check_window(url: str, token: str, order_id: str, mark: Callable[[str], None]) -> None:
        from ui.self_test import check_window

        check_window(url, token, order_id, mark)

    return run_self_test(version(), backend_in, check_window)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.self_test:
        return self_test()
    db_path = database_path(args)
    if args.restore is not None:
        return run_restore(args.restore, db_path)
    settings = Settings(
        db_path=database_path(args),
        host=args.host,
        port=args.port,
        gateway_latency_seconds=args.gateway_latency,
        gateway_failure_rate=args.demo_failure_rate or 0.0,
        gateway_decline_rate=args.gateway_decline_rate,
        handlers_config=(
            None if args.handlers_config is None else args.handlers_config.expanduser().resolve()
        ),
        backup_dir=None if args.backup_dir is None else args.backup_dir.expanduser().resolve(),
        phone_region=args.phone_region,
        metrics_token=args.metrics_token,
        feed_memory=args.feed_memory,
        feed_memory_bytes=args.feed_memory_bytes,
        # The demo's customers all order from this machine, faster than any one phone.
        public_orders_per_window=0 if args.demo else args.public_order_limit,
        shared_subscriptions=shared_subscriptions_from_env(),
    )
    if args.reset:
        refused = reset_demo(settings.db_path)
        if refused is not None:
            print(f"passline: cannot reset the demo: {refused}", file=sys.stderr)
            return 2
    if args.headless:
        return run_headless(settings, demo_settings(args), args.until_stdin_closes)
    return run_dashboard(
        settings,
        args.connect,
        args.token,
        headless_options(args),
        environment=headless_environment(args),
        demo=args.demo,
        station=args.station,
    )


if __name__ == "__main__":
    sys.exit(main())
