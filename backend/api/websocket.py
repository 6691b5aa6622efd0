"""graphql-transport-ws as its protocol and reference server (enisdenjo/graphql-ws) say.

strawberry's handler departs from them where a client can see it, and some messages
crashed it (the socket dropped with 1006 and a traceback). Here:

- a message that is not JSON, nests too deep, has a number of thousands of digits, or
  has the wrong shape is closed with 4400 and a reason that says what was wrong;
- a subscribe that cannot run (a syntax error, a document over the limits, a document
  with several operations and no operationName, an unknown operationName) gets an
  ``error`` message for its id and the connection serves on;
- ``connection_init`` with ``"payload": null`` is one without a payload, and a
  ``pong`` carries the ``ping``'s payload;
- a close reason fits the 123 bytes a close frame has, and is UTF-8 whatever the
  client sent (a lone surrogate or a 300-character id used to crash the close).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    PingMessage,
    SubscribeMessage,
)

from backend.api.context import Context
from backend.api.operation import unchosen_operation
from backend.errors import ErrorCode

# RFC 6455 5.5: a control frame's payload is at most 125 bytes, 2 of them the code.
MAX_CLOSE_REASON_BYTES = 123

_TYPES = ("connection_init", "ping", "pong", "subscribe", "complete")
_NEEDS_ID = ("subscribe", "complete")
_OBJECT_PAYLOADS = ("connection_init", "ping", "pong")  # each optional, or null


@dataclass(frozen=True, slots=True)
class UnreadableMessage:
    """A text frame that is not usable JSON, in place of the message it should be."""

    reason: str


def close_reason(reason: str) -> str:
    """``reason`` as UTF-8 that fits a close frame (a lone surrogate becomes "?")."""
    encoded = reason.encode("utf-8", "replace")
    if len(encoded) <= MAX_CLOSE_REASON_BYTES:
        return encoded.decode("utf-8")
    ellipsis = "…"
    room = MAX_CLOSE_REASON_BYTES - len(ellipsis.encode("utf-8"))
    return encoded[:room].decode("utf-8", "ignore") + ellipsis


def _optional(payload: Mapping[str, Any], key: str, kind: type) -> bool:
    value = payload.get(key)
    return value is None or isinstance(value, kind)


def _malformed(message: object) -> str | None:
    """Why ``message`` is not a graphql-transport-ws message, for what strawberry misses.

    strawberry closes with 4400 on a missing key, but a message of the wrong shape (a
    list, an object id, a string payload) raised inside it and dropped the connection.
    """
    if isinstance(message, UnreadableMessage):
        return message.reason
    if not isinstance(message, dict):
        return "a message must be a JSON object with a type"
    kind = message.get("type")
    if not isinstance(kind, str) or kind not in _TYPES:
        return "unknown message type; send connection_init, ping, pong, subscribe or complete"
    if kind in _NEEDS_ID and not isinstance(message.get("id"), str):
        return f"a {kind} message needs an id string"
    if not isinstance(message.get("id", ""), str):
        return "the message id must be a string"
    payload = message.get("payload")
    if kind in _OBJECT_PAYLOADS and not _optional(message, "payload", dict):
        return f"the {kind} payload must be an object"
    if kind != "subscribe":
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "the subscribe payload must be an object with a query string"
    if not _optional(payload, "variables", dict):
        return "the subscribe variables must be an object"
    if not _optional(payload, "operationName", str):
        return "the subscribe operationName must be a string"
    if not _optional(payload, "extensions", dict):
        return "the subscribe extensions must be an object"
    return None


class ClosingAdapter(ASGIWebSocketAdapter):
    """strawberry's socket, whose close reasons always fit a close frame."""

    async def close(self, code: int, reason: str) -> None:
        await super().close(code, close_reason(reason))


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_message(self, message: Message) -> None:
        reason = _malformed(message)
        if reason is not None:
            await self.handle_invalid_message(reason)
            return
        if message["type"] == "connection_init" and message.get("payload") is None:
            # The reference server treats a null payload as none; strawberry closes.
            message = {"type": "connection_init"}
        await super().handle_message(message)

    async def handle_ping(self, message: PingMessage) -> None:
        # The reference server answers with the ping's payload (a client may time
        # its pings with it); strawberry's pong had none.
        payload = message.get("payload")
        await self.send_message(
            {"type": "pong"} if payload is None else {"type": "pong", "payload": payload}
        )

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message["payload"]
        reason = unchosen_operation(payload["query"], payload.get("operationName"))
        if reason is None or not self.connection_acknowledged or message["id"] in self.operations:
            # strawberry runs it, or closes for the protocol violation first.
            await super().handle_subscribe(message)
            return
        error = GraphQLError(reason, extensions={"code": ErrorCode.BAD_USER_INPUT.value})
        await self.send_message(
            {"id": message["id"], "type": "error", "payload": [error.formatted]}
        )

    @staticmethod
    def _get_pre_execution_close_reason(error: GraphQLError) -> str | None:
        # strawberry closes the whole connection with 4400 for a syntax error or an
        # operationName the document lacks; both are the operation's errors, sent as
        # `error` for its id ("before execution starts, usually due to validation
        # errors", PROTOCOL.md).
        return None

    async def handle_task_exception(self, error: Exception) -> None:
        if isinstance(error, WebSocketDisconnected):
            # The client went while its subscription was being sent (a window closed,
            # a phone went to sleep): nothing went wrong here, nothing to log.
            return
        await super().handle_task_exception(error)

    async def _send_result_stream(
        self, operation: Operation[Context, None], result_source: Any
    ) -> None:
        try:
            await super()._send_result_stream(operation, result_source)
        except GraphQLError as error:
            # A parser extension (the parser cache, the token limit) raises a syntax
            # error instead of returning it: without this the client got a bare
            # `complete` and the log a traceback.
            self.schema.process_errors([error])
            await operation.send_initial_errors([error])
