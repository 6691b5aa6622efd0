"""Asks for the staff token of a backend elsewhere; opened with ``open()``, never ``exec()``."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

WHERE_TO_FIND = (
    "On the backend's computer it is in the file staff-token beside its database "
    "(normally ~/.local/share/passline/staff-token), or the PASSLINE_STAFF_TOKEN it was "
    "started with."
)


class TokenDialog(QDialog):
    """Emits ``tokenGiven(token, remember)`` on Sign in; ``rejected`` when given up."""

    tokenGiven = Signal(str, bool)

    def __init__(self, url: str, reason: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to the backend")
        self.intro = QLabel(f"The backend at {url} needs its staff token. {WHERE_TO_FIND}")
        self.intro.setWordWrap(True)
        self.reason = QLabel(f"Not accepted: {reason}" if reason else "")
        self.reason.setObjectName("fieldError")
        self.reason.setWordWrap(True)
        self.reason.setVisible(bool(reason))
        self.token = QLineEdit()
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.token.setPlaceholderText("Staff token")
        self.intro.setBuddy(self.token)
        self.remember = QCheckBox("Remember it on this computer for this backend")
        self.buttons = QDialogButtonBox()
        self.sign_in = self.buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("Close Passline", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.sign_in.setEnabled(False)
        self.token.textChanged.connect(lambda text: self.sign_in.setEnabled(bool(text.strip())))
        layout = QVBoxLayout(self)
        for widget in (self.intro, self.reason, self.token, self.remember, self.buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(480)

    def _accept(self) -> None:
        token = self.token.text().strip()
        if token:
            self.tokenGiven.emit(token, self.remember.isChecked())
            self.accept()
