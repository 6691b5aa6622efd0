"""The ASGI application and the uvicorn server that serves it on the backend's loop."""

from __future__ import annotations

import asyncio
import logging
import socket
import uuid

import strawberry
import uvicorn
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend._strawberry import normalize_allowed_origins
from backend.api.context import Services
from backend.api.errors import INTERNAL_ERROR
from backend.api.view import GraphQLView, error_response
from backend.errors import ErrorCode
from backend.metrics import METRICS_PATH, MetricsEndpoint
from backend.settings import MAX_BODY_BYTES, SHUTDOWN_GRACE_SECONDS
from backend.web import CustomerPages, cross_origin

log = logging.getLogger(__name__)

GRAPHQL_PATH = "/graphql"

# A peer that vanished (its machine off, the network gone) is found by TCP keep-alive
# probes, which its kernel answers whatever its program is doing: first after this
# long idle, then every interval, given up after this many unanswered.
TCP_KEEPALIVE_IDLE_SECONDS = 30
TCP_KEEPALIVE_INTERVAL_SECONDS = 10
TCP_KEEPALIVE_PROBES = 3
# How long an idle HTTP connection is kept open for the client's next request. Longer
# than clients keep theirs (httpx: 5 s, uvicorn's default too): when the server closed
# first, a request sent on the connection as it closed failed with a ReadError (seen
# once in a rush, a staff member's completeOrder). nginx's default.
HTTP_KEEP_ALIVE_SECONDS = 75


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuses HTTP bodies over ``limit`` bytes, declared or streamed, with 413."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = error_response(
            413,
            f"the request body is over {self.limit // 1024} KiB; send a smaller document",
            ErrorCode.LIMIT_EXCEEDED,
        )
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await too_large(scope, receive, send)
                return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await too_large(scope, receive, send)


class InternalErrors:
    """An exception that escapes the app still gets a GraphQL-shaped 500 with an id.

    Every failure a client can cause is answered inside the app with a 4xx; this is
    for a fault of ours, which uvicorn would answer with a plain-text 500. The
    traceback goes to the log under the id the client sees.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except ClientDisconnect:
            # The caller went away before its body was whole (a till switched off, a
            # phone out of range): nobody to answer, and no fault of ours.
            log.debug(
                "client gone before its request was whole: %s %s", scope["method"], scope["path"]
            )
        except Exception:
            if started:  # too late for another answer; uvicorn ends the response
                raise
            error_id = uuid.uuid4().hex[:12]
            log.exception("internal error %s in %s %s", error_id, scope["method"], scope["path"])
            message = f"internal error (id {error_id}); the details are in the server log"
            response = error_response(500, message, INTERNAL_ERROR, id=error_id)
            await response(scope, receive, send)


class Router:
    """``/graphql`` for the API and GraphiQL, ``/metrics`` for Prometheus, the customer
    pages (backend/web.py) at ``/``, ``/order``, ``/orders/<id>``, ``/kiosk``, ``/pickup``
    and their files under ``/web/``; anything else is a 404.

    A browser's HTTP request to the API from a page of another origin (not in
    ``allowed_origins``) is refused with 403, as strawberry refuses its WebSocket.
    """

    def __init__(
        self,
        graphql: ASGIApp,
        metrics: ASGIApp | None = None,
        pages: CustomerPages | None = None,
        allowed_origins: tuple[str, ...] = (),
    ) -> None:
        self.graphql = graphql
        self.metrics = metrics
        self.pages = pages
        self.allowed_origins = normalize_allowed_origins(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            return
        path = scope["path"].rstrip("/")
        if path == GRAPHQL_PATH:
            if scope["type"] == "http" and cross_origin(scope, self.allowed_origins):
                response = error_response(
                    403,
                    "a web page of another origin may not use this API; open the "
                    "customer pages from this backend's own address",
                    ErrorCode.FORBIDDEN,
                )
                await response(scope, receive, send)
                return
            await self.graphql(scope, receive, send)
        elif path == METRICS_PATH and self.metrics is not None and scope["type"] == "http":
            await self.metrics(scope, receive, send)
        elif self.pages is not None and scope["type"] == "http" and self.pages.serves(path):
            await self.pages(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
        else:
            response = error_response(
                404, f"nothing here; the API is at {GRAPHQL_PATH}", ErrorCode.NOT_FOUND
            )
            await response(scope, receive, send)


def build_app(
    services: Services,
    schema: strawberry.Schema,
    allowed_origins: tuple[str, ...] = (),
    metrics_token: str | None = None,
) -> ASGIApp:
    """The backend's HTTP and WebSocket app; ``metrics_token`` reads /metrics besides
    the staff token."""
    endpoint = MetricsEndpoint(
        services.metrics, services.db, services.registry, services.tokens, metrics_token
    )
    view = GraphQLView(services, schema, allowed_origins)
    return InternalErrors(BodyLimit(Router(view, endpoint, CustomerPages(), allowed_origins)))


class Server:
    """uvicorn on a socket bound up front, so the port (also an ephemeral one) is known."""

    def __init__(self, app: ASGIApp, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say so, and
        # without it a keep-alive connection waits ~40 ms on every response.
        self.socket = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            _keep_alive(self.socket)  # accepted connections inherit it
            self.socket.bind((host, port))
            self.socket.listen(1024)
        except OSError:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.host = host
        self.port: int = self.socket.getsockname()[1]
        config = uvicorn.Config(
            app,
            http="httptools",
            ws="websockets-sansio",
            ws_max_size=1024 * 1024,
            # No WebSocket keep-alive pings (issue 11.3). A ping queues behind what was
            # sent before it, so a subscriber that reads slower than events come in
            # answers it only once it has read its backlog: uvicorn took it for dead
            # after 20 s and cut it mid-feed. A live reader is never cut for being
            # behind; a vanished one is found by TCP keep-alive (_keep_alive), and a
            # stalled one costs one parked subscription and a bounded send buffer.
            ws_ping_interval=None,
            # No permessage-deflate (uvicorn offers it by default). It compressed every
            # message again for each socket, the same text for every subscriber of a
            # shared stream: a quarter of the loop's time in a fan-out to 1,000, and
            # zlib state in every connection, to save bytes on the loopback or a LAN.
            ws_per_message_deflate=False,
            timeout_keep_alive=HTTP_KEEP_ALIVE_SECONDS,
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=int(SHUTDOWN_GRACE_SECONDS),
            backlog=1024,
        )
        self._server = uvicorn.Server(config)
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{GRAPHQL_PATH}"

    async def start(self) -> None:
        self._task = asyncio.create_task(self._server.serve(sockets=[self.socket]))
        while not self._server.started:
            if self._task.done():
                await self._task  # raises what stopped it
                raise RuntimeError("the server stopped while starting")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        self._server.should_exit = True
        if self._task is not None:
            await self._task
            self._task = None
        self.socket.close()


def _keep_alive(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    # Not every platform lets a program choose the timings; where not, the system's.
    for name, value in (
        ("TCP_KEEPIDLE", TCP_KEEPALIVE_IDLE_SECONDS),
        ("TCP_KEEPINTVL", TCP_KEEPALIVE_INTERVAL_SECONDS),
        ("TCP_KEEPCNT", TCP_KEEPALIVE_PROBES),
    ):
        option = getattr(socket, name, None)
        if option is not None:
            sock.setsockopt(socket.IPPROTO_TCP, option, value)
