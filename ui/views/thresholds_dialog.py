"""Sets the grace after a ticket's target before it turns red; opened with ``open()``.

A ticket turns amber when its age reaches its target (its longest line's prep time,
set per item in the Menu tab), and red this many minutes later.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from ui.models.lateness import MAX_GRACE_MINUTES

EXPLAINED = (
    "A ticket's target is its longest item's prep time (set in the Menu tab). Its header "
    "turns amber at the target, and red when it is still not ready this much later:"
)


class ThresholdsDialog(QDialog):
    """Emits ``chosen(grace_minutes)``."""

    chosen = Signal(int)

    def __init__(self, grace_minutes: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Late tickets")
        explained = QLabel(EXPLAINED)
        explained.setWordWrap(True)
        self.grace = QSpinBox()
        self.grace.setRange(0, MAX_GRACE_MINUTES)
        self.grace.setSuffix(" min")
        self.grace.setValue(grace_minutes)
        self.grace.setToolTip("0: red as soon as the target is reached")
        form = QFormLayout(self)
        form.addRow(explained)
        form.addRow("Red after the target +", self.grace)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.setMinimumWidth(420)

    def _accept(self) -> None:
        self.chosen.emit(self.grace.value())
        self.accept()
