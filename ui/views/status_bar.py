"""The window's status bar: which backend, whether it is connected, the runner's backlog,
when the last good backup was made."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

MESSAGE_MS = 8000
STATE_TEXT = {
    "connecting": "Connecting…",
    "connected": "Connected",
    "unresponsive": "Not responding",
    "reconnecting": "Reconnecting…",
    "offline": "Offline",
    "signed-out": "Not signed in",
}


class StatusBar(QStatusBar):
    """Attributes down only: the main window and controllers set what it shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = QLabel()
        self.backend.setObjectName("backendLabel")
        self.connection = QLabel()
        self.connection.setObjectName("connectionState")
        self.backlog = QLabel("Backlog: \N{EN DASH}")
        self.backlog.setObjectName("backlog")
        self.waiting = QLabel("Waiting for the backend…")
        self.waiting.setObjectName("waiting")
        self.waiting.setVisible(False)
        self.addPermanentWidget(self.waiting)
        self.addPermanentWidget(self.backend)
        self.addPermanentWidget(self.connection)
        self.backup = QLabel("Backup: \N{EN DASH}")
        self.backup.setObjectName("backup")
        self.addPermanentWidget(self.backlog)
        self.addPermanentWidget(self.backup)
        self.set_connection("offline")

    def set_backend(self, label: str, tooltip: str = "") -> None:
        self.backend.setText(label)
        self.backend.setToolTip(tooltip or label)

    def set_connection(self, state: str, detail: str | None = None) -> None:
        self.connection.setText(STATE_TEXT.get(state, state))
        self.connection.setProperty("state", state)
        self.connection.setToolTip(detail or "")
        # A dynamic property changed: re-polish so the style sheet's [state=…] rules apply.
        self.connection.style().unpolish(self.connection)
        self.connection.style().polish(self.connection)

    def set_backlog(self, waiting: int, retrying: int, dead: int) -> None:
        text = f"Backlog: {waiting} waiting"
        if retrying:
            text += f" · {retrying} retrying"
        if dead:
            text += f" · {dead} dead"
        self.backlog.setText(text)
        self.backlog.setProperty("alert", bool(dead))
        self.backlog.setToolTip(
            "Deliveries the event runner has still to do; dead ones wait for a person "
            "(Event log, Handlers)."
        )
        self.backlog.style().unpolish(self.backlog)
        self.backlog.style().polish(self.backlog)

    def set_waiting(self, waiting: bool) -> None:
        """Whether an action is waiting for the backend's answer."""
        self.waiting.setVisible(waiting)

    def set_backup(self, text: str, tooltip: str, stale: bool) -> None:
        self.backup.setText(text)
        self.backup.setToolTip(tooltip)
        self.backup.setProperty("stale", stale)
        self.backup.style().unpolish(self.backup)
        self.backup.style().polish(self.backup)

    def show_error(self, message: str) -> None:
        self.showMessage(message, MESSAGE_MS)
