"""Defaults with their units, and the one settings object built from the command line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8787

MAX_BODY_BYTES = 1024 * 1024
# Characters of a GraphQL document (data goes in variables): parsing is Python code
# a character at a time, up to 0.8 s a megabyte here; this much parses in under 50 ms.
MAX_DOCUMENT_CHARS = 64 * 1024
MAX_QUERY_DEPTH = 10
MAX_QUERY_TOKENS = 2_000
MAX_QUERY_ALIASES = 30
# Fields of one operation with its fragments expanded (each spread counts its fragment
# again): no more than the token limit lets a client write out by hand.
MAX_QUERY_FIELDS = 2_000
# Time one request may hold the event loop (parse, validation, and the Python that
# resolves its fields), in seconds of the loop thread's CPU time, garbage collections
# left out (api/limits.py); past it: LIMIT_EXCEEDED.
REQUEST_LOOP_BUDGET_SECONDS = 1.0
# Parsed and validated documents kept for requests that repeat them, bounded in bytes
# (an estimate of the syntax tree's size) and by the size of one document: a large
# document is parsed each time rather than held.
DOCUMENT_CACHE_BYTES = 8 * 1024 * 1024
DOCUMENT_CACHE_MAX_CHARS = 16 * 1024
# Freed memory is handed back to the system (backend/heap.py) when RSS is this much
# above the least it has been: checked this often (each check collects the young
# generations too), and retried after this many checks when the last trim did not
# bring it down.
HEAP_TRIM_GROWTH_BYTES = 32 * 1024 * 1024
HEAP_TRIM_SECONDS = 2.0
HEAP_RETRIM_CHECKS = 5
# Retries that give nothing back come twice as far apart each time, up to this (~4 min).
HEAP_RETRIM_MAX_CHECKS = 128
MAX_STRING_CHARS = 500
MAX_ORDER_LINES = 50
MIN_QUANTITY = 1
MAX_QUANTITY = 99
MAX_PAGE = 500
# Table numbers a DINE_IN order may carry (orders.table_number's CHECK says the same).
MAX_TABLE = 999
# A menu item's prep time (menu_items.prep_seconds's CHECK says the same): 1 s to 2 h.
MIN_PREP_SECONDS = 1
MAX_PREP_SECONDS = 2 * 60 * 60
# Modifiers one order line may name (the seed's largest item offers 8).
MAX_LINE_MODIFIERS = 20

# How many committed events and log entries subscribers can catch up on from memory
# before they read the database instead (a reader further behind reads it page by page).
FEED_MEMORY = 10_000
# And at most this much memory per feed, whichever comes first, as estimated from each
# event's stored size (notifier.event_size): a usual event holds ~3.6 KB, a full order
# (50 lines with 500-character notes) ~44 KB, so 10,000 of those held ~450 MB. This
# keeps ~2,300 usual events (10 s of the issue's 200-client rush) or ~180 full orders'.
FEED_MEMORY_BYTES = 8 * 1024 * 1024
# Shared subscription results one subscriber may leave unsent before it is closed with
# FELL_BEHIND_CLOSE_CODE (api/streams.py): a reader that stopped costs the others nothing.
SUBSCRIBER_BACKLOG = 1_000
FELL_BEHIND_CLOSE_CODE = 4413
# Hidden, for tests and load reproductions: a smaller feed memory makes every lagging
# subscriber take the database path (``PASSLINE_FEED_MEMORY=50 main.py --headless``).
FEED_MEMORY_ENV = "PASSLINE_FEED_MEMORY"
FEED_MEMORY_BYTES_ENV = "PASSLINE_FEED_MEMORY_BYTES"
METRICS_TOKEN_ENV = "PASSLINE_METRICS_TOKEN"  # read /metrics besides the staff token
# Units of work committed together in one transaction at most (group commit).
MAX_UNITS_PER_COMMIT = 256

WS_CONNECTION_INIT_SECONDS = 10.0

# placeOrder without the staff token, per client address (LIMIT_EXCEEDED past it), so a
# script on the restaurant's network cannot flood the kitchen.
PUBLIC_ORDERS_PER_WINDOW = 10
PUBLIC_ORDER_WINDOW_SECONDS = 60.0
SHUTDOWN_GRACE_SECONDS = 5.0

# Backups (backend/backups.py): one an hour and one at a clean shutdown; hourly copies
# are kept two days, one a day a month.
BACKUP_INTERVAL_SECONDS = 3600.0
BACKUP_HOURLY_KEEP_SECONDS = 48 * 3600.0
BACKUP_DAILY_KEEP_SECONDS = 30 * 24 * 3600.0
# Pages copied per step of SQLite's online backup (4 KiB each): the snapshot is held
# across steps, so the size of a step only bounds how long one call holds the GIL.
BACKUP_PAGES_PER_STEP = 1024
BACKUP_FOLDER_NAME = "backups"  # the default folder, beside the database


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the backend needs to start, from the command line or a test."""

    db_path: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    staff_token: str | None = None  # None: PASSLINE_STAFF_TOKEN or the staff-token file
    allowed_origins: tuple[str, ...] = ()
    # The sandbox payment gateway: share of charges that fail, and added latency;
    # share of charges declined (on top of the failures, no gateway errors).
    gateway_failure_rate: float = 0.0
    gateway_latency_seconds: float = 0.0
    gateway_decline_rate: float = 0.0
    # A TOML file declaring extra handlers as HTTP endpoints (backend/webhooks.py).
    handlers_config: Path | None = None
    # Phone numbers without a country code are read as of this region (ISO 3166 code).
    phone_region: str | None = None
    # Where backups go; None: a ``backups`` folder beside the database.
    backup_dir: Path | None = None
    # Reads GET /metrics besides the staff token (None: $PASSLINE_METRICS_TOKEN or none).
    metrics_token: str | None = None
    # Items each feed keeps in memory for subscribers (see FEED_MEMORY).
    feed_memory: int = FEED_MEMORY
    feed_memory_bytes: int = FEED_MEMORY_BYTES
    # Time one request may hold the event loop (REQUEST_LOOP_BUDGET_SECONDS).
    loop_budget_seconds: float = REQUEST_LOOP_BUDGET_SECONDS
    # placeOrder without the staff token, per client address and minute (0: no limit;
    # --demo's customers all come from this machine).
    public_orders_per_window: int = PUBLIC_ORDERS_PER_WINDOW
    # Subscriptions alike share one execution (api/streams.py); False: each its own
    # (``PASSLINE_SHARED_SUBSCRIPTIONS=0``, to compare in bench.fanout).
    shared_subscriptions: bool = True
    subscriber_backlog: int = SUBSCRIBER_BACKLOG

    @property
    def backup_folder(self) -> Path:
        return self.backup_dir or self.db_path.parent / BACKUP_FOLDER_NAME


