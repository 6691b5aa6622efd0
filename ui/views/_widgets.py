"""Small building blocks the panels share: a row table, a status line, a titled box."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLayout,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.views._chips import ROW_HEIGHT, ChipDelegate

ERROR_STYLE = "color: #dc2626;"


def row_table(model: QAbstractItemModel) -> QTableView:
    """A read-only table that selects whole rows, one at a time, rows of fixed height.

    Fixed heights: a view never measures a long list to lay it out. Cells with a status
    are drawn as chips.
    """
    table = QTableView()
    table.setModel(model)
    table.setItemDelegate(ChipDelegate(table))
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setWordWrap(False)
    vertical = table.verticalHeader()
    vertical.hide()
    vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    vertical.setDefaultSectionSize(ROW_HEIGHT)
    return table


class StatusLine(QLabel):
    """What the panel just did, or why it could not (in red)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)

    def show_message(self, text: str, *, error: bool = False) -> None:
        self.setStyleSheet(ERROR_STYLE if error else "")
        self.setText(text)

    @property
    def is_error(self) -> bool:
        return self.styleSheet() == ERROR_STYLE


def section_title(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("sectionTitle")  # the themes' style for a section's title
    return label


def stacked(first: QWidget, *rest: QWidget | QLayout) -> QWidget:
    """``first`` (taking the spare height) with ``rest`` under it, without margins."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(first, 1)
    for part in rest:
        if isinstance(part, QLayout):
            layout.addLayout(part)
        else:
            layout.addWidget(part)
    return box


def titled(title: str, widget: QWidget) -> QWidget:
    """``widget`` under a section title."""
    box = stacked(widget)
    layout = box.layout()
    assert isinstance(layout, QVBoxLayout)
    layout.insertWidget(0, section_title(title))
    return box


def split(orientation: Qt.Orientation, first: QWidget, second: QWidget) -> QSplitter:
    """Two panes, the first given three fifths of the room."""
    splitter = QSplitter(orientation)
    splitter.addWidget(first)
    splitter.addWidget(second)
    splitter.setStretchFactor(0, 3)
    splitter.setStretchFactor(1, 2)
    return splitter
