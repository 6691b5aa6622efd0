"""The handler SDK: all a handler module may import from Passline.

A handler is an async function of ``(event, ctx)`` registered with :func:`handler`,
naming the event types it takes and its delivery policy. It must be idempotent and
must not depend on the order events arrive in: it checks the current state through
``ctx.graphql`` and changes state only through GraphQL mutations, passing
``ctx.idempotency_key`` so that a duplicate delivery changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_CONCURRENCY = 4
DEFAULT_BACKOFF_BASE_SECONDS = 0.5
DEFAULT_BACKOFF_CAP_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Event:
    """One delivery of an event to a handler."""

    seq: int
    id: str
    type: str
    order_id: str | None
    payload: Mapping[str, Any]
    created_at: str
    attempt: int  # 1 for the first attempt of this delivery


class GraphQLFailure(Exception):
    """A GraphQL operation answered with errors; ``code`` is the first error's code."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        first = errors[0] if errors else {}
        self.code: str | None = (first.get("extensions") or {}).get("code")
        super().__init__("; ".join(str(error.get("message")) for error in errors))


class GraphQL(Protocol):
    async def __call__(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run an operation as the ``handler`` role; its data, or raise GraphQLFailure."""
        ...


@dataclass(frozen=True, slots=True)
class Context:
    event: Event
    graphql: GraphQL
    log: logging.LoggerAdapter[logging.Logger]
    idempotency_key: str  # the same for every attempt and replay of this delivery
    adapters: Any  # handlers.adapters.Adapters: the restaurant's external services


class RetryAfter(Exception):
    """Try this delivery again after ``seconds`` (counts as a failed attempt)."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds:g} s")
        self.seconds = seconds


class PermanentError(Exception):
    """Retrying cannot help: the delivery goes straight to DEAD for a person to look at."""


HandlerFunction = Callable[[Event, Context], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class HandlerDefinition:
    name: str
    events: tuple[str, ...]
    function: HandlerFunction = field(compare=False)
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    concurrency: int = DEFAULT_CONCURRENCY
    ordered: bool = False  # one delivery of an order at a time, in event order
    backoff_base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS
    backoff_cap_seconds: float = DEFAULT_BACKOFF_CAP_SECONDS


DEFINITIONS: dict[str, HandlerDefinition] = {}


def handler(
    *events: str,
    name: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    concurrency: int = DEFAULT_CONCURRENCY,
    ordered: bool = False,
    backoff_base_seconds: float = DEFAULT_BACKOFF_BASE_SECONDS,
    backoff_cap_seconds: float = DEFAULT_BACKOFF_CAP_SECONDS,
) -> Callable[[HandlerFunction], HandlerFunction]:
    """Register ``function`` as the handler of ``events`` (its name: the function's)."""
    if not events:
        raise ValueError("a handler needs at least one event type")

    def register(function: HandlerFunction) -> HandlerFunction:
        definition = HandlerDefinition(
            name=name or function.__name__,
            events=events,
            function=function,
            max_attempts=max_attempts,
            timeout_seconds=timeout_seconds,
            concurrency=concurrency,
            ordered=ordered,
            backoff_base_seconds=backoff_base_seconds,
            backoff_cap_seconds=backoff_cap_seconds,
        )
        if definition.name in DEFINITIONS:
            raise ValueError(f"handler {definition.name!r} is registered twice")
        DEFINITIONS[definition.name] = definition
        return function

    return register
