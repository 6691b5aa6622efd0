"""Webhook handlers: a real HTTP endpoint per test, reached through the real runner."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

import main
from backend.errors import HandlersConfigError
from backend.registry import Registry
from backend.settings import Settings
from backend.webhooks import (
    MAX_RETRY_AFTER_SECONDS,
    WebhookFailed,
    answer_error,
    read_config,
    retry_after_seconds,
)
from handlers.sdk import Context, Event, HandlerDefinition, PermanentError, RetryAfter
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import GraphQLHTTP

WAIT_SECONDS = 10.0


# -- a real endpoint -------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    hold: bool = False  # answer only once the test ends (the runner's timeout cuts it)


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic() on arrival
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class Endpoint:
    """An HTTP server on an ephemeral port that answers POSTs from a script, in order."""

    def __init__(self, *script: Answer) -> None:
        self.script = list(script)
        self.received: list[Received] = []
        self.released = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                endpoint.received.append(
                    Received(time.monotonic(), self.path, dict(self.headers.items()), body)
                )
                answer = endpoint.script.pop(0) if endpoint.script else Answer()
                if answer.hold:
                    endpoint.released.wait(WAIT_SECONDS)
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body.encode())))
                self.end_headers()
                self.wfile.write(answer.body.encode())

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a client that gave up (the runner's timeout) is expected here

        self.server = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/receipts"

    def __enter__(self) -> Endpoint:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


def config(url: str, events: str = '["order_placed"]', **extra: str) -> str:
    lines = [
        "[[webhook]]",
        'name = "print_receipts"',
        f'url = "{url}"',
        f"events = {events}",
        *(f"{key} = {value}" for key, value in extra.items()),
    ]
    return "\n".join(lines) + "\n"


@dataclass
class Rig:
    endpoint: Endpoint
    staff: GraphQLHTTP

    async def place_order(self) -> dict[str, Any]:
        placed: dict[str, Any] = (await self.staff.place(("margherita", 2), channel="COUNTER"))[
            "order"
        ]
        return placed

    async def delivery(self, event_type: str, *statuses: str) -> dict[str, Any]:
        """Wait until the webhook's delivery of the ``event_type`` event reaches ``statuses``."""
        query = """query($type: String) { events(type: $type) {
            id createdAt
            deliveries { handler status attempts lastError
                         invocations { attempt outcome error } } } }"""
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            found = (await self.staff.data(query, {"type": event_type}))["events"]
            if found and found[0]["deliveries"][0]["status"] in statuses:
                event: dict[str, Any] = found[0]
                return event
            assert time.monotonic() < deadline, f"still {found}"
            await asyncio.sleep(0.01)


