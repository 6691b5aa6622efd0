"""Sets the ages at which a card's timer turns amber and red; opened with ``open()``."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QFormLayout, QSpinBox, QWidget

MAX_MINUTES = 240


class ThresholdsDialog(QDialog):
    """Emits ``chosen(amber_minutes, red_minutes)``; red is never before amber."""

    chosen = Signal(int, int)

    def __init__(self, amber_minutes: int, red_minutes: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Order age colours")
        self.amber = QSpinBox()
        self.red = QSpinBox()
        for box, value in ((self.amber, amber_minutes), (self.red, red_minutes)):
            box.setRange(1, MAX_MINUTES)
            box.setSuffix(" min")
            box.setValue(value)
        self.amber.valueChanged.connect(self.red.setMinimum)
        self.red.setMinimum(self.amber.value())
        form = QFormLayout(self)
        form.addRow("Amber after", self.amber)
        form.addRow("Red after", self.red)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _accept(self) -> None:
        self.chosen.emit(self.amber.value(), self.red.value())
        self.accept()
