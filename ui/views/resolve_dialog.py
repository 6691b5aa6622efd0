"""Asks why dead deliveries must not run again; opened with ``open()``, never ``exec()``."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

MAX_REASON_CHARS = 500  # the API's longest reason (docs/api.md, "Limits")
REASONS = (
    "Done by hand",
    "Test order",
    "No longer needed",
    "Handled outside Passline",
)


class ResolveDialog(QDialog):
    """Emits ``reasonChosen(reason)`` when staff confirm; nothing when they cancel."""

    reasonChosen = Signal(str)

    def __init__(
        self, title: str, question: str, action: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(REASONS)
        self.reason.setCurrentText("")
        self.reason.setPlaceholderText("Why must it not run again? (type or pick)")
        edit = self.reason.lineEdit()
        if edit is not None:
            edit.setMaxLength(MAX_REASON_CHARS)
        self.question = QLabel(question)
        self.question.setWordWrap(True)
        self.question.setBuddy(self.reason)
        self.buttons = QDialogButtonBox()
        self.confirm = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton("Cancel", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.confirm.setEnabled(False)
        self.reason.editTextChanged.connect(
            lambda text: self.confirm.setEnabled(bool(text.strip()))
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.question)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(440)

    def _accept(self) -> None:
        reason = self.reason.currentText().strip()
        if reason:
            self.reasonChosen.emit(reason)
            self.accept()
