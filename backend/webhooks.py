"""Webhook handlers: extra handlers declared in a TOML file, each an HTTP endpoint.

The file (``--handlers-config``) holds one ``[[webhook]]`` table per handler::

    [[webhook]]
    name = "print_receipts"                      # lowercase, digits, _; unique
    url = "http://127.0.0.1:9000/hooks/receipts"  # http or https
    events = ["order_paid", "order_completed"]   # handlers.sdk.EventType values
    timeout_seconds = 5                          # optional, per attempt
    max_attempts = 5                             # optional
    concurrency = 4                              # optional, attempts at once
    headers = { Authorization = "Bearer abc" }   # optional, sent with every POST

Each delivery is one POST of Hasura's event-trigger payload (plus our event ``type``),
so a function written for Hasura runs unchanged. Every webhook of a backend shares one
pooled :class:`WebhookClient`, which the backend closes on shutdown.
"""

from __future__ import annotations

import difflib
import email.utils
import logging
import re
import tomllib
from collections.abc import Collection, Container, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NoReturn, TypedDict
from urllib.parse import urlsplit

import httpx

from backend.errors import HandlersConfigError
from handlers.sdk import (
    DEFAULT_CONCURRENCY,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_TIMEOUT_SECONDS,
    Context,
    Event,
    EventType,
    HandlerDefinition,
    PermanentError,
    RetryAfter,
)

log = logging.getLogger(__name__)

MAX_TIMEOUT_SECONDS = 300.0
MAX_ATTEMPTS = 100
MAX_CONCURRENCY = 64
# A Retry-After longer than this is taken as this: a bogus header must not park a
# delivery for days without anyone noticing.
MAX_RETRY_AFTER_SECONDS = 3600.0
# httpx gives up this much after the runner's own timeout, so that a slow endpoint
# shows as the runner's TIMED_OUT outcome rather than as an httpx error.
HTTP_TIMEOUT_MARGIN_SECONDS = 1.0
ERROR_BODY_CHARS = 200
# 4xx answers that mean "not now" rather than "never" (RFC 9110, RFC 8470, RFC 6585).
TRANSIENT_CLIENT_ERRORS = frozenset({408, 425, 429})

KEYS = ("name", "url", "events", "timeout_seconds", "max_attempts", "concurrency", "headers")
NAME_PATTERN = re.compile(r"[a-z][a-z0-9_]{0,63}")
HEADER_NAME_PATTERN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


# -- the wire payload (Hasura's event trigger) -----------------------------------------


class HasuraTrigger(TypedDict):
    name: str


class HasuraTable(TypedDict):
    schema: str
    name: str


class HasuraData(TypedDict):
    old: dict[str, Any] | None
    new: dict[str, Any]


class HasuraEvent(TypedDict):
    op: Literal["INSERT", "UPDATE"]
    data: HasuraData
    session_variables: dict[str, str]


class HasuraDeliveryInfo(TypedDict):
    current_retry: int
    max_retries: int


class WebhookPayload(TypedDict):
    id: str
    created_at: str
    trigger: HasuraTrigger
    table: HasuraTable
    event: HasuraEvent
    delivery_info: HasuraDeliveryInfo
    type: str  # ours: the event type (Hasura has only the table and op)


# The table each event type is about, and the payload key holding that row's snapshot.
ROWS: Mapping[str, tuple[str, str]] = {EventType.MENU_ITEM_CHANGED: ("menu_items", "menuItem")}
ORDER_ROW = ("orders", "order")


def hasura_payload(event: Event, trigger: str, max_attempts: int) -> WebhookPayload:
    """The body POSTed for one attempt of ``event`` to the webhook ``trigger``."""
    table, key = ROWS.get(event.type, ORDER_ROW)
    snapshot = event.payload.get(key)
    new = dict(snapshot) if isinstance(snapshot, Mapping) else dict(event.payload)
    return {
        "id": event.id,
        "created_at": event.created_at,
        "trigger": {"name": trigger},
        "table": {"schema": "public", "name": table},
        "event": {
            "op": "INSERT" if event.type == EventType.ORDER_PLACED else "UPDATE",
            "data": {"old": None, "new": new},
            "session_variables": {"x-hasura-role": "handler"},
        },
        "delivery_info": {"current_retry": event.attempt - 1, "max_retries": max_attempts - 1},
        "type": event.type,
    }


# -- what an answer means ------------------------------------------------------------


class WebhookFailed(Exception):
    """An attempt failed in a way worth retrying (network error, 5xx, 408/425/429)."""

    def __init__(self, url: str, problem: str, status_code: int | None = None) -> None:
        super().__init__(f"POST {url}: {problem}")
        self.url = url
        self.status_code = status_code


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """A ``Retry-After`` header (delay-seconds or an HTTP date) as seconds from ``now``."""
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return min(float(text), MAX_RETRY_AFTER_SECONDS)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP date is always GMT
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER_SECONDS)


