"""What the event log and the menu panels share: the live log from a cursor, a first read."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from ui.client import GraphQLClient, Subscription
from ui.controllers._tasks import FirstRead, Tasks
from ui.views._widgets import StatusLine


class LogFollower(QObject):
    """Follows ``eventLog`` with ``subscription`` from its ``cursor``, then reads its state.

    The subscription starts first, so that nothing committed during the read is
    missed; subclasses keep what arrives meanwhile until the read is in. Errors go to
    ``status``, the panel's status line.
    """

    subscription = ""  # a graphql-transport-ws document taking $after: String
    what = ""  # what the panel shows, for "Cannot read …"

    def __init__(self, client: GraphQLClient, status: StatusLine, parent: QObject | None) -> None:
        super().__init__(parent)
        self.client = client
        self.status = status
        self.cursor: str | None = None  # the live log's, for resuming after a drop
        self.tasks = Tasks(self.show_error)
        self.first_read = FirstRead(client, self.tasks, self.read, self.what, self.show_error)
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        self._subscription = self.client.subscribe(
            self.subscription, lambda: {"after": self.cursor}, self._on_data
        )
        await self.first_read.run()

    def stop(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
        self.tasks.cancel()

    def show_error(self, message: str) -> None:
        self.status.show_message(message, error=True)

    async def read(self) -> None:
        """Read the panel's state (once the live log is followed)."""
        raise NotImplementedError

    def on_entry(self, entry: dict[str, Any]) -> None:
        """One ``EventLogEntry`` (its cursor is already kept)."""
        raise NotImplementedError

    def _on_data(self, data: dict[str, Any]) -> None:
        entry = data["eventLog"]
        self.cursor = entry["cursor"]
        self.on_entry(entry)
