"""A client that stays connected: HTTP for queries and mutations, one WebSocket for every
subscription, reopened by itself with backoff when it drops.

On every (re)connect each live subscription asks its owner for its current cursor
(``variables()``) and subscribes again from there, so a drop loses no change and repeats
none. A backend can also stop answering without dropping the connection (frozen, or
swapping itself to death): the client pings it over the protocol every couple of seconds
and says ``unresponsive`` when no pong comes back in time, ``connected`` again as soon as
one does.

Plain asyncio: the dashboard wraps it for Qt (``ui/client.py``), the demo's kitchen
follows the orders with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any, Literal

import httpx
from websockets.exceptions import ConnectionClosed, WebSocketException

from clients.graphql import (
    ACK_TIMEOUT_SECONDS,
    OPEN_TIMEOUT_SECONDS,
    REQUEST_TIMEOUT_SECONDS,
    ClientMessage,
    Connection,
    GraphQLError,
    HttpApi,
    ProtocolError,
    Subscribe,
    describe,
    subscribe_message,
)
from clients.reconnect import ReconnectBackoff

log = logging.getLogger(__name__)

CLOSE_GRACE_SECONDS = 2.0
PING_INTERVAL_SECONDS = 2.0
PONG_TIMEOUT_SECONDS = 3.0  # no pong this long after a ping: "Not responding"
BUSY_AFTER_SECONDS = 0.3  # a request out longer than this counts as busy
# The server's close codes that another try cannot fix (graphql-transport-ws).
FINAL_CLOSE_CODES = {4401: "the backend refused the staff token", 4403: "access forbidden"}

ConnectionState = Literal["connecting", "connected", "unresponsive", "reconnecting", "offline"]
Variables = dict[str, Any]
VariablesSource = Callable[[], Variables]  # asked on every (re)connect: the cursor now
DataSink = Callable[[dict[str, Any]], None]


def _ignore(value: Any) -> None:
    pass


class Subscription:
    """One live subscription of a :class:`LiveClient`; :meth:`cancel` ends it."""

    def __init__(
        self,
        client: LiveClient,
        op_id: str,
        query: str,
        variables: VariablesSource,
        on_data: DataSink,
    ) -> None:
        self._client = client
        self.id = op_id
        self.query = query
        self.variables = variables
        self.on_data = on_data
        self.active = True

    def cancel(self) -> None:
        if self.active:
            self.active = False
            self._client._forget(self)

    def message(self) -> Subscribe:
        return subscribe_message(self.id, self.query, self.variables())


class LiveClient:
    """Owns the HTTP client, the WebSocket and its subscriptions, on one event loop.

    ``on_state`` hears where the WebSocket stands, only when that changes:
    ``connecting`` (the first try), ``connected``, ``unresponsive`` (connected, but the
    backend has not answered a ping for ``PONG_TIMEOUT_SECONDS``), ``reconnecting`` (it
    dropped or cannot be reached; the client keeps trying, with backoff) and ``offline``
    (closed, or the backend refused the token: trying again would not help).
    :meth:`execute` needs no WebSocket and works, or fails with a GraphQLError, in any
    of them. ``on_busy(True)`` says a request has been out for ``BUSY_AFTER_SECONDS``;
    ``on_busy(False)``, that none is out any more.
    """

    def __init__(
        self,
        url: str,
        token: str | None,
        *,
        on_state: Callable[[ConnectionState], None] = _ignore,
        on_busy: Callable[[bool], None] = _ignore,
    ) -> None:
        self.url = url
        self.token = token
        self.on_state = on_state
        self.on_busy = on_busy
        self.backoff = ReconnectBackoff()
        self.last_error: str | None = None  # why the WebSocket last failed, in words
        self._state: ConnectionState = "offline"
        self._api: HttpApi | None = None
        self._connection: Connection | None = None
        self._subscriptions: dict[str, Subscription] = {}
        self._ids = itertools.count(1)
        self._runner: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self._in_flight = 0
        self._requests: set[asyncio.Future[dict[str, Any]]] = set()
        self._closing = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._busy = False
        self._busy_timer: asyncio.TimerHandle | None = None
        self._pong = asyncio.Event()

    # -- lifecycle --------------------------------------------------------------------

    @property
    def state(self) -> ConnectionState:
        return self._state

    @property
    def idle(self) -> bool:
        """No request is out."""
        return not self._in_flight

    @property
    def _open(self) -> bool:
        # Unresponsive is still open: what is sent now is read once the backend wakes.
        return self._connection is not None and self._state in ("connected", "unresponsive")

    def retarget(self, url: str, token: str | None) -> None:
        """Point a client that is not started yet elsewhere (an embedded backend's address
        is known only once it runs)."""
        if self._runner is not None:
            raise RuntimeError("retarget() is for a client that has not started")
        self.url, self.token = url, token

    async def start(self, request_timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        """Open the HTTP client and start (and keep) the WebSocket connection."""
        if self._runner is not None:
            return
        self._closing = False
        http = httpx.AsyncClient(timeout=request_timeout)
        self._api = HttpApi(http, self.url, self.token)
        self._set_state("connecting")
        self._runner = asyncio.ensure_future(self._run())

    async def close(self) -> None:
        """Stop reconnecting, close the WebSocket and the HTTP client (requests on their
        way get a moment to finish: a request cut off halfway helps neither end)."""
        self._closing = True  # no request starts now: one cut off as it connects is noise
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_GRACE_SECONDS):
                    await self._idle.wait()
        for request in list(self._requests):  # still waiting after the grace: cut off
            request.cancel()
        if self._requests:
            await asyncio.gather(*self._requests, return_exceptions=True)
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        for task in list(self._sends):
            task.cancel()
        if self._api is not None:
            await self._api.http.aclose()
            self._api = None
        self._set_state("offline")

    # -- queries and mutations ----------------------------------------------------------

    async def verify_staff(self, request_timeout: float = REQUEST_TIMEOUT_SECONDS) -> None:
        """Check the token is the backend's staff token (before :meth:`start`); raise
        :class:`GraphQLError` with the backend's reason when it is not."""
        async with httpx.AsyncClient(timeout=request_timeout) as http:
            await HttpApi(http, self.url, self.token).execute("{ handlers { name } }")

    async def execute(self, query: str, variables: Variables | None = None) -> dict[str, Any]:
        """Run a query or mutation over HTTP; its data, or :class:`GraphQLError`.

        A caller cancelled halfway (a panel closing with its window) leaves the request
        to finish on its own task, which :meth:`close` waits for: cancelled as it opens
        its connection, httpx's connect (anyio's happy eyeballs) drops a coroutine it
        never awaits, and Python says so on stderr at exit."""
        if self._api is None or self._closing:
            raise GraphQLError(
                "the client is not started" if self._api is None else "the client is closing"
            )
        request = asyncio.ensure_future(self._request(self._api, query, variables))
        self._requests.add(request)
        request.add_done_callback(self._request_done)
        return await asyncio.shield(request)

    def _request_done(self, request: asyncio.Future[dict[str, Any]]) -> None:
        self._requests.discard(request)
        if not request.cancelled():
            request.exception()  # retrieved: its caller may be gone, and it said so there

    async def _request(
        self, api: HttpApi, query: str, variables: Variables | None
    ) -> dict[str, Any]:
        self._in_flight += 1
        if self._in_flight == 1:
            self._idle.clear()
            self._busy_timer = asyncio.get_running_loop().call_later(
                BUSY_AFTER_SECONDS, self._set_busy, True
            )
        try:
            return await api.execute(query, variables)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
                if self._busy_timer is not None:
                    self._busy_timer.cancel()
                    self._busy_timer = None
                self._set_busy(False)

    # -- subscriptions --------------------------------------------------------------------

    def subscribe(
        self,
        query: str,
        variables: VariablesSource,
        on_data: DataSink,
    ) -> Subscription:
        """Follow ``query``; ``variables()`` is asked again on every (re)connect."""
        subscription = Subscription(self, str(next(self._ids)), query, variables, on_data)
        self._subscriptions[subscription.id] = subscription
        if self._open:
            self._send_soon(subscription.message())
        return subscription

    def _forget(self, subscription: Subscription) -> None:
        if self._subscriptions.pop(subscription.id, None) is None:
            return
        if self._open:
            self._send_soon({"id": subscription.id, "type": "complete"})

    def _send_soon(self, message: ClientMessage) -> None:
        connection = self._connection
        if connection is None:
            return
        task = asyncio.ensure_future(self._send(connection, message))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    @staticmethod
    async def _send(connection: Connection, message: ClientMessage) -> None:
        # A send on a connection that just dropped is not an error: the reconnect
        # subscribes again from the cursor.
        with contextlib.suppress(ConnectionClosed):
            await connection.send(message)

    # -- the connection ---------------------------------------------------------------------

    def _set_state(self, state: ConnectionState) -> None:
        if state != self._state:
            self._state = state
            self.on_state(state)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.on_busy(busy)

    async def _heartbeat(self, connection: Connection) -> None:
        """Ping every ``PING_INTERVAL_SECONDS``; a pong late by ``PONG_TIMEOUT_SECONDS``
        makes the state ``unresponsive`` until it arrives."""
        while True:
            await asyncio.sleep(PING_INTERVAL_SECONDS)
            self._pong.clear()
            await self._send(connection, {"type": "ping"})
            try:
                async with asyncio.timeout(PONG_TIMEOUT_SECONDS):
                    await self._pong.wait()
            except TimeoutError:
                self.last_error = (
                    f"the backend has not answered for {PONG_TIMEOUT_SECONDS:g} s "
                    "(it may be frozen or overloaded); waiting for it"
                )
                log.warning("%s", self.last_error)
                self._set_state("unresponsive")
                await self._pong.wait()
                self.last_error = None
                self._set_state("connected")

    async def _run(self) -> None:
        attempt = 0
        while True:
            try:
                await self._connect_and_serve()
                attempt = 0  # it was up: the next drop starts from a short delay again
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd is not None else None
                if code in FINAL_CLOSE_CODES:
                    self.last_error = FINAL_CLOSE_CODES[code]
                    log.error("the backend closed the connection: %s", self.last_error)
                    self._set_state("offline")
                    return
                self.last_error = f"connection closed ({code})"
            except (OSError, TimeoutError, WebSocketException, ProtocolError, ValueError) as exc:
                self.last_error = describe(exc)
            except Exception as exc:
                # A bug here must not leave the client without live data for good.
                log.exception("the connection to the backend failed unexpectedly")
                self.last_error = f"unexpected error: {exc!r}"
            finally:
                self._connection = None
            self._set_state("reconnecting")
            delay = self.backoff.delay(attempt)
            log.info("backend connection down (%s); retrying in %.1f s", self.last_error, delay)
            attempt += 1
            await asyncio.sleep(delay)

    async def _connect_and_serve(self) -> None:
        connection = await Connection.open(
            self.url,
            self.token,
            ack_timeout=ACK_TIMEOUT_SECONDS,
            open_timeout=OPEN_TIMEOUT_SECONDS,
            max_size=None,
            # No permessage-deflate: the backend is on this machine or this network, and
            # compressing every change (both ends, in Python threads) costs more than
            # the bytes it saves.
            compression=None,
            # A server that does not answer the closing handshake (seen in a UI test:
            # the backend's reply never came) must not hold a closing window for the
            # library's default 10 s.
            close_timeout=CLOSE_GRACE_SECONDS,
        )
        async with connection.websocket:
            self._connection = connection
            for subscription in list(self._subscriptions.values()):
                await self._send(connection, subscription.message())
            self.last_error = None
            self._set_state("connected")
            heartbeat = asyncio.ensure_future(self._heartbeat(connection))
            try:
                async for raw in connection.websocket:
                    message = json.loads(raw)
                    if not isinstance(message, dict):
                        raise ProtocolError(f"not a graphql-transport-ws message: {raw!r:.80}")
                    handler = getattr(self, f"_handle_{message.get('type')}", None)
                    if handler is None:
                        raise ProtocolError(f"unexpected message {message.get('type')!r}")
                    await handler(connection, message)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat

    async def _handle_next(self, connection: Connection, message: dict[str, Any]) -> None:
        subscription = self._subscriptions.get(message.get("id", ""))
        if subscription is None:
            return  # cancelled while the server was sending
        payload = message.get("payload") or {}
        if payload.get("errors"):
            log.warning("subscription %s failed: %s", subscription.id, payload["errors"])
            return
        try:
            subscription.on_data(payload.get("data") or {})
        except Exception:
            log.exception("a subscriber failed on %s", subscription.query.split("{")[0].strip())

    async def _handle_error(self, connection: Connection, message: dict[str, Any]) -> None:
        subscription = self._subscriptions.pop(message.get("id", ""), None)
        if subscription is not None:
            subscription.active = False
            log.error("subscription %s refused: %s", subscription.id, message.get("payload"))

    async def _handle_complete(self, connection: Connection, message: dict[str, Any]) -> None:
        subscription = self._subscriptions.pop(message.get("id", ""), None)
        if subscription is not None:
            subscription.active = False

    async def _handle_ping(self, connection: Connection, message: dict[str, Any]) -> None:
        await self._send(connection, {"type": "pong"})

    async def _handle_pong(self, connection: Connection, message: dict[str, Any]) -> None:
        self._pong.set()
