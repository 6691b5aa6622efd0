"""Light ``graphql-transport-ws`` subscribers: thousands in one process, one subscription
each, no task per connection or per message (the fan-out benchmarks' 10,000 clients).

With :class:`clients.graphql.Connection` (the ``websockets`` client) each message costs
a task wake-up (its reader's ``async for``), a queue and the library's frame and UTF-8
handling: at 10,000 subscribers the client process used 90 % of a core and its own
latency was most of the figure. Here each connection is an ``asyncio.Protocol`` that
parses the server's frames in ``data_received`` and hands each text message, undecoded,
to a callback with the time it came. The messages it sends are clients/graphql.py's.

It speaks only what a subscriber needs: the opening handshake, the client's masked
frames for ``connection_init``, ``subscribe``, ``pong`` and the close, and the server's
unfragmented, unmasked frames (the server sends nothing else: no compression is
negotiated). Anything richer (several operations, reconnecting, errors as exceptions)
is clients/graphql.py's or clients/live.py's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from clients.graphql import (
    GRAPHQL_TRANSPORT_WS,
    ClientMessage,
    Variables,
    init_message,
    subscribe_message,
)

OnMessage = Callable[[float, bytes], None]  # (when it came, the message's JSON text)

HANDSHAKE_SECONDS = 30.0
_TEXT, _CLOSE, _PING, _PONG = 0x1, 0x8, 0x9, 0xA
_NORMAL_CLOSURE = (1000).to_bytes(2, "big")


def _frame(opcode: int, payload: bytes) -> bytes:
    """A client frame: final, masked (RFC 6455 5.3)."""
    mask = os.urandom(4)
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, 0x80 | size))
    elif size < 1 << 16:
        head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    key = int.from_bytes((mask * (size // 4 + 1))[:size], "big")
    masked = (int.from_bytes(payload, "big") ^ key).to_bytes(size, "big")
    return head + mask + masked


class LightSubscriber(asyncio.Protocol):
    """One connection; ``on_message`` gets every text message after the ack, with
    ``clock()`` read as it was parsed."""

    def __init__(self, on_message: OnMessage, clock: Callable[[], float]) -> None:
        self.on_message = on_message
        self.clock = clock
        self.transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.opened: asyncio.Future[None] = loop.create_future()
        self.acked: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int | None] = loop.create_future()  # the server's code
        self._buffer = bytearray()
        self._upgraded = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        for future in (self.opened, self.acked):
            if not future.done():
                future.set_exception(ConnectionError(f"connection lost: {exc}"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer += data
        if not self._upgraded:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            status = bytes(buffer[:end]).split(b"\r\n", 1)[0]
            if b" 101 " not in status:
                self.opened.set_exception(ConnectionError(f"no upgrade: {status!r}"))
                return
            del buffer[: end + 4]
            self._upgraded = True
            self.opened.set_result(None)
        while True:
            size = len(buffer)
            if size < 2:
                return
            length, start = buffer[1] & 0x7F, 2
            if length == 126:
                if size < 4:
                    return
                length, start = int.from_bytes(buffer[2:4], "big"), 4
            elif length == 127:
                if size < 10:
                    return
                length, start = int.from_bytes(buffer[2:10], "big"), 10
            end = start + length
            if size < end:
                return
            opcode = buffer[0] & 0x0F
            payload = bytes(buffer[start:end])
            del buffer[:end]
            self._frame(opcode, payload)

    def _frame(self, opcode: int, payload: bytes) -> None:
        if opcode == _TEXT:
            if self.acked.done():
                self.on_message(self.clock(), payload)
            else:
                self._first(payload)
        elif opcode == _CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            if not self.closed.done():
                self.closed.set_result(code)
            self.close()
        elif opcode == _PING:
            self.send(_PONG, payload)

    def _first(self, payload: bytes) -> None:
        """The server's answer to ``connection_init``."""
        try:
            message = json.loads(payload)
        except ValueError:
            message = None
        if isinstance(message, dict) and message.get("type") == "connection_ack":
            self.acked.set_result(None)
        else:
            self.acked.set_exception(ConnectionError(f"refused: {payload[:200]!r}"))

    def send(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(opcode, payload))

    def send_message(self, message: ClientMessage) -> None:
        self.send(_TEXT, json.dumps(message).encode())

    def close(self) -> None:
        """Close frame, then the socket (the server need not answer it first)."""
        if self.transport is not None and not self.transport.is_closing():
            self.send(_CLOSE, _NORMAL_CLOSURE)
            self.transport.close()


async def light_subscriber(
    http_url: str,
    token: str | None,
    query: str,
    on_message: OnMessage,
    variables: Variables | None = None,
    *,
    op_id: str = "1",
    clock: Callable[[], float] = time.perf_counter,
    handshake_timeout: float = HANDSHAKE_SECONDS,
) -> LightSubscriber:
    """A connection to the API at ``http_url`` as ``token``, acknowledged and subscribed to
    ``query``; ``ConnectionError`` when the server refuses it."""
    parts = urlsplit(http_url)
    loop = asyncio.get_running_loop()
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    _, connection = await loop.create_connection(
        lambda: LightSubscriber(on_message, clock), host, port
    )
    key = base64.b64encode(os.urandom(16)).decode()
    assert connection.transport is not None
    connection.transport.write(
        (
            f"GET {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {GRAPHQL_TRANSPORT_WS}\r\n\r\n"
        ).encode()
    )
    try:
        async with asyncio.timeout(handshake_timeout):
            await connection.opened
            connection.send_message(init_message(token))
            await connection.acked
    except BaseException:
        connection.close()
        raise
    connection.send_message(subscribe_message(op_id, query, variables))
    return connection