def feed_memory_from_env() -> int:
    """:data:`FEED_MEMORY`, or the positive count in ``$PASSLINE_FEED_MEMORY``."""
    return _positive_from_env(FEED_MEMORY_ENV, FEED_MEMORY)


def feed_memory_bytes_from_env() -> int:
    """:data:`FEED_MEMORY_BYTES`, or the positive count in ``$PASSLINE_FEED_MEMORY_BYTES``."""
    return _positive_from_env(FEED_MEMORY_BYTES_ENV, FEED_MEMORY_BYTES)


def _positive_from_env(name: str, default: int) -> int:
    import os

    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a positive whole number, not {value!r}")
    return int(value)


def resource_path(name: str) -> Path:
    """A file in ``resources/`` (beside the packages, or inside the bundle)."""
    import sys

    root = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return root / "resources" / name


def default_data_dir() -> Path:
    """The user's data folder for Passline (XDG on Linux)."""
    import os
    import sys

    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "passline"


SHARED_SUBSCRIPTIONS_ENV = "PASSLINE_SHARED_SUBSCRIPTIONS"


def shared_subscriptions_from_env() -> bool:
    """Whether subscriptions alike share an execution: yes unless the variable is 0."""
    import os

    return os.environ.get(SHARED_SUBSCRIPTIONS_ENV, "").strip() != "0"
