"""Light graphql-transport-ws subscribers for the fan-out benches.

10,000 subscribers in one client process read ~10,000 messages a change. With the
``websockets`` client each message costs a task wake-up (its reader's ``async for``),
a queue and the library's frame and UTF-8 handling: at 10,000 the client process
used 90 % of a core and its own latency was most of the figure. Here each connection
is an ``asyncio.Protocol`` that parses the server's frames in ``data_received`` and
hands each text message to a callback with the time it came: no task per connection.

It speaks only what the benches need: the opening handshake, the client's masked
frames for ``connection_init``, ``subscribe`` and the close, and the server's
unfragmented, unmasked frames (the server sends nothing else: no compression is
negotiated, no ping is sent).
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from bench.common import STAFF_TOKEN, now

OnMessage = Callable[[float, bytes], None]  # (when it came, the message's JSON text)

_TEXT, _CLOSE, _PING = 0x1, 0x8, 0x9
HANDSHAKE_SECONDS = 30.0


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


class Subscriber(asyncio.Protocol):
    """One connection; ``on_message`` gets every text message after the ack."""

    def __init__(self, on_message: OnMessage) -> None:
        self.on_message = on_message
        self.transport: asyncio.Transport | None = None
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.acked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
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
                self.on_message(now(), payload)
            elif b'"connection_ack"' in payload:
                self.acked.set_result(None)
            else:
                self.acked.set_exception(ConnectionError(f"refused: {payload[:200]!r}"))
        elif opcode == _CLOSE:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            if not self.closed.done():
                self.closed.set_result(code)
            self.close()
        elif opcode == _PING:
            self.send(0xA, payload)

    def send(self, opcode: int, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(_frame(opcode, payload))

    def send_json(self, message: dict[str, Any]) -> None:
        self.send(_TEXT, json.dumps(message).encode())

    def close(self) -> None:
        """Close frame, then the socket (the server need not answer it first)."""
        if self.transport is not None and not self.transport.is_closing():
            self.send(_CLOSE, (1000).to_bytes(2, "big"))
            self.transport.close()


async def subscriber(
    http_url: str,
    query: str,
    on_message: OnMessage,
    variables: dict[str, Any] | None = None,
    op_id: str = "1",
) -> Subscriber:
    """A staff connection to the API at ``http_url``, subscribed to ``query``."""
    parts = urlsplit(http_url)
    loop = asyncio.get_running_loop()
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    _, connection = await loop.create_connection(lambda: Subscriber(on_message), host, port)
    key = base64.b64encode(os.urandom(16)).decode()
    assert connection.transport is not None
    connection.transport.write(
        (
            f"GET {parts.path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
        ).encode()
    )
    try:
        async with asyncio.timeout(HANDSHAKE_SECONDS):
            await connection.opened
            connection.send_json(
                {"type": "connection_init", "payload": {"authorization": f"Bearer {STAFF_TOKEN}"}}
            )
            await connection.acked
    except BaseException:
        connection.close()
        raise
    payload: dict[str, Any] = {"query": query}
    if variables is not None:
        payload["variables"] = variables
    connection.send_json({"id": op_id, "type": "subscribe", "payload": payload})
    return connection
