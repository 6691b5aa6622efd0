"""The GraphQL endpoint: strawberry's ASGI view with our context, auth and error bodies."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import strawberry
from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message

from backend.api.context import Context, Services
from backend.auth import PUBLIC
from backend.errors import ErrorCode
from backend.metrics import NO_OPERATION, OK
from backend.settings import WS_CONNECTION_INIT_SECONDS


def error_response(status_code: int, message: str, code: ErrorCode) -> Response:
    """A GraphQL-shaped error body for a request that never reached execution."""
    body = {"errors": [{"message": message, "extensions": {"code": code.value}}]}
    return Response(json.dumps(body), status_code=status_code, media_type="application/json")


_SEND_JSON = 'send {"query": "...", "variables": {...}} with Content-Type: application/json'
_OVER_WEBSOCKET = (
    "subscriptions are served over WebSocket only: connect to this URL with the "
    "graphql-transport-ws subprotocol"
)
_HTTP_ERRORS = {
    "Unable to parse request body as JSON": "the request body is not valid JSON; " + _SEND_JSON,
    "Request body is not a JSON object": "the request body is not a JSON object; " + _SEND_JSON,
    "subscriptions are not allowed when using POST": _OVER_WEBSOCKET,
    "subscriptions are not allowed when using GET": _OVER_WEBSOCKET,
    "Unsupported content type": "send the request as JSON with Content-Type: application/json",
    "No GraphQL query found in the request": 'the body has no "query"; send {"query": "..."}',
}


def _malformed(message: object) -> str | None:
    """Why ``message`` is not a graphql-transport-ws message, for what strawberry misses.

    strawberry closes with 4400 on a missing key, but a message of the wrong shape (a
    list, an object id, a string payload) raises inside it and drops the connection.
    """
    if not isinstance(message, dict):
        return "a message must be a JSON object with a type"
    if not isinstance(message.get("id", ""), str):
        return "the message id must be a string"
    if message.get("type") != "subscribe":
        return None
    payload = message.get("payload")
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return "the subscribe payload must be an object with a query string"
    if not isinstance(payload.get("variables") or {}, dict):
        return "the subscribe variables must be an object"
    return None


# Where an HTTP request's scope keeps its context, for the request's metrics.
_CONTEXT = "passline.context"


class TransportWSHandler(BaseGraphQLTransportWSHandler[Context, None]):
    async def handle_message(self, message: Message) -> None:
        reason = _malformed(message)
        if reason is not None:
            await self.handle_invalid_message(reason)
            return
        await super().handle_message(message)


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(
        self, services: Services, schema: strawberry.Schema, allowed_origins: tuple[str, ...] = ()
    ) -> None:
        super().__init__(
            schema,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=WS_CONNECTION_INIT_SECONDS),
            allowed_origins=allowed_origins,
            multipart_uploads_enabled=False,
        )
        self.services = services

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        metrics = self.services.metrics
        if scope["type"] != "http":
            metrics.websockets.inc()
            try:
                await super().__call__(scope, receive, send)
            finally:
                metrics.websockets.dec()
            return
        started = time.perf_counter()
        outcome: str | None = None  # found in the context once it ran
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            message = _HTTP_ERRORS.get(exc.reason, exc.reason)
            code = ErrorCode.BAD_USER_INPUT if exc.status_code < 500 else ErrorCode.LIMIT_EXCEEDED
            response = error_response(exc.status_code, message, code)
            outcome = code.value
        await response(scope, receive, send)
        context: Context | None = scope.get(_CONTEXT)
        if outcome is None:
            outcome = OK if context is None else context.outcome
        operation_type = NO_OPERATION if context is None else context.operation_type
        metrics.request(operation_type, outcome, time.perf_counter() - started)

    def parse_json(self, data: str | bytes) -> Any:
        decoded = super().parse_json(data)
        # strawberry expects a request (or a batch) and fails on `null`, `1` or `"…"`.
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "Request body is not a JSON object")
        return decoded

    async def get_context(self, request: Request | WebSocket, response: Any) -> Context:
        if isinstance(request, WebSocket):
            # The token comes in connection_init; see on_ws_connect.
            return Context(self.services, PUBLIC, request, response)
        principal = self.services.tokens.principal(request.headers.get("authorization"))
        context = Context(self.services, principal, request, response)
        request.scope[_CONTEXT] = context  # for the request's metrics, once answered
        return context

    async def on_ws_connect(self, context: Context) -> None:
        params = context.connection_params or {}
        principal = self.services.tokens.principal(params.get("authorization"))
        if principal.rejected is not None:
            raise ConnectionRejectionError
        context.principal = principal