def answer_error(response: httpx.Response, now: datetime) -> Exception | None:
    """What a webhook's answer means for the delivery: None for success, else the error.

    - any 2xx: success;
    - a ``Retry-After`` header on any other answer: ``RetryAfter`` (honoured as given,
      up to ``MAX_RETRY_AFTER_SECONDS``), because the endpoint said when to come back;
    - 408, 425, 429 and every 5xx: ``WebhookFailed``, retried with the handler's backoff;
    - any other 4xx, and 1xx/3xx: ``PermanentError``, so the delivery goes ``DEAD`` at once.

    Hasura retries every non-2xx answer alike. We do not: a 400, 401, 403, 404 or 422
    says the request or the configuration is wrong, and sending the same body again
    cannot fix that; retrying would only burn the attempt budget over minutes of
    backoff and hide the problem. ``DEAD`` puts it in front of staff right away, and
    once the endpoint or the file is fixed, ``retryDead`` sends everything again with a
    fresh budget. An endpoint that does want a 4xx retried can say so with
    ``Retry-After``. Redirects are not followed: put the final URL in the file.
    """
    status = response.status_code
    if 200 <= status < 300:
        return None
    url = str(response.request.url)
    detail = f"HTTP {status} {response.reason_phrase}".rstrip()
    body = response.text.strip()[:ERROR_BODY_CHARS]
    if body:
        detail = f"{detail}: {body}"
    delay = retry_after_seconds(response.headers.get("retry-after"), now)
    if delay is not None:
        return RetryAfter(delay, f"POST {url}: {detail} (retry after {delay:g} s, as asked)")
    if status >= 500 or status in TRANSIENT_CLIENT_ERRORS:
        return WebhookFailed(url, detail, status)
    if 300 <= status < 400:
        where = response.headers.get("location", "elsewhere")
        return PermanentError(
            f"POST {url}: {detail}; the endpoint moved to {where}: "
            "put that URL in the handlers configuration file"
        )
    return PermanentError(
        f"POST {url}: {detail}; retrying the same request cannot help: fix the endpoint "
        "or the handlers configuration file, then retry the dead deliveries"
    )


# -- the HTTP side -------------------------------------------------------------------


class WebhookClient:
    """The one pooled HTTP client of a backend's webhooks; the backend closes it.

    The ``httpx.AsyncClient`` is made on first use, on the loop that uses it (the
    backend's), not where the backend object is built.
    """

    def __init__(self, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def post(
        self, url: str, body: WebhookPayload, headers: Mapping[str, str], seconds: float
    ) -> httpx.Response:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport,
                headers={"User-Agent": "passline-webhooks"},
                follow_redirects=False,
            )
        return await self._client.post(url, json=body, headers=dict(headers), timeout=seconds)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    """One ``[[webhook]]`` entry, checked."""

    name: str
    url: str
    events: tuple[str, ...]
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    concurrency: int = DEFAULT_CONCURRENCY
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Webhook:
    """The handler function of one webhook: one POST an attempt."""

    config: WebhookConfig
    client: WebhookClient

    async def __call__(self, event: Event, ctx: Context) -> None:
        config = self.config
        body = hasura_payload(event, config.name, config.max_attempts)
        # The same key for every attempt and replay: the endpoint's dedup key.
        headers = {**config.headers, "Idempotency-Key": ctx.idempotency_key}
        seconds = config.timeout_seconds + HTTP_TIMEOUT_MARGIN_SECONDS
        try:
            response = await self.client.post(config.url, body, headers, seconds)
        except httpx.HTTPError as exc:
            raise WebhookFailed(config.url, f"{type(exc).__name__}: {exc}") from exc
        error = answer_error(response, datetime.now(UTC))
        if error is not None:
            raise error
        ctx.log.debug("POST %s: HTTP %d", config.url, response.status_code)

    def definition(self) -> HandlerDefinition:
        config = self.config
        return HandlerDefinition(
            name=config.name,
            events=config.events,
            function=self,
            max_attempts=config.max_attempts,
            timeout_seconds=config.timeout_seconds,
            concurrency=config.concurrency,
        )


# -- the configuration file -----------------------------------------------------------


def load_webhooks(
    path: Path, client: WebhookClient, *, taken: Container[str] = ()
) -> list[HandlerDefinition]:
    """The handlers declared in ``path``, POSTing through ``client``.

    ``taken`` are the names of the handlers already known (a webhook may not reuse
    one). Raise :class:`HandlersConfigError` naming the file, the entry and the fix.
    """
    return [Webhook(config, client).definition() for config in read_config(path, taken)]


