"""The menu panel: items by category; mark one sold out, or available again."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, QModelIndex, QPersistentModelIndex, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ui.models.menu import MenuItemRow, MenuModel
from ui.views._chips import ChipDelegate
from ui.views._widgets import StatusLine

TOGGLE_SHORTCUT = "Ctrl+Shift+A"
NAME_WIDTH = 360
PRICE_WIDTH = 90


class MenuView(QWidget):
    """Shows a :class:`MenuModel`; emits ``availabilityRequested(item id, available)``."""

    availabilityRequested = Signal(str, bool)

    def __init__(self, model: MenuModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.tree = QTreeView()
        self.tree.setModel(model)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setItemDelegate(ChipDelegate(self.tree))
        header = self.tree.header()
        # Name, price and status close together: the eye does not cross the screen.
        header.setStretchLastSection(True)
        for column, width in ((MenuModel.NAME, NAME_WIDTH), (MenuModel.PRICE, PRICE_WIDTH)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(column, width)
        self.tree.selectionModel().selectionChanged.connect(self._selection_changed)
        self.tree.activated.connect(self._activated)

        self.toggle_button = QPushButton("Mark sold out")
        self.toggle_button.setToolTip(
            f"Sold out or available again: the selected item ({TOGGLE_SHORTCUT})"
        )
        self.toggle_button.clicked.connect(self.toggle_selected)
        QShortcut(QKeySequence(TOGGLE_SHORTCUT), self, self.toggle_selected)
        self.status = StatusLine()
        buttons = QHBoxLayout()
        buttons.addWidget(self.toggle_button)
        buttons.addWidget(self.status, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

        # Categories open as they appear; an item changing updates the button.
        model.rowsInserted.connect(self._rows_inserted)
        model.dataChanged.connect(self._update_button)
        self.tree.expandAll()
        self._update_button()

    # -- attributes down ------------------------------------------------------------------

    @property
    def selected(self) -> MenuItemRow | None:
        return self.model.item(self.tree.currentIndex())

    def select(self, item_id: str) -> None:
        index = self.model.index_of(item_id)
        if index.isValid():
            self.tree.setCurrentIndex(index)

    # -- signals up -----------------------------------------------------------------------

    def toggle_selected(self) -> None:
        item = self.selected
        if item is not None:
            self.availabilityRequested.emit(item.id, not item.available)

    def _activated(self, index: QModelIndex) -> None:
        if self.model.item(index) is None:  # a category: open or close it
            self.tree.setExpanded(index, not self.tree.isExpanded(index))

    # -- inside ---------------------------------------------------------------------------

    def _rows_inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if not parent.isValid():
            for row in range(first, last + 1):
                self.tree.expand(self.model.index(row, 0))
        self._update_button()

    def _selection_changed(self, *_: QItemSelection) -> None:
        self._update_button()

    def _update_button(self, *_: QModelIndex | QPersistentModelIndex | object) -> None:
        item = self.selected
        self.toggle_button.setEnabled(item is not None)
        if item is None:
            self.toggle_button.setText("Mark sold out")
        elif item.available:
            self.toggle_button.setText(f"Mark {item.name} sold out")
        else:
            self.toggle_button.setText(f"{item.name} available again")
