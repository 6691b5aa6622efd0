"""Small GraphQL clients for tests: HTTP over httpx, graphql-transport-ws over websockets."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import httpx
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

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

    async def post(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        headers = {} if self.token is None else {"Authorization": f"Bearer {self.token}"}
        return await self.client.post(
            self.url, json={"query": query, "variables": variables or {}}, headers=headers
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


def ws_url(http_url: str) -> str:
    return "ws" + http_url.removeprefix("http")


class GraphQLWS:
    """A graphql-transport-ws client for one connection."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    @classmethod
    async def connect(cls, http_url: str, token: str | None) -> GraphQLWS:
        connection = await websockets.connect(
            ws_url(http_url),
            subprotocols=[Subprotocol("graphql-transport-ws")],
        )
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

    async def close(self) -> None:
        await self.connection.close()
