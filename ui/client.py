"""The dashboard's one bridge to the backend: :class:`clients.live.LiveClient` for Qt.

The protocol (HTTP queries and mutations, subscriptions over ``graphql-transport-ws``,
reconnect with backoff and cursors, the ping/pong heartbeat, the busy signal) is the
Qt-free client's; this wrapper lives on the Qt thread and turns its callbacks into Qt
signals, so that widgets and controllers hear of it the Qt way.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from clients import live
from clients.graphql import REQUEST_TIMEOUT_SECONDS, GraphQLError, describe
from clients.live import ConnectionState, Subscription, Variables
from clients.reconnect import ReconnectBackoff

__all__ = [
    "REQUEST_TIMEOUT_SECONDS",
    "ConnectionState",
    "GraphQLClient",
    "GraphQLError",
    "Subscription",
    "Variables",
    "describe",
]


class GraphQLClient(QObject):
    """The dashboard's GraphQL client; lives on the Qt thread.

    ``connectionChanged`` says where the WebSocket stands (a
    :data:`clients.live.ConnectionState`: ``connecting``, ``connected``,
    ``unresponsive``, ``reconnecting`` or ``offline``), only when that changes.
    ``busyChanged(True)`` says a request has been out for ``BUSY_AFTER_SECONDS``;
    ``busyChanged(False)``, that none is out any more. ``execute`` needs no WebSocket
    and works, or fails with a GraphQLError, in any state.
    """

    connectionChanged = Signal(str)  # a ConnectionState
    busyChanged = Signal(bool)

    def __init__(self, url: str, token: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._live = live.LiveClient(
            url, token, on_state=self.connectionChanged.emit, on_busy=self.busyChanged.emit
        )

    @property
    def url(self) -> str:
        return self._live.url

    @property
    def token(self) -> str | None:
        return self._live.token

    @property
    def state(self) -> ConnectionState:
        return self._live.state

    @property
    def idle(self) -> bool:
        """No request is out."""
        return self._live.idle

    @property
    def last_error(self) -> str | None:
        """Why the WebSocket last failed, for the status bar."""
        return self._live.last_error

    @property
    def backoff(self) -> ReconnectBackoff:
        return self._live.backoff

    @backoff.setter
    def backoff(self, backoff: ReconnectBackoff) -> None:
        self._live.backoff = backoff

    def retarget(self, url: str, token: str | None) -> None:
        """Point a client that is not started yet elsewhere (an embedded backend's address
        is known only once it runs, after the window is up)."""
        self._live.retarget(url, token)

    async def start(self) -> None:
        """Open the HTTP client and start (and keep) the WebSocket connection."""
        # Read here, not imported into the call's default: tests shorten it.
        await self._live.start(request_timeout=REQUEST_TIMEOUT_SECONDS)

    async def close(self) -> None:
        """Stop reconnecting, close the WebSocket and the HTTP client."""
        await self._live.close()

    async def verify_staff(self) -> None:
        """Check the token is the backend's staff token (before :meth:`start`); raise
        :class:`GraphQLError` with the backend's reason when it is not."""
        await self._live.verify_staff(request_timeout=REQUEST_TIMEOUT_SECONDS)

    async def execute(self, query: str, variables: Variables | None = None) -> dict[str, Any]:
        """Run a query or mutation over HTTP; its data, or :class:`GraphQLError`."""
        return await self._live.execute(query, variables)

    def subscribe(
        self,
        query: str,
        variables: live.VariablesSource,
        on_data: live.DataSink,
    ) -> Subscription:
        """Follow ``query``; ``variables()`` is asked again on every (re)connect."""
        return self._live.subscribe(query, variables, on_data)
