"""A short notice with one action, "#12 ready — Undo", docked where it hides no ticket."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

UNDO_SECONDS = 5.0


class UndoToast(QFrame):
    """Shown for :data:`UNDO_SECONDS` after a bump; ``undoRequested(order_id)``."""

    undoRequested = Signal(str)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("toast")
        self.order_id: str | None = None
        self._area: QRect | None = None
        self.text = QLabel()
        self.text.setObjectName("toastText")
        self.undo = QPushButton("Undo")
        self.undo.setObjectName("toastUndo")
        self.undo.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the board keeps the keyboard
        self.undo.clicked.connect(self._undo)
        row = QHBoxLayout(self)
        row.setContentsMargins(16, 8, 8, 8)
        row.setSpacing(16)
        row.addWidget(self.text)
        row.addWidget(self.undo)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def show_for(self, order_id: str, text: str) -> None:
        self.order_id = order_id
        self.text.setText(text)
        self.adjustSize()
        self.place()
        self.show()
        self.raise_()
        self._timer.start(int(UNDO_SECONDS * 1000))

    def dock(self, area: QRect) -> None:
        """Sit at the right end of ``area`` (in the parent's coordinates), centred in its
        height: the board hands it its counts bar, which holds no ticket and no button."""
        self._area = QRect(area)
        self.place()

    def place(self) -> None:
        """At the right end of the docking area; the parent's bottom centre until the
        parent gives it one."""
        parent = self.parentWidget()
        area = self._area
        if area is not None:
            top = area.y() + (area.height() - self.height()) // 2
            self.move(area.right() + 1 - self.width(), top)
        elif parent is not None:
            self.move((parent.width() - self.width()) // 2, parent.height() - self.height() - 24)

    def _undo(self) -> None:
        self._timer.stop()
        self.hide()
        if self.order_id is not None:
            self.undoRequested.emit(self.order_id)
