"""Prometheus metrics: what the API, the runner and the subscriptions record, and
``GET /metrics`` that serves them in Prometheus's text format.

Each :class:`Metrics` has its own ``CollectorRegistry``, not prometheus_client's global
one: a process may run several backends (the tests do), and each must count its own.
Recording is a counter and histogram update on children looked up once (1-3 µs). The
runner's backlog is read from the database when a scrape asks for it, on a reader
thread, so a scrape never runs a query on the loop.
"""

from __future__ import annotations

import hmac
import logging
import os
import sqlite3
import time
from collections.abc import AsyncGenerator, Callable, Iterable
from contextlib import aclosing
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.responses import PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from backend.auth import Role, Tokens
from backend.database import Database
from backend.errors import ErrorCode
from backend.registry import Registry
from backend.settings import METRICS_TOKEN_ENV
from backend.sql_blocks import SQL
from backend.states import DeliveryStatus

log = logging.getLogger(__name__)

# Without this, every counter and histogram also exposes a "_created" timestamp series,
# which doubles what is scraped and stored for nothing a dashboard shows. (Process-wide:
# nothing else in Passline uses prometheus_client.)
disable_created_metrics()  # type: ignore[no-untyped-call]  # (untyped upstream)

T = TypeVar("T")

METRICS_PATH = "/metrics"
# The classic text format, which every Prometheus reads (our names need no escaping).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# The API answers in milliseconds; a handler may wait seconds on an outside service.
REQUEST_BUCKETS_SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5)
DELIVERY_BUCKETS_SECONDS = (
    *(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5),
    *(1, 2.5, 5, 10, 30, 60),
)

OK = "OK"  # the outcome of a request without errors; otherwise its first error's code
NO_OPERATION = "none"  # the operation type of a request refused before it was run
OTHER_ERROR = "OTHER"  # an error code outside the contract (kept out of the labels)
# The contract's codes, and the masked errors' (backend/api/errors.py, INTERNAL_ERROR).
_ERROR_CODES = frozenset({*(code.value for code in ErrorCode), "INTERNAL_SERVER_ERROR"})
BACKLOG_STATUSES = (
    DeliveryStatus.PENDING,
    DeliveryStatus.RUNNING,
    DeliveryStatus.RETRYING,
    DeliveryStatus.DEAD,
)


def outcome_of(code: object) -> str:
    """A request outcome label for an error's ``extensions.code``: a bounded set."""
    return code if isinstance(code, str) and code in _ERROR_CODES else OTHER_ERROR


def metrics_token(given: str | None) -> str | None:
    """The token that reads /metrics besides the staff token: given (``--metrics-token``),
    else $PASSLINE_METRICS_TOKEN, else none."""
    return given or os.environ.get(METRICS_TOKEN_ENV) or None


@dataclass(frozen=True, slots=True)
class HandlerBacklog:
    handler: str
    counts: dict[DeliveryStatus, int]
    oldest_pending_seconds: float  # 0 when nothing waits
    paused: bool


def read_backlog(conn: sqlite3.Connection, registry: Registry) -> list[HandlerBacklog]:
    """On a reader: each handler's deliveries by status and the age of its oldest
    due one (the counts table and the due index: a few rows, whatever the history)."""
    counts: dict[str, dict[DeliveryStatus, int]] = {}
    for row in conn.execute(SQL.delivery_counts):
        counts.setdefault(row["handler"], {})[DeliveryStatus(row["status"])] = row["n"]
    paused = {row["name"] for row in conn.execute(SQL.paused_handlers)}
    now = time.time()
    backlog = []
    for definition in registry:
        oldest = conn.execute(SQL.oldest_due, {"handler": definition.name}).fetchone()[0]
        found = counts.get(definition.name, {})
        backlog.append(
            HandlerBacklog(
                handler=definition.name,
                counts={status: found.get(status, 0) for status in BACKLOG_STATUSES},
                oldest_pending_seconds=0.0 if oldest is None else max(0.0, now - oldest),
                paused=definition.name in paused,
            )
        )
    return backlog


class Backlog(Collector):
    """The runner's backlog as of the last :meth:`refresh` (the endpoint refreshes it
    before each scrape; ``collect`` is synchronous and must not query)."""

    def __init__(self) -> None:
        self.handlers: list[HandlerBacklog] = []

    async def refresh(self, db: Database, registry: Registry) -> None:
        self.handlers = await db.read(lambda conn: read_backlog(conn, registry))

    def collect(self) -> Iterable[Metric]:
        deliveries = GaugeMetricFamily(
            "passline_backlog_deliveries",
            "Deliveries not yet succeeded, by handler and status",
            labels=["handler", "status"],
        )
        oldest = GaugeMetricFamily(
            "passline_backlog_oldest_pending_seconds",
            "Age of the handler's oldest delivery that is due (0: none waits)",
            labels=["handler"],
        )
        paused = GaugeMetricFamily(
            "passline_handler_paused", "1 while staff have paused the handler", labels=["handler"]
        )
        for backlog in self.handlers:
            for status, count in backlog.counts.items():
                deliveries.add_metric([backlog.handler, status.value], count)
            oldest.add_metric([backlog.handler], backlog.oldest_pending_seconds)
            paused.add_metric([backlog.handler], 1.0 if backlog.paused else 0.0)
        return [deliveries, oldest, paused]