def read_config(path: Path, taken: Container[str] = ()) -> list[WebhookConfig]:
    """Parse and check the handlers configuration file."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise HandlersConfigError(
            path, f"cannot read the file ({reason}); check the --handlers-config path"
        ) from exc
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HandlersConfigError(
            path, f"not valid TOML ({exc}); fix the syntax (https://toml.io)"
        ) from exc
    for key in document:
        if key != "webhook":
            raise HandlersConfigError(
                path,
                f"unknown top-level key {key!r}{_did_you_mean(key, ['webhook'])}; "
                "the file holds only [[webhook]] tables",
            )
    entries = document.get("webhook", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise HandlersConfigError(
            path, "'webhook' must be an array of tables: write each entry as [[webhook]]"
        )
    configs: list[WebhookConfig] = []
    for number, table in enumerate(entries, start=1):
        entry = _Entry(path, number, table)
        config = entry.parse()
        if config.name in taken:
            entry.fail(
                f"the name {config.name!r} is taken by a built-in handler; choose another name"
            )
        if any(seen.name == config.name for seen in configs):
            entry.fail(
                f"the name {config.name!r} is used by an earlier [[webhook]]; "
                "each webhook needs a name of its own"
            )
        configs.append(config)
    return configs


def _did_you_mean(word: str, choices: Collection[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=2)
    return f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""


class _Entry:
    """Reads one ``[[webhook]]`` table; every complaint names the entry."""

    def __init__(self, path: Path, number: int, table: dict[str, Any]) -> None:
        self.path = path
        self.table = table
        name = table.get("name")
        label = f" (name = {name!r})" if isinstance(name, str) else ""
        self.entry = f"[[webhook]] entry {number}{label}"

    def fail(self, problem: str) -> NoReturn:
        raise HandlersConfigError(self.path, problem, self.entry)

    def parse(self) -> WebhookConfig:
        for key in self.table:
            if key not in KEYS:
                self.fail(
                    f"unknown key {key!r}{_did_you_mean(key, KEYS)}; "
                    f"the keys are: {', '.join(KEYS)}"
                )
        return WebhookConfig(
            name=self._name(),
            url=self._url(),
            events=self._events(),
            timeout_seconds=self._number(
                "timeout_seconds", DEFAULT_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, whole=False
            ),
            max_attempts=int(self._number("max_attempts", DEFAULT_MAX_ATTEMPTS, MAX_ATTEMPTS)),
            concurrency=int(self._number("concurrency", DEFAULT_CONCURRENCY, MAX_CONCURRENCY)),
            headers=self._headers(),
        )

    def _required(self, key: str, example: str) -> object:
        if key not in self.table:
            self.fail(f"{key!r} is missing; add a line like {key} = {example}")
        return self.table[key]

    def _name(self) -> str:
        name = self._required("name", '"print_receipts"')
        if not isinstance(name, str) or NAME_PATTERN.fullmatch(name) is None:
            self.fail(
                f"name {name!r} is not a handler name; use up to 64 lowercase letters, "
                'digits and underscores, starting with a letter (like "print_receipts")'
            )
        return name

    def _url(self) -> str:
        url = self._required("url", '"http://127.0.0.1:9000/hooks/receipts"')
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            self.fail(
                f"url {url!r} is not an http(s) URL; write it like "
                '"http://host:port/path" or "https://host/path"'
            )
        return str(url)

    def _events(self) -> tuple[str, ...]:
        events = self._required("events", '["order_paid"]')
        if not isinstance(events, list) or not events:
            self.fail(
                f"events must be a non-empty list of event types, like "
                f'["order_paid"], not {events!r}'
            )
        known = [str(event_type) for event_type in EventType]
        for event_type in events:
            if event_type not in known:
                hint = _did_you_mean(str(event_type), known)
                self.fail(
                    f"unknown event type {event_type!r}{hint}; "
                    f"the event types are: {', '.join(known)}"
                )
        if len(set(events)) != len(events):
            self.fail("events lists an event type twice; list each once")
        return tuple(events)

    def _number(self, key: str, default: float, maximum: float, *, whole: bool = True) -> float:
        value = self.table.get(key, default)
        kind = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, kind) or not 0 < value <= maximum:
            wanted = "a whole number" if whole else "a number of seconds"
            lowest = "1" if whole else "more than 0"
            self.fail(
                f"{key} = {value!r} is out of range; use {wanted} from {lowest} to {maximum:g}"
            )
        return float(value)

    def _headers(self) -> dict[str, str]:
        headers = self.table.get("headers", {})
        if not isinstance(headers, dict):
            self.fail('headers must be a table, like headers = { Authorization = "Bearer abc" }')
        for name, value in headers.items():
            if HEADER_NAME_PATTERN.fullmatch(name) is None:
                self.fail(f"header name {name!r} is not a valid HTTP header name")
            if not isinstance(value, str) or "\r" in value or "\n" in value:
                self.fail(f"header {name} must be a one-line string, not {value!r}")
        return dict(headers)
