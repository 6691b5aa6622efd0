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

Each operation runs with a context of its own; a subscription that others with the
same document, variables and scope follow too goes on with their shared execution
once its own has caught up with it (streams.py).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import Awaitable, Mapping
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from strawberry.types import ExecutionResult

from backend.api._strawberry_ws import (
    Message,
    Operation,
    OperationStreamClosed,
    PingMessage,
    PreExecutionError,
    SubscribeMessage,
    TransportWSBase,
    WebSocketAdapter,
    WebSocketDisconnected,
)
from backend.api.context import Context
from backend.api.operation import unchosen_operation
from backend.api.streams import (
    FellBehind,
    Key,
    Pump,
    Shared,
    Sink,
    Streams,
    started,
    stream_key,
)
from backend.errors import ErrorCode
from backend.settings import FELL_BEHIND_CLOSE_CODE

log = logging.getLogger(__name__)

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


class ClosingAdapter(WebSocketAdapter):
    """strawberry's socket, whose close reasons always fit a close frame."""

    async def close(self, code: int, reason: str) -> None:
        await super().close(code, close_reason(reason))


class TransportWSHandler(TransportWSBase[Context, None]):
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
        if reason is None or not self.connection_acknowledged or self.has_operation(message["id"]):
            # strawberry runs it, or closes for the protocol violation first.
            await super().handle_subscribe(message)
            return
        error = GraphQLError(reason, extensions={"code": ErrorCode.BAD_USER_INPUT.value})
        await self.send_message(
            {"id": message["id"], "type": "error", "payload": [error.formatted]}
        )

    def pre_execution_close_reason(self, error: GraphQLError) -> str | None:
        # strawberry closes the whole connection with 4400 for a syntax error or an
        # operationName the document lacks; both are the operation's errors, sent as
        # `error` for its id ("before execution starts, usually due to validation
        # errors", PROTOCOL.md).
        return None

    async def cleanup_operation(self, operation_id: str) -> None:
        operation = self.operations.get(operation_id)
        await super().cleanup_operation(operation_id)  # forgets it and cancels its task
        if operation is not None:
            # The operation lets go of its task: the task's CancelledError holds the
            # operation's frames, and with them the operation, so an operation that
            # still held the task would be a reference cycle left for the collector,
            # one each subscription its client completes.
            operation.task = None

    async def handle_task_exception(self, error: Exception) -> None:
        if isinstance(error, WebSocketDisconnected):
            # The client went while its subscription was being sent (a window closed,
            # a phone went to sleep): nothing went wrong here, nothing to log.
            return
        await super().handle_task_exception(error)

    async def send_result_stream(
        self, operation: Operation[Context, None], result_source: Any
    ) -> None:
        try:
            await super().send_result_stream(operation, result_source)
        except GraphQLError as error:
            # A parser extension (the parser cache, the token limit) raises a syntax
            # error instead of returning it: without this the client got a bare
            # `complete` and the log a traceback.
            self.schema.process_errors([error])
            await operation.send_initial_errors([error])

    async def run_operation(self, operation: Operation[Context, None]) -> None:
        streams = self.context.services.streams
        if streams is None or not isinstance(self.websocket, ClosingAdapter):
            await super().run_operation(operation)
            return
        try:
            await self._run_sharing(operation, streams, self.websocket)
            await operation.send_operation_message({"id": operation.id, "type": "complete"})
        except OperationStreamClosed:
            return
        except Exception as error:
            # As strawberry's run_operation: log, complete, forget the operation.
            await self.handle_task_exception(error)
            with suppress(Exception):
                await operation.send_operation_message({"id": operation.id, "type": "complete"})
            self.forget_operation(operation.id)
            raise

    async def _open(self, operation: Operation[Context, None], context: Context) -> Any:
        return await self.schema.stream(
            operation.query,
            variable_values=operation.variables,
            context_value=context,
            root_value=self.root_value,
            operation_name=operation.operation_name,
        )

    def _start_pump(self, pump: Pump, streams: Streams) -> asyncio.Task[None]:
        encode = self.view.encode_json
        task = asyncio.create_task(pump.run(lambda payload: str(encode(payload)), streams))
        task.add_done_callback(_pump_done)
        return task

    async def _run_sharing(
        self, operation: Operation[Context, None], streams: Streams, socket: ClosingAdapter
    ) -> None:
        """Its own execution until the shared one covers the rest, then the shared."""
        context = dataclasses.replace(self.context, position=None)
        key = stream_key(operation.query, operation.operation_name, operation.variables, context)
        sink: Sink | None = None
        try:
            sink, last = await self._run_own(operation, context, streams, key)
            if sink is None:
                return
            await sink.drain(_SharedWriter(operation, socket, last))
        except FellBehind as behind:
            await socket.close(FELL_BEHIND_CLOSE_CODE, behind.reason)
            raise OperationStreamClosed from behind
        finally:
            if sink is not None:
                streams.leave(key, sink)

    async def _run_own(
        self,
        operation: Operation[Context, None],
        context: Context,
        streams: Streams,
        key: Key,
    ) -> tuple[Sink | None, int | None]:
        """Sends its own results; a sink to go on with, and the last position sent."""
        sink: Sink | None = None
        last: int | None = None
        shareable = True
        handed_over = False
        source: Any = None
        try:
            source = await self._open(operation, context)
            first = True
            async for result in source:
                if first and isinstance(result, PreExecutionError):
                    await self.send_pre_execution_error(operation, result)
                    return None, None
                if not isinstance(result, ExecutionResult):
                    await self.reject_incremental_delivery(operation)
                    return None, None
                first = False
                streams.executions += 1
                position = context.position
                if sink is not None and (sink.ended or sink.overflowed):
                    # The shared execution stopped, or got too far ahead while this
                    # one caught up: it goes on alone, at its own pace.
                    streams.leave(key, sink)
                    sink, shareable = None, False
                if sink is not None and _beyond(position, sink.covered()):
                    # Nothing is left between what it sent and what the shared
                    # execution covers: this result and the next come from it.
                    handed_over = True
                    return sink, last
                await operation.send_next(result)
                last = position
                if shareable and sink is None and position is not None:
                    sink = streams.join(
                        key, context, source, lambda pump: self._start_pump(pump, streams)
                    )
                    if sink.pump.source is source:
                        source = None  # the pump's now: it covers what was sent
                if sink is not None and _beyond(last, sink.covered(), or_at=True):
                    handed_over = True
                    return sink, last
            return None, None  # the stream ended on its own
        except GraphQLError as error:
            # As send_result_stream: a parser extension raised instead of returning.
            self.schema.process_errors([error])
            await operation.send_initial_errors([error])
            return None, None
        finally:
            if sink is not None and not handed_over:
                streams.leave(key, sink)
            aclose = getattr(source, "aclose", None)
            if aclose is not None:
                with suppress(Exception):  # as strawberry's aclosing
                    await aclose()


class _SharedWriter:
    """Writes the shared results after ``last`` (what its own execution sent) to one
    subscription's socket; called by the pump, so it starts the write and leaves what
    has to wait for the socket to the subscription's task (streams.started)."""

    __slots__ = ("last", "operation", "prefix", "socket")

    def __init__(
        self, operation: Operation[Context, None], socket: ClosingAdapter, last: int | None
    ) -> None:
        self.operation = operation
        self.socket = socket
        self.last = last
        self.prefix = f'{{"id": {json.dumps(operation.id)}, "type": "next", "payload": '

    def __call__(self, item: Shared) -> Awaitable[None] | None:
        if self.operation.completed:
            return None
        if self.last is not None and item.position <= self.last:
            return None  # sent from its own execution
        self.last = item.position
        return started(self.socket.send_text(self.prefix + item.payload + "}"))


def _beyond(position: int | None, coverage: int | None, *, or_at: bool = False) -> bool:
    if position is None or coverage is None:
        return False
    return position >= coverage if or_at else position > coverage


def _pump_done(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("a shared subscription stream failed", exc_info=task.exception())