class Metrics:
    """The backend's metrics, in a registry of their own."""

    def __init__(self, *, process: bool = False) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if process:  # CPU, memory, open files of this process
            ProcessCollector(registry=self.registry)
        self.requests = Counter(
            "passline_graphql_requests",
            "GraphQL requests over HTTP, by operation type and outcome (OK or the error code)",
            ["operation_type", "outcome"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            "passline_graphql_request_duration_seconds",
            "Time to answer a GraphQL request over HTTP, by operation type",
            ["operation_type"],
            buckets=REQUEST_BUCKETS_SECONDS,
            registry=self.registry,
        )
        self.deliveries = Counter(
            "passline_deliveries",
            "Delivery attempts that ended, by handler and outcome",
            ["handler", "outcome"],
            registry=self.registry,
        )
        self.delivery_seconds = Histogram(
            "passline_delivery_duration_seconds",
            "Time a handler took on one delivery attempt",
            ["handler"],
            buckets=DELIVERY_BUCKETS_SECONDS,
            registry=self.registry,
        )
        self.subscriptions = Gauge(
            "passline_subscriptions_active",
            "Subscriptions being served, by root field",
            ["field"],
            registry=self.registry,
        )
        self.subscription_events = Counter(
            "passline_subscription_events",
            "Messages sent to subscribers, by root field",
            ["field"],
            registry=self.registry,
        )
        self.websockets = Gauge(
            "passline_websocket_connections_active",
            "WebSocket connections open on /graphql",
            registry=self.registry,
        )
        self.backlog = Backlog()
        self.registry.register(self.backlog)
        # Children by label values: labels() validates and locks on every call.
        self._requests: dict[tuple[str, str], Any] = {}
        self._request_seconds: dict[str, Any] = {}
        self._deliveries: dict[tuple[str, str], Any] = {}
        self._delivery_seconds: dict[str, Any] = {}

    def request(self, operation_type: str, outcome: str, seconds: float) -> None:
        """One GraphQL request over HTTP answered."""
        key = (operation_type, outcome)
        counter = self._requests.get(key)
        if counter is None:
            counter = self._requests[key] = self.requests.labels(*key)
        counter.inc()
        histogram = self._request_seconds.get(operation_type)
        if histogram is None:
            histogram = self._request_seconds[operation_type] = self.request_seconds.labels(
                operation_type
            )
        histogram.observe(seconds)

    def attempt(self, handler: str, outcome: str, seconds: float) -> None:
        """One delivery attempt ended."""
        key = (handler, outcome)
        counter = self._deliveries.get(key)
        if counter is None:
            counter = self._deliveries[key] = self.deliveries.labels(*key)
        counter.inc()
        histogram = self._delivery_seconds.get(handler)
        if histogram is None:
            histogram = self._delivery_seconds[handler] = self.delivery_seconds.labels(handler)
        histogram.observe(seconds)

    async def subscription(
        self, field: str, source: AsyncGenerator[T, None]
    ) -> AsyncGenerator[T, None]:
        """``source``'s items, counted as one active subscription of ``field``."""
        active = self.subscriptions.labels(field)
        sent = self.subscription_events.labels(field)
        active.inc()
        try:
            # Closing this generator closes the source too, so its ``finally`` runs now.
            async with aclosing(source):
                async for item in source:
                    sent.inc()
                    yield item
        finally:
            active.dec()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def metered(
    resolver: Callable[..., AsyncGenerator[T, None]],
) -> Callable[..., AsyncGenerator[T, None]]:
    """Count a subscription resolver's active subscriptions and the items it sends.

    The wrapper keeps the resolver's signature (strawberry reads it for arguments)."""

    @wraps(resolver)
    async def wrapper(self: Any, info: Any, *args: Any, **kwargs: Any) -> AsyncGenerator[T, None]:
        metrics: Metrics = info.context.services.metrics
        source = resolver(self, info, *args, **kwargs)
        async with aclosing(metrics.subscription(info.field_name, source)) as items:
            async for item in items:
                yield item

    return wrapper


_HOW = (
    "send 'Authorization: Bearer <token>' with the staff token, or with the metrics token "
    f"set by --metrics-token or {METRICS_TOKEN_ENV}"
)


def _refusal(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return PlainTextResponse(message + "\n", status_code=status, headers=headers)


class MetricsEndpoint:
    """``GET /metrics`` for the staff token or the metrics token."""

    def __init__(
        self,
        metrics: Metrics,
        db: Database,
        registry: Registry,
        tokens: Tokens,
        token: str | None = None,
    ) -> None:
        self.metrics = metrics
        self.db = db
        self.registry = registry
        self.tokens = tokens
        self._token = None if token is None else token.encode()

    def _refused(self, scope: Scope) -> Response | None:
        if scope["method"] not in ("GET", "HEAD"):
            return _refusal(
                405,
                f"{METRICS_PATH} is read with GET, not {scope['method']}; scrape it with GET",
                {"Allow": "GET, HEAD"},
            )
        authorization = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
        challenge = {"WWW-Authenticate": 'Bearer realm="passline metrics"'}
        if not authorization:
            return _refusal(401, f"{METRICS_PATH} needs a token: {_HOW}", challenge)
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token:
            if self._token is not None and hmac.compare_digest(token.encode(), self._token):
                return None
            if self.tokens.principal(authorization).role is Role.STAFF:
                return None
        return _refusal(401, f"the token is not valid for {METRICS_PATH}: {_HOW}", challenge)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self._refused(scope)
        if response is None:
            try:
                await self.metrics.backlog.refresh(self.db, self.registry)
            except Exception:
                # The other figures still help; the backlog's are the last ones read.
                log.exception("could not read the runner's backlog for %s", METRICS_PATH)
            response = Response(self.metrics.exposition(), media_type=CONTENT_TYPE)
        await response(scope, receive, send)
