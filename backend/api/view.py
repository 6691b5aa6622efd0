"""The GraphQL endpoint: strawberry's ASGI view with our context, auth and error bodies.

Whatever a client sends, the answer is a GraphQL-shaped body: a request that never
reached execution gets a 4xx with ``errors[0].extensions.code`` and a message that
says what to send instead.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from typing import Any

import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult

from backend.api import decoding
from backend.api.context import Context, Services
from backend.api.operation import unchosen_operation
from backend.api.websocket import ClosingAdapter, TransportWSHandler, UnreadableMessage
from backend.auth import PUBLIC
from backend.errors import ErrorCode
from backend.metrics import NO_OPERATION, OK
from backend.settings import WS_CONNECTION_INIT_SECONDS


def error_response(
    status_code: int, message: str, code: ErrorCode | str, **extensions: str
) -> Response:
    """A GraphQL-shaped error body for a request that never reached execution."""
    body = {"errors": [{"message": message, "extensions": {"code": str(code), **extensions}}]}
    return Response(json.dumps(body), status_code=status_code, media_type="application/json")


class RequestRefused(HTTPException):
    """A request refused before execution, with its contract code."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.BAD_USER_INPUT) -> None:
        super().__init__(400, message)
        self.code = code


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
    "Batching is not enabled": "send one operation per request; a JSON list (a batch) is not "
    "served",
}


# Where an HTTP request's scope keeps its context, for the request's metrics.
_CONTEXT = "passline.context"


class GraphQLView(GraphQL[Context, None]):
    graphql_transport_ws_handler_class = TransportWSHandler
    websocket_adapter_class = ClosingAdapter

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
        except RequestRefused as exc:
            response = error_response(exc.status_code, exc.reason, exc.code)
        except HTTPException as exc:
            message = _HTTP_ERRORS.get(exc.reason, exc.reason)
            code = ErrorCode.BAD_USER_INPUT if exc.status_code < 500 else ErrorCode.LIMIT_EXCEEDED
            response = error_response(exc.status_code, message, code)
            outcome = code.value
        await response(scope, receive, send)
        # Taken out: the context holds the request, which holds the scope, a reference
        # cycle left for the collector (whose pauses stall the loop), one a request.
        context: Context | None = scope.pop(_CONTEXT, None)
        if outcome is None:
            outcome = OK if context is None else context.outcome
        operation_type = NO_OPERATION if context is None else context.operation_type
        metrics.request(operation_type, outcome, time.perf_counter() - started)

    def parse_json(self, data: str | bytes) -> Any:
        try:
            decoded = decoding.decode(data)
        except decoding.Unreadable as exc:
            raise RequestRefused(exc.message, exc.code) from exc
        # strawberry expects a request (or a batch) and fails on `null`, `1` or `"…"`.
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "Request body is not a JSON object")
        return decoded

    def decode_json(self, data: str | bytes) -> object:
        # Only WebSocket messages get here (parse_json reads HTTP bodies): the handler
        # closes with 4400 and this reason instead of dropping the connection.
        try:
            return decoding.decode(data)
        except decoding.Unreadable as exc:
            return UnreadableMessage(exc.message)

    async def parse_http_body(
        self, request: AsyncHTTPRequestAdapter
    ) -> GraphQLRequestData | list[GraphQLRequestData]:
        parsed = await super().parse_http_body(request)
        if isinstance(parsed, GraphQLRequestData) and not isinstance(
            parsed.operation_name, str | None
        ):
            raise RequestRefused('"operationName" must be a string (or null); ' + _SEND_JSON)
        return parsed

    async def execute_single(
        self,
        request: Request,
        request_adapter: AsyncHTTPRequestAdapter,
        sub_response: Any,
        context: Context,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        reason = unchosen_operation(request_data.query, request_data.operation_name)
        if reason is not None:
            raise RequestRefused(reason)
        return await super().execute_single(
            request=request,
            request_adapter=request_adapter,
            sub_response=sub_response,
            context=context,
            root_value=root_value,
            request_data=request_data,
        )

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
