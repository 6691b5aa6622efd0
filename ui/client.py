"""The dashboard's one bridge to the backend: GraphQL over HTTP and ``graphql-transport-ws``.

Queries and mutations go over HTTP (httpx); all subscriptions share one WebSocket,
which the client reopens by itself with backoff when it drops. On every (re)connect
each live subscription asks its owner for its current cursor (``variables()``) and
subscribes again from there, so a drop loses no change and repeats none.

A backend can also stop answering without dropping the connection (frozen, or swapping
itself to death): the client pings it over the protocol every couple of seconds and
says ``unresponsive`` when no pong comes back in time, ``connected`` again as soon as
one does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable
from typing import Any, Literal, TypedDict, cast

import httpx
from PySide6.QtCore import QObject, Signal
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.typing import Subprotocol

from ui.reconnect import Backoff

log = logging.getLogger(__name__)

GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")
REQUEST_TIMEOUT_SECONDS = 10.0
OPEN_TIMEOUT_SECONDS = 5.0
ACK_TIMEOUT_SECONDS = 5.0
CLOSE_GRACE_SECONDS = 2.0
PING_INTERVAL_SECONDS = 2.0
PONG_TIMEOUT_SECONDS = 3.0  # no pong this long after a ping: "Not responding"
BUSY_AFTER_SECONDS = 0.3  # a request out longer than this shows the window as busy
# The server's close codes that another try cannot fix (graphql-transport-ws).
_FINAL_CLOSE_CODES = {4401: "the backend refused the staff token", 4403: "access forbidden"}

ConnectionState = Literal["connecting", "connected", "unresponsive", "reconnecting", "offline"]
Variables = dict[str, Any]


def describe(exc: BaseException) -> str:
    """An exception in words that are never empty (``str()`` of a timeout often is)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class GraphQLError(Exception):
    """A GraphQL error answer, or a request that could not reach the backend (code None)."""

    def __init__(self, message: str, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    @classmethod
    def of(cls, error: dict[str, Any]) -> GraphQLError:
        extensions = error.get("extensions") or {}
        return cls(
            str(error.get("message", "unknown error")),
            extensions.get("code"),
            extensions.get("field"),
        )


class _Subscribe(TypedDict):
    id: str
    type: Literal["subscribe"]
    payload: dict[str, Any]


class _Complete(TypedDict):
    id: str
    type: Literal["complete"]


class Subscription:
    """One live subscription of a :class:`GraphQLClient`; :meth:`cancel` ends it."""

    def __init__(
        self,
        client: GraphQLClient,
        op_id: str,
        query: str,
        variables: Callable[[], Variables],
        on_data: Callable[[dict[str, Any]], None],
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


class GraphQLClient(QObject):
    """Owns the HTTP client, the WebSocket and its subscriptions; lives on the Qt thread.

    ``connectionChanged`` says where the WebSocket stands: ``connecting`` (the first
    try), ``connected``, ``unresponsive`` (connected, but the backend has not answered
    a ping for ``PONG_TIMEOUT_SECONDS``), ``reconnecting`` (it dropped or cannot be
    reached; the client keeps trying, with backoff) and ``offline`` (closed, or the
    backend refused the token: trying again would not help). ``execute`` needs no
    WebSocket and works, or fails with a GraphQLError, in any of them.
    ``busyChanged(True)`` says a request has been out for ``BUSY_AFTER_SECONDS``;
    ``busyChanged(False)``, that none is out any more.
    """

    connectionChanged = Signal(str)  # a ConnectionState
    busyChanged = Signal(bool)

    def __init__(self, url: str, token: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.url = url
        self.ws_url = "ws" + url.removeprefix("http")
        self.token = token
        self.backoff = Backoff()
        self.last_error: str | None = None  # why the WebSocket last failed, for the status bar
        self._state: ConnectionState = "offline"
        self._http: httpx.AsyncClient | None = None
        self._ws: ClientConnection | None = None
        self._subscriptions: dict[str, Subscription] = {}
        self._ids = itertools.count(1)
        self._runner: asyncio.Task[None] | None = None
        self._sends: set[asyncio.Task[None]] = set()
        self._in_flight = 0
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
    def _open(self) -> bool:
        # Unresponsive is still open: what is sent now is read once the backend wakes.
        return self._ws is not None and self._state in ("connected", "unresponsive")

    def retarget(self, url: str, token: str | None) -> None:
        """Point a client that is not started yet elsewhere (an embedded backend's address
        is known only once it runs, after the window is up)."""
        if self._runner is not None:
            raise RuntimeError("retarget() is for a client that has not started")
        self.url, self.ws_url, self.token = url, "ws" + url.removeprefix("http"), token

    async def start(self) -> None:
        """Open the HTTP client and start (and keep) the WebSocket connection."""
        if self._runner is not None:
            return
        headers = {} if self.token is None else {"Authorization": f"Bearer {self.token}"}
        self._http = httpx.AsyncClient(headers=headers, timeout=REQUEST_TIMEOUT_SECONDS)
        self._set_state("connecting")
        self._runner = asyncio.ensure_future(self._run())

    async def close(self) -> None:
        """Stop reconnecting, close the WebSocket and the HTTP client (requests on their
        way get a moment to finish: a request cut off halfway helps neither end)."""
        if self._in_flight:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLOSE_GRACE_SECONDS):
                    await self._idle.wait()
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await runner
        for task in list(self._sends):
            task.cancel()
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        self._set_state("offline")

    # -- queries and mutations ----------------------------------------------------------

    async def verify_staff(self) -> None:
        """Check the token is the backend's staff token (before :meth:`start`); raise
        :class:`GraphQLError` with the backend's reason when it is not."""
        headers = {} if self.token is None else {"Authorization": f"Bearer {self.token}"}
        async with httpx.AsyncClient(headers=headers, timeout=REQUEST_TIMEOUT_SECONDS) as http:
            await self._post(http, "{ handlers { name } }", None)

    async def execute(self, query: str, variables: Variables | None = None) -> dict[str, Any]:
        """Run a query or mutation over HTTP; its data, or :class:`GraphQLError`."""
        if self._http is None:
            raise GraphQLError("the client is not started")
        self._in_flight += 1
        if self._in_flight == 1:
            self._idle.clear()
            self._busy_timer = asyncio.get_running_loop().call_later(
                BUSY_AFTER_SECONDS, self._set_busy, True
            )
        try:
            return await self._post(self._http, query, variables)
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._idle.set()
                if self._busy_timer is not None:
                    self._busy_timer.cancel()
                    self._busy_timer = None
                self._set_busy(False)

    async def _post(
        self, http: httpx.AsyncClient, query: str, variables: Variables | None
    ) -> dict[str, Any]:
        try:
            response = await http.post(
                self.url, json={"query": query, "variables": variables or {}}
            )
        except httpx.HTTPError as exc:
            raise GraphQLError(f"cannot reach the backend: {describe(exc)}") from exc
        try:
            body = response.json()
        except ValueError as exc:
            raise GraphQLError(f"the backend answered HTTP {response.status_code}") from exc
        if not isinstance(body, dict):
            raise GraphQLError(f"the backend answered HTTP {response.status_code}")
        if body.get("errors"):
            raise GraphQLError.of(body["errors"][0])
        if body.get("data") is None:
            raise GraphQLError(f"the backend answered HTTP {response.status_code} without data")
        return cast(dict[str, Any], body["data"])

    # -- subscriptions --------------------------------------------------------------------

    def subscribe(
        self,
        query: str,
        variables: Callable[[], Variables],
        on_data: Callable[[dict[str, Any]], None],
    ) -> Subscription:
        """Follow ``query``; ``variables()`` is asked again on every (re)connect."""
        subscription = Subscription(self, str(next(self._ids)), query, variables, on_data)
        self._subscriptions[subscription.id] = subscription
        if self._open:
            self._send_soon(self._subscribe_message(subscription))
        return subscription

    def _forget(self, subscription: Subscription) -> None:
        if self._subscriptions.pop(subscription.id, None) is None:
            return
        if self._open:
            message: _Complete = {"id": subscription.id, "type": "complete"}
            self._send_soon(message)

    @staticmethod
    def _subscribe_message(subscription: Subscription) -> _Subscribe:
        return {
            "id": subscription.id,
            "type": "subscribe",
            "payload": {"query": subscription.query, "variables": subscription.variables()},
        }

    def _send_soon(self, message: _Subscribe | _Complete) -> None:
        ws = self._ws
        if ws is None:
            return
        task = asyncio.ensure_future(self._send(ws, message))
        self._sends.add(task)
        task.add_done_callback(self._sends.discard)

    @staticmethod
    async def _send(ws: ClientConnection, message: _Subscribe | _Complete | dict[str, Any]) -> None:
        # A send on a connection that just dropped is not an error: the reconnect
        # subscribes again from the cursor.
        with contextlib.suppress(ConnectionClosed):
            await ws.send(json.dumps(message))

    # -- the connection ---------------------------------------------------------------------

    def _set_state(self, state: ConnectionState) -> None:
        if state != self._state:
            self._state = state
            self.connectionChanged.emit(state)

    def _set_busy(self, busy: bool) -> None:
        if busy != self._busy:
            self._busy = busy
            self.busyChanged.emit(busy)

    async def _heartbeat(self, ws: ClientConnection) -> None:
        """Ping every ``PING_INTERVAL_SECONDS``; a pong late by ``PONG_TIMEOUT_SECONDS``
        makes the state ``unresponsive`` until it arrives."""
        while True:
            await asyncio.sleep(PING_INTERVAL_SECONDS)
            self._pong.clear()
            await self._send(ws, {"type": "ping"})
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
                if code in _FINAL_CLOSE_CODES:
                    self.last_error = _FINAL_CLOSE_CODES[code]
                    log.error("the backend closed the connection: %s", self.last_error)
                    self._set_state("offline")
                    return
                self.last_error = f"connection closed ({code})"
            except (OSError, TimeoutError, WebSocketException, _ProtocolError, ValueError) as exc:
                self.last_error = describe(exc)
            except Exception as exc:
                # A bug here must not leave the dashboard without live data for good.
                log.exception("the connection to the backend failed unexpectedly")
                self.last_error = f"unexpected error: {exc!r}"
            finally:
                self._ws = None
            self._set_state("reconnecting")
            delay = self.backoff.delay(attempt)
            log.info("backend connection down (%s); retrying in %.1f s", self.last_error, delay)
            attempt += 1
            await asyncio.sleep(delay)

    async def _connect_and_serve(self) -> None:
        async with connect(
            self.ws_url,
            subprotocols=[GRAPHQL_TRANSPORT_WS],
            open_timeout=OPEN_TIMEOUT_SECONDS,
            max_size=None,
            # No permessage-deflate: the backend is on this machine or this network, and
            # compressing every change (both ends, in Python threads) costs more than
            # the bytes it saves.
            compression=None,
        ) as ws:
            payload = {} if self.token is None else {"authorization": f"Bearer {self.token}"}
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            async with asyncio.timeout(ACK_TIMEOUT_SECONDS):
                ack = json.loads(await ws.recv())
            if ack.get("type") != "connection_ack":
                raise _ProtocolError(f"no connection_ack: {ack}")
            self._ws = ws
            for subscription in list(self._subscriptions.values()):
                await self._send(ws, self._subscribe_message(subscription))
            self.last_error = None
            self._set_state("connected")
            heartbeat = asyncio.ensure_future(self._heartbeat(ws))
            try:
                async for raw in ws:
                    message = json.loads(raw)
                    if not isinstance(message, dict):
                        raise _ProtocolError(f"not a graphql-transport-ws message: {raw!r:.80}")
                    handler = getattr(self, f"_handle_{message.get('type')}", None)
                    if handler is None:
                        raise _ProtocolError(f"unexpected message {message.get('type')!r}")
                    await handler(ws, message)
            finally:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await heartbeat

    async def _handle_next(self, ws: ClientConnection, message: dict[str, Any]) -> None:
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

    async def _handle_error(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        subscription = self._subscriptions.pop(message.get("id", ""), None)
        if subscription is not None:
            subscription.active = False
            log.error("subscription %s refused: %s", subscription.id, message.get("payload"))

    async def _handle_complete(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        subscription = self._subscriptions.pop(message.get("id", ""), None)
        if subscription is not None:
            subscription.active = False

    async def _handle_ping(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        await self._send(ws, {"type": "pong"})

    async def _handle_pong(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        self._pong.set()


class _ProtocolError(Exception):
    """The server broke graphql-transport-ws; drop the connection and start again."""
