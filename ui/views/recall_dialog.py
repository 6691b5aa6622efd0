"""Recall (Ctrl+Z): the last tickets bumped here, newest first; Enter takes the selected
one back a step (a ready ticket to the kitchen, a completed one to ready)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListView,
    QVBoxLayout,
    QWidget,
)

from ui.models.bumps import RECALLABLE, BumpsModel


class RecallDialog(QDialog):
    """A view of the bumps model; ``recallRequested(order_id)`` on Enter or Recall."""

    recallRequested = Signal(str)

    def __init__(self, bumps: BumpsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Recall a ticket")
        self.bumps = bumps
        self.list = QListView()
        self.list.setModel(bumps)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.doubleClicked.connect(self._recall_index)
        empty = "No ticket bumped here yet." if not bumps.rowCount() else ""
        hint = QLabel(
            f"The last {RECALLABLE} tickets bumped on this screen. Enter takes the selected "
            f"one back a step: a ready ticket to the kitchen, a completed one to ready. {empty}"
        )
        hint.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.recall = buttons.addButton("Recall", QDialogButtonBox.ButtonRole.AcceptRole)
        self.recall.setDefault(True)
        self.recall.setEnabled(bumps.rowCount() > 0)
        buttons.accepted.connect(self._recall_selected)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addWidget(self.list)
        layout.addWidget(buttons)
        if bumps.rowCount():
            self.list.setCurrentIndex(bumps.index(0, 0))
        self.list.setFocus()
        self.resize(420, 420)

    def _recall_selected(self) -> None:
        self._recall_index(self.list.currentIndex())

    def _recall_index(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        self.recallRequested.emit(self.bumps.bump_at(index.row()).order_id)
        self.accept()
