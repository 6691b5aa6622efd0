"""Small GraphQL clients for tests: HTTP over httpx, graphql-transport-ws over websockets."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Origin, Subprotocol

GRAPHQL_TRANSPORT_WS = "graphql-transport-ws"

PLACE_ORDER = """
mutation Place($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) {
    accessToken
    order { id number status totalCents channel fulfillment
            items { menuItemId name quantity unitPriceCents notes } }
  }
}
"""


def order_input(
    *lines: tuple[str, int],
    channel: str = "WEB",
    fulfillment: str = "TAKEAWAY",
    **extra: Any,
) -> dict[str, Any]:
    items = [{"menuItemId": item, "quantity": quantity} for item, quantity in lines]
    return {
        "items": items or [{"menuItemId": "margherita", "quantity": 1}],
        "channel": channel,
        "fulfillment": fulfillment,
        **extra,
    }


@dataclass
class GraphQLHTTP:
    client: httpx.AsyncClient
    url: str
    token: str | None
    authorization: str | None = None  # sent as it is instead of "Bearer <token>"

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        authorization = self.authorization
        if authorization is None and self.token is not None:
            authorization = f"Bearer {self.token}"
        headers = {"Content-Type": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        # json.dumps, not httpx's json=: its UTF-8 encoding fails on a lone surrogate,
        # which a test must be able to send as JSON's "\ud800" escape.
        body = json.dumps({"query": query, "variables": variables or {}})
        return await self.client.post(self.url, content=body, headers=headers)

    async def run(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The whole response body (data and errors)."""
        body: dict[str, Any] = (await self.post(query, variables)).json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The data of a response that must not have errors."""
        body = await self.run(query, variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """The single error of a response that must fail."""
        body = await self.run(query, variables)
        assert body.get("errors"), body
        error: dict[str, Any] = body["errors"][0]
        return error

    async def place(
        self, *lines: tuple[str, int], key: str | None = None, **extra: Any
    ) -> dict[str, Any]:
        data = await self.data(PLACE_ORDER, {"input": order_input(*lines, **extra), "key": key})
        placed: dict[str, Any] = data["placeOrder"]
        return placed


def ws_url(http_url: str) -> str:
    return "ws" + http_url.removeprefix("http")


async def open_ws(
    http_url: str,
    subprotocols: Sequence[str] | None = (GRAPHQL_TRANSPORT_WS,),
    origin: str | None = None,
    *,
    slow_reader: bool = False,
) -> ClientConnection:
    """A raw WebSocket to the API, before any graphql-transport-ws message.

    A ``slow_reader`` has a small receive buffer, so that the server's sends stall as
    soon as it stops reading, and sends no keep-alive pings of its own: a reader that
    is behind sees the answer to its ping only after everything sent before it.
    """
    sock = None
    if slow_reader:
        parts = urlsplit(http_url)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    return await websockets.connect(
        ws_url(http_url),
        subprotocols=None if subprotocols is None else [Subprotocol(p) for p in subprotocols],
        origin=None if origin is None else Origin(origin),
        sock=sock,
        ping_interval=None if slow_reader else 20.0,
        max_queue=1 if slow_reader else 16,
    )


async def until_closed(
    connection: ClientConnection, seconds: float = 10.0
) -> tuple[list[dict[str, Any]], int | None]:
    """Every message the server sends until it closes the connection, and its close code."""
    messages: list[dict[str, Any]] = []
    async with asyncio.timeout(seconds):
        with contextlib.suppress(ConnectionClosed):
            async for raw in connection:
                messages.append(json.loads(raw))
    return messages, connection.close_code


class GraphQLWS:
    """A graphql-transport-ws client for one connection."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    @classmethod
    async def connect(
        cls, http_url: str, token: str | None, *, slow_reader: bool = False
    ) -> GraphQLWS:
        connection = await open_ws(http_url, slow_reader=slow_reader)
        payload = {} if token is None else {"authorization": f"Bearer {token}"}
        await connection.send(json.dumps({"type": "connection_init", "payload": payload}))
        ack = json.loads(await connection.recv())
        assert ack["type"] == "connection_ack", ack
        return cls(connection)

    async def subscribe(
        self, op_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        message = {
            "id": op_id,
            "type": "subscribe",
            "payload": {"query": query, "variables": variables or {}},
        }
        await self.connection.send(json.dumps(message))

    async def receive(self, seconds: float = 10.0) -> dict[str, Any]:
        """The next message, skipping pings."""
        while True:
            message: dict[str, Any] = json.loads(
                await asyncio.wait_for(self.connection.recv(), seconds)
            )
            if message["type"] == "ping":
                await self.connection.send(json.dumps({"type": "pong"}))
                continue
            return message

    async def next_data(self, op_id: str, seconds: float = 10.0) -> dict[str, Any]:
        message = await self.receive(seconds)
        assert message["type"] == "next" and message["id"] == op_id, message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        return data

    async def error(self, op_id: str, seconds: float = 10.0) -> dict[str, Any]:
        """The first error of an operation that must fail, once the operation has ended.

        Errors found before execution (validation, permissions) come as one ``error``
        message; errors raised by a subscription come as ``next``, then ``complete``.
        """
        message = await self.receive(seconds)
        assert message.get("id") == op_id, message
        if message["type"] == "error":
            errors: list[dict[str, Any]] = message["payload"]
        else:
            assert message["type"] == "next" and message["payload"]["data"] is None, message
            errors = message["payload"]["errors"]
            assert await self.receive(seconds) == {"id": op_id, "type": "complete"}
        assert errors, message
        return errors[0]

    async def close(self) -> None:
        await self.connection.close()
