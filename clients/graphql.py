"""Passline's GraphQL API from the outside: queries and mutations over HTTP (httpx), one
``graphql-transport-ws`` connection for subscriptions (websockets).

Plain asyncio, no Qt: the dashboard (``ui/client.py`` wraps :class:`clients.live.LiveClient`
for Qt), the demo's customers and staff, ``--self-test``, the tests and the benchmarks all
speak to the backend through this module, so the protocol is written once.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, Self, TypedDict, cast

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Origin, Subprotocol

GRAPHQL_TRANSPORT_WS = Subprotocol("graphql-transport-ws")
REQUEST_TIMEOUT_SECONDS = 10.0
OPEN_TIMEOUT_SECONDS = 5.0
ACK_TIMEOUT_SECONDS = 5.0

Variables = Mapping[str, Any]


def describe(exc: BaseException) -> str:
    """An exception in words that are never empty (``str()`` of a timeout often is)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class GraphQLError(Exception):
    """A GraphQL error answer (``code``: its ``extensions.code``), or a request that got no
    GraphQL answer at all (``code`` None; :class:`Unreachable` when nothing came back)."""

    def __init__(self, message: str, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    @classmethod
    def of(cls, error: Mapping[str, Any]) -> GraphQLError:
        extensions = error.get("extensions") or {}
        return cls(
            str(error.get("message", "unknown error")),
            extensions.get("code"),
            extensions.get("field"),
        )


class Unreachable(GraphQLError):
    """The request did not reach the backend, or no answer came back: it may or may not
    have been carried out (a mutation is safe to send again with its idempotency key)."""


class NotGraphQL(GraphQLError):
    """An answer came, but not a GraphQL one (another program at the address, or a proxy)."""


class ProtocolError(GraphQLError):
    """The server broke ``graphql-transport-ws`` (or refused the connection's init)."""


# -- HTTP --------------------------------------------------------------------------------


def bearer(token: str | None) -> dict[str, str]:
    """The ``Authorization`` header of ``token`` (none without one)."""
    return {} if token is None else {"Authorization": f"Bearer {token}"}


def request_body(query: str, variables: Variables | None = None) -> dict[str, Any]:
    return {"query": query, "variables": dict(variables or {})}


def answer_data(response: httpx.Response) -> dict[str, Any]:
    """The data of a GraphQL answer over HTTP; :class:`GraphQLError` with its first error."""
    try:
        body = response.json()
    except ValueError as exc:
        raise NotGraphQL(f"the backend answered HTTP {response.status_code}") from exc
    if not isinstance(body, dict):
        raise NotGraphQL(f"the backend answered HTTP {response.status_code}")
    if body.get("errors"):
        raise GraphQLError.of(body["errors"][0])
    if body.get("data") is None:
        raise NotGraphQL(f"the backend answered HTTP {response.status_code} without data")
    return cast(dict[str, Any], body["data"])


def http_client(timeout: float = REQUEST_TIMEOUT_SECONDS, **options: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, **options)


class HttpApi:
    """Queries and mutations as one caller (``token``; None: the public), on a shared
    ``httpx.AsyncClient`` that the owner opens and closes."""

    def __init__(self, http: httpx.AsyncClient, url: str, token: str | None = None) -> None:
        self.http = http
        self.url = url
        self.token = token

    def as_caller(self, token: str | None) -> HttpApi:
        """The same API and connections, as another caller."""
        return HttpApi(self.http, self.url, token)

    async def execute(self, query: str, variables: Variables | None = None) -> dict[str, Any]:
        """Its data, or :class:`GraphQLError` (:class:`Unreachable`: no answer came)."""
        try:
            response = await self.http.post(
                self.url, json=request_body(query, variables), headers=bearer(self.token)
            )
        except httpx.HTTPError as exc:
            raise Unreachable(f"cannot reach the backend: {describe(exc)}") from exc
        return answer_data(response)


def execute_sync(
    url: str,
    query: str,
    variables: Variables | None = None,
    token: str | None = None,
    timeout: float = REQUEST_TIMEOUT_SECONDS,
    **options: Any,
) -> dict[str, Any]:
    """One query without an event loop (a probe before one runs); like :meth:`HttpApi.execute`.
    ``options`` go to ``httpx.post``."""
    try:
        response = httpx.post(
            url,
            json=request_body(query, variables),
            headers=bearer(token),
            timeout=timeout,
            **options,
        )
    except httpx.HTTPError as exc:
        raise Unreachable(f"cannot reach the backend: {describe(exc)}") from exc
    return answer_data(response)


# -- graphql-transport-ws ----------------------------------------------------------------


class ConnectionInit(TypedDict):
    type: Literal["connection_init"]
    payload: dict[str, Any]


class Subscribe(TypedDict):
    id: str
    type: Literal["subscribe"]
    payload: dict[str, Any]


class Complete(TypedDict):
    id: str
    type: Literal["complete"]


class Ping(TypedDict):
    type: Literal["ping"]


class Pong(TypedDict):
    type: Literal["pong"]


ClientMessage = ConnectionInit | Subscribe | Complete | Ping | Pong


def ws_url(http_url: str) -> str:
    """The WebSocket URL of the API at ``http_url`` (same host, port and path)."""
    return "ws" + http_url.removeprefix("http")


def subscribe_message(op_id: str, query: str, variables: Variables | None = None) -> Subscribe:
    return {"id": op_id, "type": "subscribe", "payload": request_body(query, variables)}


def init_message(token: str | None) -> ConnectionInit:
    payload = {} if token is None else {"authorization": f"Bearer {token}"}
    return {"type": "connection_init", "payload": payload}


def next_data(message: Mapping[str, Any]) -> dict[str, Any] | None:
    """The data of a ``next`` message; None for other messages that carry no data
    (``complete``, ``ping``, ``pong``); :class:`GraphQLError` for an ``error`` message or
    a ``next`` with errors."""
    kind = message.get("type")
    if kind == "error":
        errors = message.get("payload") or [{"message": f"operation refused: {message}"}]
        raise GraphQLError.of(errors[0])
    if kind != "next":
        return None
    payload = message.get("payload") or {}
    if payload.get("errors"):
        raise GraphQLError.of(payload["errors"][0])
    return cast(dict[str, Any], payload.get("data") or {})


async def open_ws(
    http_url: str,
    subprotocols: Sequence[str] | None = (GRAPHQL_TRANSPORT_WS,),
    origin: str | None = None,
    **options: Any,
) -> ClientConnection:
    """A raw WebSocket to the API, before any ``graphql-transport-ws`` message;
    ``options`` go to ``websockets.connect``."""
    return await connect(
        ws_url(http_url),
        subprotocols=None if subprotocols is None else [Subprotocol(p) for p in subprotocols],
        origin=None if origin is None else Origin(origin),
        **options,
    )


class Connection:
    """One ``graphql-transport-ws`` connection, acknowledged by the server."""

    def __init__(self, websocket: ClientConnection) -> None:
        self.websocket = websocket

    @classmethod
    async def open(
        cls,
        http_url: str,
        token: str | None,
        *,
        ack_timeout: float = ACK_TIMEOUT_SECONDS,
        **options: Any,
    ) -> Self:
        """Connect, send ``connection_init`` as ``token`` and wait for the ack; ``options``
        go to ``websockets.connect``. :class:`ProtocolError` if the server refuses."""
        options.setdefault("open_timeout", OPEN_TIMEOUT_SECONDS)
        websocket = await open_ws(http_url, **options)
        try:
            return await cls.handshake(websocket, token, ack_timeout)
        except BaseException:
            await websocket.close()
            raise

    @classmethod
    async def handshake(
        cls, websocket: ClientConnection, token: str | None, ack_timeout: float
    ) -> Self:
        connection = cls(websocket)
        await connection.send(init_message(token))
        async with asyncio.timeout(ack_timeout):
            ack = json.loads(await websocket.recv())
        if not isinstance(ack, dict) or ack.get("type") != "connection_ack":
            raise ProtocolError(f"the server refused the connection: {ack}")
        return connection

    async def send(self, message: ClientMessage) -> None:
        await self.websocket.send(json.dumps(message))

    async def subscribe(self, op_id: str, query: str, variables: Variables | None = None) -> None:
        await self.send(subscribe_message(op_id, query, variables))

    async def complete(self, op_id: str) -> None:
        await self.send({"id": op_id, "type": "complete"})

    async def receive(self, seconds: float | None = None) -> dict[str, Any]:
        """The server's next message; pings are answered and skipped."""
        while True:
            async with asyncio.timeout(seconds):
                message = json.loads(await self.websocket.recv())
            if not isinstance(message, dict):
                raise ProtocolError(f"not a graphql-transport-ws message: {message!r:.80}")
            if message.get("type") == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def close(self) -> None:
        await self.websocket.close()
