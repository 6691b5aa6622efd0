"""Passline: the restaurant's operator console and its embedded backend.

python main.py --headless       the backend only; prints "listening on URL" when ready
python main.py                  the dashboard with its embedded backend
python main.py --connect URL    the dashboard against a backend elsewhere
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from backend.errors import StorageError
from backend.settings import DEFAULT_HOST, DEFAULT_PORT, Settings, default_data_dir


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
        "--log-level", default="WARNING", help="logging level (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is out of range; use 0 to 65535 (0 = any free port)")
    return args


def run_headless(settings: Settings) -> int:
    from backend.embedded import Backend

    backend = Backend(settings)
    try:
        backend.start()
    except (StorageError, OSError) as exc:
        print(f"passline: cannot start: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"listening on {backend.url}", flush=True)
    print(f"database {settings.db_path}", flush=True)
    stop.wait()
    backend.stop()
    print("stopped", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings(db_path=args.db.expanduser().resolve(), host=args.host, port=args.port)
    if args.headless:
        return run_headless(settings)
    print(
        "passline: the dashboard is not built yet; serving the backend headless instead",
        file=sys.stderr,
    )
    return run_headless(settings)


if __name__ == "__main__":
    sys.exit(main())
