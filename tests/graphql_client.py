"""The project's one GraphQL client (clients/graphql.py), adapted for tests: answers are
returned whole (errors included) for the test to assert on, and every wait has a limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from clients.graphql import GRAPHQL_TRANSPORT_WS, Connection, bearer, open_ws, request_body, ws_url

__all__ = [
    "GRAPHQL_TRANSPORT_WS",
    "PLACE_ORDER",
    "GraphQLHTTP",
    "GraphQLWS",
    "open_ws",
    "order_input",
    "until_closed",
    "ws_url",
]

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
    if fulfillment == "DINE_IN":
        extra.setdefault("table", 7)  # the API requires one for DINE_IN
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
        headers = (
            bearer(self.token)
            if self.authorization is None
            else {"Authorization": self.authorization}
        )
        # json.dumps, not httpx's json=: its UTF-8 encoding fails on a lone surrogate,
        # which a test must be able to send as JSON's "\ud800" escape.
        body = json.dumps(request_body(query, variables))
        return await self.client.post(
            self.url, content=body, headers={**headers, "Content-Type": "application/json"}
        )

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


async def slow_reader_options(http_url: str) -> dict[str, Any]:
    """``websockets.connect`` options of a slow reader: a small receive buffer, so that
    the server's sends stall as soon as it stops reading, and no keep-alive pings of its
    own (a reader that is behind sees the answer to its ping only after everything sent
    before it)."""
    parts = urlsplit(http_url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (parts.hostname, parts.port))
    # Uncompressed: repetitive messages compress a hundredfold, and the buffers would
    # take thousands of them before the sends stall.
    return {"sock": sock, "ping_interval": None, "max_queue": 1, "compression": None}


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


class GraphQLWS(Connection):
    """A graphql-transport-ws connection whose waits are limited (10 s by default)."""

    @property
    def connection(self) -> ClientConnection:
        """The WebSocket itself, to send what the protocol does not."""
        return self.websocket

    @classmethod
    async def connect(
        cls, http_url: str, token: str | None, *, slow_reader: bool = False
    ) -> GraphQLWS:
        options = await slow_reader_options(http_url) if slow_reader else {}
        return await cls.open(http_url, token, **options)

    async def receive(self, seconds: float | None = 10.0) -> dict[str, Any]:
        """The next message, skipping pings."""
        return await super().receive(seconds)

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
