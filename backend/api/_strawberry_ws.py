"""The private parts of strawberry's ``graphql-transport-ws`` handler that
backend/api/websocket.py builds on, and nothing else.

strawberry lets a view choose its handler class, but the handler's steps that ours
changes or calls are private: how an operation's results are sent
(``_send_result_stream``), whether an error before execution closes the connection
(``_get_pre_execution_close_reason``), how that error and an incremental result are
answered (``_handle_pre_execution_error``, ``_reject_incremental_delivery``), the
running operations by id (``operations``), the exception that ends an operation's task
quietly (``_OperationStreamClosed``), and the Starlette socket behind its adapter
(``ws``). Here they get public names; tests/backend/test_upstream_pins.py checks each
by name, so a strawberry upgrade that moves one fails there, not in the product.
"""

from __future__ import annotations

from typing import Any, TypeVar

from graphql import GraphQLError
from starlette.websockets import WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
    _OperationStreamClosed,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    Message,
    PingMessage,
    SubscribeMessage,
)
from strawberry.types.execution import PreExecutionError
from strawberry.utils.aio import aclosing

__all__ = [
    "Message",
    "Operation",
    "OperationStreamClosed",
    "PingMessage",
    "PreExecutionError",
    "SubscribeMessage",
    "TransportWSBase",
    "WebSocketAdapter",
    "WebSocketDisconnected",
    "aclosing",  # strawberry's: unlike contextlib's, an error of aclose() is not raised
]

# Raised in an operation's task once the connection is closed for it: the task ends
# without an error logged and without a ``complete`` sent.
OperationStreamClosed = _OperationStreamClosed

ContextT = TypeVar("ContextT")
RootValueT = TypeVar("RootValueT")


class WebSocketAdapter(ASGIWebSocketAdapter):
    """strawberry's socket, which can also send text already serialized."""

    async def send_text(self, text: str) -> None:
        """Send ``text`` as one message (a shared result's, written to many sockets)."""
        try:
            await self.ws.send_text(text)
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class TransportWSBase(BaseGraphQLTransportWSHandler[ContextT, RootValueT]):
    """strawberry's handler, with the private steps ours uses under public names."""

    def has_operation(self, operation_id: str) -> bool:
        """Whether an operation of that id runs on this connection."""
        return operation_id in self.operations

    def forget_operation(self, operation_id: str) -> None:
        """Stop counting an operation as running (its id may be used again)."""
        self.operations.pop(operation_id, None)

    def pre_execution_close_reason(self, error: GraphQLError) -> str | None:
        """The reason to close the connection with 4400 when an operation fails before
        it runs with ``error``; None: the error is sent for the operation alone."""
        return BaseGraphQLTransportWSHandler._get_pre_execution_close_reason(error)

    def _get_pre_execution_close_reason(self, error: GraphQLError) -> str | None:  # type: ignore[override]
        # A static method upstream, called through self: overridden by an instance method.
        return self.pre_execution_close_reason(error)

    async def send_result_stream(
        self, operation: Operation[ContextT, RootValueT], result_source: Any
    ) -> None:
        """Send each result of ``result_source`` (strawberry's ``run_operation`` calls
        this with the operation's stream, then sends ``complete``)."""
        await super()._send_result_stream(operation, result_source)

    async def _send_result_stream(
        self, operation: Operation[ContextT, RootValueT], result_source: Any
    ) -> None:
        await self.send_result_stream(operation, result_source)

    async def send_pre_execution_error(
        self, operation: Operation[ContextT, RootValueT], result: PreExecutionError
    ) -> None:
        """Answer an operation that failed before it ran, as strawberry does (an
        ``error`` message, or the connection closed: :meth:`pre_execution_close_reason`)."""
        await self._handle_pre_execution_error(operation, result)

    async def reject_incremental_delivery(self, operation: Operation[ContextT, RootValueT]) -> None:
        """Answer an operation whose result is incremental (``@defer``, ``@stream``) with
        strawberry's error: the protocol's ``next`` has no form for it."""
        await self._reject_incremental_delivery(operation)
