"""The :class:`Backend`: database, notifier and server on their own loop and thread.

Tests and ``--headless`` start the backend this way, so that load on the API never
blocks whoever started it. The dashboard runs ``--headless`` as a child process
(backend/child.py): a thread shares the GIL, which the Qt thread cannot afford.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from backend import events, menu
from backend.api.context import Services
from backend.api.schema import build_schema
from backend.api.streams import Streams
from backend.auth import Tokens, staff_token
from backend.backup_scheduler import BackupScheduler
from backend.database import Database, Tx
from backend.delivery_commands import DeliveryCommands
from backend.heap import HeapTrimmer
from backend.inprocess import InProcessGraphQL
from backend.metrics import Metrics, metrics_token
from backend.notifier import Notifier
from backend.rate_limit import RateLimiter
from backend.registry import Registry
from backend.runner import Runner
from backend.server import Server, build_app
from backend.settings import (
    PUBLIC_ORDER_WINDOW_SECONDS,
    SHUTDOWN_GRACE_SECONDS,
    Settings,
    resource_path,
)
from backend.sql_blocks import SQL
from backend.webhooks import WebhookClient, load_webhooks
from handlers.sdk.adapters import Adapters

log = logging.getLogger(__name__)

T = TypeVar("T")

START_TIMEOUT_SECONDS = 30.0
_SECRET_KEY = "customer_token_secret"


def _first_run(tx: Tx) -> str:
    """Seed the menu and the customer-token secret into a new database; return the secret."""
    secret = tx.scalar(SQL.get_meta, {"key": _SECRET_KEY})
    if secret is None:
        secret = secrets.token_hex(32)
        tx.execute(SQL.put_meta, {"key": _SECRET_KEY, "value": secret})
    menu.seed(tx, resource_path("menu.json"))
    value: str = secret
    return value


# Young collections this far apart let the API's per-request garbage die young
# instead of being promoted, and so walked again, by older collections.
YOUNG_GC_THRESHOLD = 50_000
# A generation-1 collection every this many young ones. It walks all that survived
# them: with 20, up to a million objects at once when 10,000 subscribers had just
# connected, a 0.9 s stall (bench/RESULTS.md, issue 16). Each survivor is walked
# there once either way; more often, each walk is a tenth as long.
MIDDLE_GC_THRESHOLD = 2
# A full collection at most every this many middle ones: the same 400 young
# collections apart as with (20, 20) (CPython also waits until a quarter of the old
# heap is new), since one walks the whole heap: 1-3 s with 10,000 subscribers.
OLD_GC_THRESHOLD = 200


def tune_collector() -> None:
    """For a process that serves the backend (``--headless``, the dashboard's child),
    once it has started: the start-up heap (schema, modules: ~60,000 objects) is
    moved out of the collector's sight, so that a full collection, ~50 ms of
    stalled loop on this CPU, no longer walks it; young collections come less
    often, and the middle generation is collected while it is still small. Garbage
    made while serving is collected as before, and besides, the young generations
    every few seconds (heap.collect_young: the counts alone let them grow)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD, MIDDLE_GC_THRESHOLD, OLD_GC_THRESHOLD)


def new_event_loop() -> asyncio.AbstractEventLoop:
    """The backend's loop: uvloop's where it is installed (Linux, macOS), else asyncio's.

    uvloop runs the loop, its sockets and timers in C: at the rush of issue 16 the
    backend took 41 % of a core instead of 43-44 %, and each connection's transport
    is no longer a Python reference cycle left for the collector (whose pauses are
    the screens' slowest moments) when it closes (bench/RESULTS.md).
    """
    try:
        import uvloop
    except ImportError:  # Windows: no uvloop
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


