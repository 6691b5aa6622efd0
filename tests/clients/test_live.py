"""The one GraphQL client on plain asyncio (no Qt): against a real backend on an
ephemeral port, one that stops and comes back, and addresses where no Passline listens."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.typing import Subprotocol

from backend.embedded import Backend
from backend.settings import Settings
from clients import probe
from clients.graphql import GraphQLError, HttpApi, NotGraphQL, Unreachable
from clients.live import CLOSE_GRACE_SECONDS, ConnectionState, LiveClient
from clients.reconnect import ReconnectBackoff
from main import restaurant_backend
from tests.conftest import STAFF_TOKEN
from tests.graphql_client import GraphQLWS, order_input

WAIT_SECONDS = 10.0
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }"""
CHANGES = """subscription($after: Int) {
  orderChanges(afterSeq: $after) { seq order { id status } }
}"""


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` (changes come from callbacks and other threads: polled)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)


def free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port: int = probe_socket.getsockname()[1]
    return port


async def replayed(url: str, after: int, through: int) -> list[int]:
    """The seqs of the order changes after ``after`` through ``through``, as a fresh
    subscription replays them."""
    ws = await GraphQLWS.connect(url, STAFF_TOKEN)
    try:
        await ws.subscribe("replay", CHANGES, {"after": after})
        seqs: list[int] = []
        while not seqs or seqs[-1] < through:
            seqs.append((await ws.next_data("replay"))["orderChanges"]["seq"])
    finally:
        await ws.close()
    return seqs


async def test_a_subscription_resumes_from_its_cursor_across_a_backend_restart(
    tmp_path: Path,
) -> None:
    settings = Settings(db_path=tmp_path / "p.db", port=free_port(), staff_token=STAFF_TOKEN)
    first = restaurant_backend(settings)
    first.start()
    states: list[ConnectionState] = []
    seen: list[tuple[int, str, str]] = []  # (seq, order id, status)
    client = LiveClient(first.url, STAFF_TOKEN, on_state=states.append)
    client.backoff = ReconnectBackoff(first=0.05, cap=0.2)

    def on_change(data: dict[str, Any]) -> None:
        change = data["orderChanges"]
        seen.append((change["seq"], change["order"]["id"], change["order"]["status"]))

    def in_kitchen(order_id: str) -> bool:
        return (order_id, "IN_KITCHEN") in {(order, status) for _, order, status in seen}

    # From the start, then from the last change seen: asked again on every reconnect.
    client.subscribe(CHANGES, lambda: {"after": seen[-1][0] if seen else 0}, on_change)
    await client.start()
    second: Backend | None = None
    try:
        await until(lambda: client.state == "connected")
        placed = await client.execute(PLACE, {"input": order_input(channel="COUNTER")})
        await until(lambda: in_kitchen(placed["placeOrder"]["order"]["id"]))
        first.stop()
        await until(lambda: client.state == "reconnecting")
        second = restaurant_backend(settings)
        second.start()
        # Placed at once, likely before the client is back: it must see it all the same.
        async with httpx.AsyncClient(timeout=WAIT_SECONDS) as http:
            api = HttpApi(http, second.url, STAFF_TOKEN)
            again = await api.execute(PLACE, {"input": order_input(channel="COUNTER")})
        await until(lambda: in_kitchen(again["placeOrder"]["order"]["id"]))
        seqs = [seq for seq, _, _ in seen]
        assert seqs == await replayed(second.url, 0, seqs[-1])  # none lost, none twice
    finally:
        await client.close()
        if second is not None:
            second.stop()
    assert states[:2] == ["connecting", "connected"]
    assert "reconnecting" in states and states[-1] == "offline"
    assert all(a != b for a, b in itertools.pairwise(states))  # only real changes


class _Plain(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(b"hello, I am not a GraphQL API")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def plain_http() -> Iterator[str]:
    """The URL of a real web server that is no GraphQL API."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Plain)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/graphql"
    server.shutdown()
    server.server_close()
    thread.join()


async def test_errors_keep_the_api_code_and_say_when_nothing_answered(
    backend: Backend, plain_http: str
) -> None:
    async with httpx.AsyncClient(timeout=WAIT_SECONDS) as http:
        staff = HttpApi(http, backend.url, STAFF_TOKEN)
        with pytest.raises(GraphQLError) as refused:
            await staff.execute(PLACE, {"input": {**order_input(), "items": []}})
        assert (refused.value.code, refused.value.field) == ("BAD_USER_INPUT", "items")
        with pytest.raises(GraphQLError) as denied:
            await staff.as_caller(None).execute("{ handlers { name } }")
        assert denied.value.code == "UNAUTHENTICATED"
        with pytest.raises(NotGraphQL):
            await HttpApi(http, plain_http).execute("{ x }")
        with pytest.raises(Unreachable) as unreachable:
            await HttpApi(http, f"http://127.0.0.1:{free_port()}/graphql").execute("{ x }")
        assert unreachable.value.message.startswith("cannot reach the backend: ConnectError")


@pytest.fixture
def not_http() -> Iterator[int]:
    """A port where a program that speaks no HTTP accepts connections and closes them."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


def test_the_probe_tells_this_passline_from_another_and_from_another_program(
    backend: Backend, not_http: int, plain_http: str
) -> None:
    host, port = "127.0.0.1", int(backend.url.split(":")[2].split("/")[0])
    assert probe.already_running(host, free_port(), backend.url, STAFF_TOKEN) is None
    assert probe.already_running(host, port, backend.url, STAFF_TOKEN) == (
        backend.url,
        STAFF_TOKEN,
    )
    other = probe.already_running(host, port, backend.url, "another database's token")
    assert isinstance(other, str) and other.startswith("another Passline, on a different")
    program = probe.already_running(host, not_http, f"http://{host}:{not_http}/graphql", "t")
    assert isinstance(program, str) and program.startswith(f"another program listens on {host}")
    assert f"--port {not_http + 1}" in program
    web_port = int(plain_http.split(":")[2].split("/", maxsplit=1)[0])
    web = probe.already_running(host, web_port, plain_http, STAFF_TOKEN)
    assert isinstance(web, str) and web.startswith("another program listens")


async def test_closing_does_not_wait_long_for_a_server_that_never_answers_the_close() -> None:
    """A window closing must not hang on the backend's half of the closing handshake."""
    closed = asyncio.Event()

    async def ack_then_stop_reading(connection: ServerConnection) -> None:
        await connection.recv()  # connection_init
        await connection.send(json.dumps({"type": "connection_ack"}))
        connection.transport.pause_reading()  # the client's close frame is never read
        await closed.wait()
        connection.transport.abort()

    async with serve(
        ack_then_stop_reading, "127.0.0.1", 0, subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        client = LiveClient(f"http://127.0.0.1:{port}/graphql", STAFF_TOKEN)
        await client.start()
        await until(lambda: client.state == "connected")
        started = time.monotonic()
        async with asyncio.timeout(WAIT_SECONDS):
            await client.close()
        assert time.monotonic() - started < CLOSE_GRACE_SECONDS + 2.0  # not websockets' 10 s
        assert client.state == "offline"
        closed.set()
