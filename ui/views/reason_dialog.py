"""Asks staff why, before an action that needs a reason (cancel an order, resolve a
dead delivery); opened with ``open()``, never ``exec()``."""

from __future__ import annotations

from collections.abc import Sequence

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
CANCEL_REASONS = (
    "Customer cancelled",
    "Out of stock",
    "Duplicate order",
    "Payment problem",
    "Kitchen cannot make it",
)
RESOLVE_REASONS = (
    "Done by hand",
    "Test order",
    "No longer needed",
    "Handled outside Passline",
)


class ReasonDialog(QDialog):
    """Emits ``reasonChosen(reason)`` when staff confirm; nothing when they back out.
    The confirm button (``confirm``) is enabled once a reason is typed or picked."""

    reasonChosen = Signal(str)

    def __init__(
        self,
        title: str,
        question: str,
        action: str,
        *,
        keep: str = "Cancel",
        placeholder: str = "Why? (type or pick)",
        reasons: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.reason = QComboBox()
        self.reason.setEditable(True)
        self.reason.addItems(list(reasons))
        self.reason.setCurrentText("")
        self.reason.setPlaceholderText(placeholder)
        edit = self.reason.lineEdit()
        if edit is not None:
            edit.setMaxLength(MAX_REASON_CHARS)
        self.question = QLabel(question)
        self.question.setWordWrap(True)
        self.question.setBuddy(self.reason)
        self.buttons = QDialogButtonBox()
        self.confirm = self.buttons.addButton(action, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(keep, QDialogButtonBox.ButtonRole.RejectRole)
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


def cancel_dialog(number: int, parent: QWidget | None = None) -> ReasonDialog:
    """Cancel order #number? The customer is told; it cannot be undone."""
    return ReasonDialog(
        f"Cancel order #{number}",
        f"Cancel order #{number}? The customer is told, and it cannot be undone.",
        "Cancel order",
        keep="Keep it",
        reasons=CANCEL_REASONS,
        parent=parent,
    )


def resolve_dialog(
    title: str, question: str, action: str, parent: QWidget | None = None
) -> ReasonDialog:
    """Why must these dead deliveries not run again?"""
    return ReasonDialog(
        title,
        question,
        action,
        placeholder="Why must it not run again? (type or pick)",
        reasons=RESOLVE_REASONS,
        parent=parent,
    )