class Backend:
    """Start with :meth:`start` (returns once serving), stop with :meth:`stop`."""

    def __init__(self, settings: Settings, *, registry: Registry, adapters: Adapters) -> None:
        """``registry`` and ``adapters``: the handlers to run and the external services
        they are given, as the composition root (``main.restaurant_backend``) picked them."""
        self.settings = settings
        self.registry = registry
        self.webhooks: WebhookClient | None = None
        if settings.handlers_config is not None:
            self.webhooks = WebhookClient()
            extra = load_webhooks(settings.handlers_config, self.webhooks, taken=self.registry)
            self.registry = self.registry.with_extra(extra)
        self.db = Database(settings.db_path, subscribers=self.registry.subscribers)
        # Before the staff-token file and the sandbox folder are made beside it: a file
        # that is refused must be left as it was found, and its folder too.
        self.db.check()
        self.staff_token = staff_token(settings.db_path, settings.staff_token)
        self.metrics_token = metrics_token(settings.metrics_token)
        # This backend's own registry: a process may run several backends (the tests do).
        self.metrics = Metrics(process=True)
        self.loop = new_event_loop()
        self.notifier: Notifier | None = None
        self.services: Services | None = None
        self.server: Server | None = None
        self.heap = HeapTrimmer()
        self.runner: Runner | None = None
        self.delivery_commands: DeliveryCommands | None = None
        self.backups = BackupScheduler(self.db, settings.backup_folder)
        self.adapters = adapters
        self._thread = threading.Thread(target=self._run, name="passline-backend", daemon=True)
        self._started: Future[None] = Future()
        self._stopped: asyncio.Event | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, "the backend is not started"
        return self.server.url

    def start(self) -> None:
        """Open the database and start serving; raise what prevented it."""
        self._thread.start()
        self._started.result(timeout=START_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """Stop serving, finish what is committed, close the database, end the thread."""
        if self._stopped is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stopped.set)
        if self._thread.is_alive():
            self._thread.join()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run a coroutine on the backend's loop from another thread and wait for it."""
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._main())
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    async def _main(self) -> None:
        self._stopped = asyncio.Event()
        try:
            await self._open()
        except BaseException as exc:
            # Whatever had started stops in order: no task is left pending on the loop.
            try:
                await self._close()
            except Exception as also:  # the reason to report is the first one
                log.warning("closing after a failed start failed as well: %s", also)
            self._started.set_exception(exc)
            return
        self._started.set_result(None)
        await self._stopped.wait()
        await self._close()

    async def _open(self) -> None:
        await self.db.open()
        secret = await self.db.write(_first_run)
        last_seq, last_cursor = await self.db.read(
            lambda conn: (events.last_seq(conn), events.last_log_cursor(conn))
        )
        self.notifier = Notifier(
            last_seq=last_seq,
            last_cursor=last_cursor,
            memory=self.settings.feed_memory,
            memory_bytes=self.settings.feed_memory_bytes,
        )
        self.db.on_commit = self.notifier.on_commit
        self.delivery_commands = DeliveryCommands(self.db, self.notifier, self.registry)
        self.services = Services(
            db=self.db,
            notifier=self.notifier,
            tokens=Tokens(self.staff_token, bytes.fromhex(secret)),
            registry=self.registry,
            delivery_commands=self.delivery_commands,
            backups=self.backups,
            phone_region=self.settings.phone_region,
            metrics=self.metrics,
            public_orders=(
                RateLimiter(self.settings.public_orders_per_window, PUBLIC_ORDER_WINDOW_SECONDS)
                if self.settings.public_orders_per_window > 0
                else None
            ),
            streams=(
                Streams(self.settings.subscriber_backlog)
                if self.settings.shared_subscriptions
                else None
            ),
        )
        self.schema = build_schema(loop_budget_seconds=self.settings.loop_budget_seconds)
        # The handlers call the API in-process; the API's staff commands reach the
        # runner through delivery_commands, which the runner listens to.
        graphql = InProcessGraphQL(build_schema(trusted=True), self.services)
        self.runner = Runner(
            self.db,
            self.notifier,
            self.registry,
            self.delivery_commands,
            graphql,
            self.adapters,
            metrics=self.metrics,
        )
        await self.runner.start()
        app = build_app(
            self.services, self.schema, self.settings.allowed_origins, self.metrics_token
        )
        self.server = Server(app, self.settings.host, self.settings.port)
        await self.server.start()
        await self.backups.start()
        self.heap.start()
        log.info("serving %s on %s", self.settings.db_path, self.server.url)

    async def _close(self) -> None:
        await self.heap.stop()
        if self.server is not None:
            await self.server.stop()
        if self.runner is not None:
            await self.runner.stop(SHUTDOWN_GRACE_SECONDS)
        if self.webhooks is not None:
            await self.webhooks.aclose()
        # Once nothing writes any more: the shutdown backup has the last state.
        await self.backups.stop()
        await self.db.close()
