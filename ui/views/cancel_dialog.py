"""Asks why an order is cancelled; opened with ``open()``, never ``exec()``."""

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

REASONS = (
    "Customer cancelled",
    "Out of stock",
    "Duplicate order",
    "Payment problem",
    "Kitchen cannot make it",
)


class CancelDialog(QDialog):
    """Emits ``reasonChosen(reason)`` when staff confirm; nothing when they keep the order."""

    reasonChosen = Signal(str)

    def __init__(self, number: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Cancel order #{number}")
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(REASONS)
        self.reason.setCurrentText("")
        self.reason.setPlaceholderText("Why? (type or pick)")
        label = QLabel(f"Cancel order #{number}? The customer is told, and it cannot be undone.")
        label.setWordWrap(True)
        label.setBuddy(self.reason)
        self.buttons = QDialogButtonBox()
        self.confirm = self.buttons.addButton(
            "Cancel order", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.buttons.addButton("Keep it", QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        self.confirm.setEnabled(False)
        self.reason.editTextChanged.connect(
            lambda text: self.confirm.setEnabled(bool(text.strip()))
        )
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def _accept(self) -> None:
        reason = self.reason.currentText().strip()
        if reason:
            self.reasonChosen.emit(reason)
            self.accept()