@pytest.fixture
async def rig(tmp_path: Path, db_path: Path) -> AsyncIterator[Callable[..., Awaitable[Rig]]]:
    """Start an endpoint answering ``answers`` and a backend whose one handler is its webhook."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(*answers: Answer, url: str | None = None, **options: str) -> Rig:
            endpoint = stack.enter_context(Endpoint(*answers))
            path = tmp_path / "handlers.toml"
            path.write_text(config(url or endpoint.url, **options))
            backend = stack.enter_context(running(db_path, Registry([]), handlers_config=path))
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=WAIT_SECONDS))
            return Rig(endpoint, GraphQLHTTP(http, backend.url, STAFF_TOKEN))

        yield start


Start = Callable[..., Awaitable[Rig]]


def outcomes(event: dict[str, Any]) -> list[str]:
    return [i["outcome"] for i in event["deliveries"][0]["invocations"]]


# -- through the runner ----------------------------------------------------------------


async def test_the_payload_is_hasuras_event_trigger_shape(rig: Start) -> None:
    r = await rig(
        Answer(status=202),
        events='["order_placed", "menu_item_changed"]',
        max_attempts="3",
        headers='{ Authorization = "Bearer abc" }',
    )
    order = await r.place_order()
    event = await r.delivery("order_placed", "SUCCEEDED")
    assert event["deliveries"][0]["attempts"] == 1
    assert outcomes(event) == ["SUCCEEDED"]
    [received] = r.endpoint.received
    assert received.path == "/hooks/receipts"
    assert received.headers["Authorization"] == "Bearer abc"
    assert received.headers["Content-Type"] == "application/json"
    assert received.headers["Idempotency-Key"] == f"{event['id']}:print_receipts"
    body = received.body
    assert datetime.fromisoformat(body.pop("created_at")) == datetime.fromisoformat(
        event["createdAt"]
    )
    new = body["event"]["data"].pop("new")
    assert (new["id"], new["status"], new["totalCents"]) == (order["id"], "PLACED", 2400)
    assert new["items"][0]["menuItemId"] == "margherita"
    assert body == {
        "id": event["id"],
        "trigger": {"name": "print_receipts"},
        "table": {"schema": "public", "name": "orders"},
        "event": {
            "op": "INSERT",
            "data": {"old": None},
            "session_variables": {"x-hasura-role": "handler"},
        },
        "delivery_info": {"current_retry": 0, "max_retries": 2},
        "type": "order_placed",
    }

    await r.staff.data(
        'mutation { setMenuItemAvailable(menuItemId: "diavola", available: false) { id } }'
    )
    await r.delivery("menu_item_changed", "SUCCEEDED")
    body = r.endpoint.received[1].body
    assert (body["table"]["name"], body["event"]["op"], body["type"]) == (
        "menu_items",
        "UPDATE",
        "menu_item_changed",
    )
    assert body["event"]["data"]["new"]["id"] == "diavola"
    assert body["event"]["data"]["new"]["available"] is False


async def test_a_500_is_retried_until_a_2xx(rig: Start) -> None:
    r = await rig(Answer(status=500, body="database is down"), Answer(status=204))
    await r.place_order()
    event = await r.delivery("order_placed", "SUCCEEDED")
    assert outcomes(event) == ["FAILED", "SUCCEEDED"]
    failure = event["deliveries"][0]["invocations"][0]["error"]
    assert "HTTP 500" in failure and "database is down" in failure
    assert [b.body["delivery_info"]["current_retry"] for b in r.endpoint.received] == [0, 1]


async def test_retry_after_is_honoured(rig: Start) -> None:
    r = await rig(Answer(status=503, headers={"Retry-After": "1"}), Answer())
    await r.place_order()
    event = await r.delivery("order_placed", "SUCCEEDED")
    assert outcomes(event) == ["FAILED", "SUCCEEDED"]
    assert "retry after 1 s" in event["deliveries"][0]["invocations"][0]["error"]
    first, second = r.endpoint.received
    assert second.at - first.at >= 1.0


async def test_a_slow_endpoint_times_out_and_is_tried_again(rig: Start) -> None:
    r = await rig(Answer(hold=True), Answer(), timeout_seconds="0.5")
    await r.place_order()
    event = await r.delivery("order_placed", "SUCCEEDED")
    # Only the first answer is held; on a loaded machine a later attempt may time out too.
    assert outcomes(event)[0] == "TIMED_OUT" and outcomes(event)[-1] == "SUCCEEDED"
    assert "timed out after 0.5 s" in event["deliveries"][0]["invocations"][0]["error"]


async def test_a_404_is_dead_at_once(rig: Start) -> None:
    r = await rig(Answer(status=404), Answer(), max_attempts="5")
    await r.place_order()
    event = await r.delivery("order_placed", "DEAD")
    assert outcomes(event) == ["FAILED"]
    assert "HTTP 404" in event["deliveries"][0]["lastError"]
    assert len(r.endpoint.received) == 1


async def test_an_unreachable_endpoint_is_a_failed_attempt(rig: Start) -> None:
    with socket.socket() as probe:  # a port nobody listens on once this closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    r = await rig(url=f"http://127.0.0.1:{port}/hook", max_attempts="1")
    await r.place_order()
    event = await r.delivery("order_placed", "DEAD")
    assert outcomes(event) == ["FAILED"]
    assert f"POST http://127.0.0.1:{port}/hook: ConnectError" in event["deliveries"][0]["lastError"]


# -- what an answer means (pure) -------------------------------------------------------

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("0", 0.0),
        ("7", 7.0),
        (" 120 ", 120.0),
        ("999999", MAX_RETRY_AFTER_SECONDS),
        (format_datetime(NOW + timedelta(seconds=30), usegmt=True), 30.0),
        (format_datetime(NOW - timedelta(seconds=30), usegmt=True), 0.0),
        ("Wed, 26 Nov 2026 12:01:00", 60.0),  # no zone: HTTP dates are GMT
        ("-5", None),
        ("soon", None),
        ("1.5", None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (200, {}, None),
        (201, {}, None),
        (204, {}, None),
        (299, {}, None),
        (500, {}, WebhookFailed),
        (502, {}, WebhookFailed),
        (408, {}, WebhookFailed),
        (425, {}, WebhookFailed),
        (429, {}, WebhookFailed),
        (429, {"Retry-After": "3"}, RetryAfter),
        (503, {"Retry-After": "3"}, RetryAfter),
        (404, {"Retry-After": "3"}, RetryAfter),
        (400, {}, PermanentError),
        (401, {}, PermanentError),
        (403, {}, PermanentError),
        (404, {}, PermanentError),
        (422, {}, PermanentError),
        (301, {"Location": "https://elsewhere/"}, PermanentError),
        (503, {"Retry-After": "never"}, WebhookFailed),
    ],
)
def test_what_an_answer_means(
    status: int, headers: dict[str, str], expected: type[Exception] | None
) -> None:
    response = httpx.Response(
        status, headers=headers, request=httpx.Request("POST", "http://hook/")
    )
    error = answer_error(response, NOW)
    assert (None if error is None else type(error)) is expected
    if isinstance(error, RetryAfter):
        assert error.seconds == 3.0
    if status == 301:
        assert "https://elsewhere/" in str(error)


# -- the configuration file ------------------------------------------------------------

GOOD = config("http://127.0.0.1:9000/hooks/receipts")


def test_a_good_file_gives_handler_definitions(tmp_path: Path) -> None:
    path = tmp_path / "handlers.toml"
    path.write_text(
        GOOD
        + config("https://hooks.example/loyalty", '["order_completed"]').replace(
            "print_receipts", "crm"
        )
        + "timeout_seconds = 2.5\nmax_attempts = 3\nconcurrency = 2\n"
        + 'headers = { "X-Api-Key" = "k" }\n'
    )
    first, second = read_config(path, taken={"validate_order"})
    assert (first.name, first.url, first.events) == (
        "print_receipts",
        "http://127.0.0.1:9000/hooks/receipts",
        ("order_placed",),
    )
    assert (second.name, second.events, second.timeout_seconds) == (
        "crm",
        ("order_completed",),
        2.5,
    )
    assert (second.max_attempts, second.concurrency, second.headers) == (3, 2, {"X-Api-Key": "k"})


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("[[webhook]\n", "not valid TOML"),
        ("[webhooks]\n", "unknown top-level key 'webhooks' (did you mean 'webhook'?)"),
        ('webhook = "x"\n', "write each entry as [[webhook]]"),
        (GOOD + "urll = 1\n", "entry 1 (name = 'print_receipts'): unknown key 'urll'"),
        (GOOD.replace('name = "print_receipts"\n', ""), "entry 1: 'name' is missing; add"),
        (GOOD.replace("url = ", "# "), "'url' is missing; add a line like url ="),
        (GOOD.replace("events = ", "# "), "'events' is missing"),
        (GOOD.replace("print_receipts", "Print Receipts"), "is not a handler name"),
        (GOOD.replace("http://", "ftp://"), "is not an http(s) URL"),
        (GOOD.replace("http://127.0.0.1:9000", "http://"), "is not an http(s) URL"),
        (GOOD.replace('["order_placed"]', "[]"), "events must be a non-empty list"),
        (GOOD.replace("order_placed", "order_payed"), "unknown event type 'order_payed'"),
        (GOOD.replace('"order_placed"', '"order_paid", "order_paid"'), "an event type twice"),
        (GOOD + "timeout_seconds = 0\n", "timeout_seconds = 0 is out of range; use a number"),
        (GOOD + "timeout_seconds = 1000\n", "from more than 0 to 300"),
        (GOOD + 'timeout_seconds = "5"\n', "timeout_seconds = '5' is out of range"),
        (GOOD + "max_attempts = 2.5\n", "max_attempts = 2.5 is out of range; use a whole"),
        (GOOD + "max_attempts = 0\n", "from 1 to 100"),
        (GOOD + "max_attempts = true\n", "max_attempts = True is out of range"),
        (GOOD + "concurrency = -1\n", "concurrency = -1 is out of range"),
        (GOOD + 'headers = "Bearer"\n', "headers must be a table"),
        (GOOD + 'headers = { "Bad Name" = "x" }\n', "not a valid HTTP header name"),
        (GOOD + "headers = { X-Count = 3 }\n", "must be a one-line string"),
        (GOOD + GOOD, "entry 2 (name = 'print_receipts'): the name 'print_receipts' is used"),
        (GOOD.replace("print_receipts", "validate_order"), "taken by a built-in handler"),
    ],
)
def test_a_bad_file_is_refused_clearly(tmp_path: Path, text: str, complaint: str) -> None:
    path = tmp_path / "handlers.toml"
    path.write_text(text)
    with pytest.raises(HandlersConfigError) as caught:
        read_config(path, taken={"validate_order"})
    assert str(caught.value).startswith(f"{path}")
    assert complaint in str(caught.value)


def test_a_missing_file_is_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(HandlersConfigError, match=r"cannot read the file .*--handlers-config"):
        read_config(tmp_path / "nowhere.toml")


def test_the_backend_refuses_a_webhook_named_like_a_handler(tmp_path: Path) -> None:
    registry = Registry([HandlerDefinition("print_receipts", ("order_paid",), noop)])
    path = tmp_path / "handlers.toml"
    path.write_text(GOOD)
    settings = Settings(db_path=tmp_path / "p.db", port=0, handlers_config=path)
    with pytest.raises(HandlersConfigError, match="taken by a built-in handler"):
        main.restaurant_backend(settings, registry)


async def noop(event: Event, ctx: Context) -> None:
    pass


# -- the command line ------------------------------------------------------------------


def test_the_command_line_takes_a_handlers_config() -> None:
    assert main.parse_args(["--handlers-config", "hooks.toml"]).handlers_config == Path(
        "hooks.toml"
    )
    assert main.parse_args([]).handlers_config is None


def test_main_says_what_is_wrong_with_the_file_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "handlers.toml"
    path.write_text(GOOD.replace("order_placed", "order_payed"))
    argv = ["--headless", "--db", str(tmp_path / "p.db"), "--port", "0"]
    assert main.main([*argv, "--handlers-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"passline: cannot start: {path}, [[webhook]] entry 1")
    assert "did you mean 'order_placed' or 'order_paid'?" in err
