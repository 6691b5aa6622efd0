"""The menu panel: items by category; mark one sold out or available again, set its stock
and its prep time, choose the station that makes a category."""

from __future__ import annotations

import re

from PySide6.QtCore import QItemSelection, QModelIndex, QPersistentModelIndex, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from ui.models.menu import (
    MAX_PREP_SECONDS,
    MIN_PREP_SECONDS,
    NO_STATION,
    MenuItemRow,
    MenuModel,
    parse_prep_time,
    prep_time,
)
from ui.models.stations import Station
from ui.views._chips import ChipDelegate
from ui.views._widgets import StatusLine

TOGGLE_SHORTCUT = "Ctrl+Shift+A"
NAME_WIDTH = 360
PRICE_WIDTH = 90
STATUS_WIDTH = 120
STOCK_WIDTH = 110
PREP_WIDTH = 90
STATION_WIDTH = 110
MAX_STOCK = 99_999
PREP_STEP_SECONDS = 30
_PARTIAL_PREP = re.compile(r"\d{0,3}(:\d{0,2})?")


class PrepTimeBox(QSpinBox):
    """A prep time in seconds, shown and typed as minutes:seconds ("12:30"; "12" is
    12 minutes); the arrows step half a minute."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(MIN_PREP_SECONDS, MAX_PREP_SECONDS)
        self.setSingleStep(PREP_STEP_SECONDS)
        self.setAccelerated(True)

    def textFromValue(self, value: int) -> str:
        return prep_time(value)

    def valueFromText(self, text: str) -> int:
        seconds = parse_prep_time(text)
        return self.value() if seconds is None else seconds

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        seconds = parse_prep_time(text)
        if seconds is not None and MIN_PREP_SECONDS <= seconds <= MAX_PREP_SECONDS:
            return QValidator.State.Acceptable, text, pos
        if _PARTIAL_PREP.fullmatch(text.strip()):
            return QValidator.State.Intermediate, text, pos
        return QValidator.State.Invalid, text, pos


class MenuView(QWidget):
    """Shows a :class:`MenuModel`; emits ``availabilityRequested(item id, available)``,
    ``stockRequested(item id, stock)`` (stock None: stop counting it),
    ``prepRequested(item id, seconds)`` and ``stationRequested(category, station)`` (an
    API Station name; None: no station)."""

    availabilityRequested = Signal(str, bool)
    stockRequested = Signal(str, object)
    prepRequested = Signal(str, int)
    stationRequested = Signal(str, object)

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
        # Name, price, status and stock close together: the eye does not cross the screen.
        header.setStretchLastSection(False)
        for column, width in (
            (MenuModel.NAME, NAME_WIDTH),
            (MenuModel.PRICE, PRICE_WIDTH),
            (MenuModel.STATUS, STATUS_WIDTH),
            (MenuModel.STOCK, STOCK_WIDTH),
            (MenuModel.PREP, PREP_WIDTH),
            (MenuModel.STATION, STATION_WIDTH),
        ):
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
        # -1 is "not counted": the API's null, so one box sets either.
        self.stock_box = QSpinBox()
        self.stock_box.setRange(-1, MAX_STOCK)
        self.stock_box.setSpecialValueText("Not counted")
        self.stock_box.setToolTip("How many are left of the selected item (Not counted: below 0)")
        self.stock_button = QPushButton("Set stock")
        self.stock_button.setToolTip("Count the selected item's stock from this number on")
        self.stock_button.clicked.connect(self.set_selected_stock)
        self.stock_box.editingFinished.connect(self._stock_entered)
        self.prep_box, self.prep_button = self._prep_controls()
        self.station_label, self.station_box = self._station_controls()
        self.status = StatusLine()
        buttons = QHBoxLayout()
        buttons.addWidget(self.toggle_button)
        buttons.addWidget(self.stock_box)
        buttons.addWidget(self.stock_button)
        buttons.addWidget(self.prep_box)
        buttons.addWidget(self.prep_button)
        buttons.addWidget(self.station_label)
        buttons.addWidget(self.station_box)
        buttons.addWidget(self.status, 1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tree, 1)
        layout.addLayout(buttons)

        # Categories open as they appear; an item changing updates the button.
        model.rowsInserted.connect(self._rows_inserted)
        model.dataChanged.connect(self._update_button)
        self.tree.expandAll()
        self._update_button()

    def _prep_controls(self) -> tuple[PrepTimeBox, QPushButton]:
        box = PrepTimeBox()
        box.setToolTip(
            "How long the kitchen takes to make the selected item (minutes:seconds); a "
            "ticket is late once it is older than its longest item's time"
        )
        button = QPushButton("Set prep time")
        button.setToolTip("Set the selected item's prep time (orders placed keep theirs)")
        button.clicked.connect(self.set_selected_prep)
        box.editingFinished.connect(self._prep_entered)
        return box, button

    def _station_controls(self) -> tuple[QLabel, QComboBox]:
        # The station is a category's: chosen for the selected row's category.
        label = QLabel("Station:")
        box = QComboBox()
        box.addItem(NO_STATION.capitalize(), None)
        for station in Station:
            box.addItem(station.label, station.value)
        box.setToolTip(
            "Where the selected category is made: its lines go to that station's screen "
            "(orders placed from now on)"
        )
        box.activated.connect(self._station_chosen)
        return label, box

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

    def set_selected_stock(self) -> None:
        item = self.selected
        if item is not None:
            value = self.stock_box.value()
            self.stockRequested.emit(item.id, None if value < 0 else value)

    def set_selected_prep(self) -> None:
        item = self.selected
        if item is not None:
            self.prepRequested.emit(item.id, self.prep_box.value())

    def _prep_entered(self) -> None:
        if self.prep_box.hasFocus():  # Enter in the box, not focus leaving it
            self.set_selected_prep()

    @property
    def selected_category(self) -> str | None:
        return self.model.category_of(self.tree.currentIndex())

    def choose_station(self, station: str | None) -> None:
        """Make the selected row's category at ``station`` (None: at no station)."""
        category = self.selected_category
        if category is not None and station != self.model.station_of(category):
            self.stationRequested.emit(category, station)

    def _station_chosen(self, position: int) -> None:
        self.choose_station(self.station_box.itemData(position))

    def _stock_entered(self) -> None:
        if self.stock_box.hasFocus():  # Enter in the box, not focus leaving it
            self.set_selected_stock()

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
        item = self.selected
        if item is not None:
            self.stock_box.setValue(-1 if item.stock is None else item.stock)
            self.prep_box.setValue(item.prep_seconds)

    def _update_button(self, *_: QModelIndex | QPersistentModelIndex | object) -> None:
        item = self.selected
        self.toggle_button.setEnabled(item is not None)
        self.stock_box.setEnabled(item is not None)
        self.stock_button.setEnabled(item is not None)
        self.prep_box.setEnabled(item is not None)
        self.prep_button.setEnabled(item is not None)
        category = self.selected_category
        self.station_box.setEnabled(category is not None)
        self.station_label.setText("Station:" if category is None else f"{category} at:")
        if category is not None:
            found = self.station_box.findData(self.model.station_of(category))
            self.station_box.setCurrentIndex(max(0, found))
        if item is None:
            self.toggle_button.setText("Mark sold out")
        elif item.available:
            self.toggle_button.setText(f"Mark {item.name} sold out")
        else:
            self.toggle_button.setText(f"{item.name} available again")
