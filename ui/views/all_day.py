"""The all-day panel beside the ticket grid: each item still to make across the open
tickets, by station, most first (F3 shows or hides it)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.all_day import COUNT, ITEM, STATION, AllDayModel

# The panel is as wide as its longest name needs, whole on one line beside its station
# and count, but it gives way to the tickets: at most the room the board leaves beside
# its ticket columns (see ``fit``), never under MIN_WIDTH; a name too long for that
# wraps at its spaces.
MIN_WIDTH = 240
CELL_PAD = 16  # a cell's text from its borders, both sides together
TITLE = "All day  ·  to make"
STATION_TITLE = "All day  ·  {station}  ·  to make"


class AllDayPanel(QFrame):
    def __init__(self, model: AllDayModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("allDayPanel")
        self.model = model
        self.title = title = QLabel(TITLE)
        title.setObjectName("columnHeader")
        self.table = QTableView()
        self.table.setObjectName("allDayTable")
        self.table.setModel(model)
        self.table.verticalHeader().hide()
        self.table.setShowGrid(False)
        self.table.setAlternatingRowColors(True)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        # A name is read whole or not at all: a long one wraps rather than ends in "…".
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(STATION, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(ITEM, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(COUNT, QHeaderView.ResizeMode.ResizeToContents)
        font = self.table.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.table.setFont(font)
        self.empty = QLabel("Nothing to make: no paid ticket waits.")
        self.empty.setWordWrap(True)
        self.empty.setObjectName("allDayEmpty")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        self.room = 0  # the most the board gives it (0: not laid out yet, no limit)
        # The widest name seen: the panel grows for a longer one and never shrinks back,
        # so that the tickets beside it do not shift each time an item comes and goes.
        self._name_width = 0
        self.setFixedWidth(MIN_WIDTH)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self._show_empty)
        self._show_empty()

    def wanted_width(self) -> int:
        """The width that shows every name seen so far on one line, with its station
        (when shown) and its count."""
        model, table = self.model, self.table
        metrics = table.fontMetrics()
        for row in range(model.rowCount()):
            name = str(model.index(row, ITEM).data() or "")
            self._name_width = max(self._name_width, metrics.horizontalAdvance(name) + CELL_PAD)
        header = table.horizontalHeader()
        columns = [COUNT] if table.isColumnHidden(STATION) else [STATION, COUNT]
        others = sum(max(table.sizeHintForColumn(c), header.sectionSizeHint(c)) for c in columns)
        scrollbar = table.verticalScrollBar().sizeHint().width()
        return others + self._name_width + 2 * table.frameWidth() + scrollbar

    def fit(self, room: int | None = None) -> None:
        """Take the width its rows want, at most ``room`` (the board's: what its ticket
        columns leave; None: as last given)."""
        if room is not None:
            self.room = room
        wanted = self.wanted_width()
        if self.room:
            wanted = min(wanted, self.room)
        wanted = max(MIN_WIDTH, wanted)
        if wanted != self.width():
            self.setFixedWidth(wanted)

    def _show_empty(self, *_: object) -> None:
        model = self.model
        self.empty.setVisible(model.rowCount() == 0)
        self.fit()
        # The Station column groups the rows; on a station's screen, or with no station
        # set at all, it would say nothing.
        hidden = model.station is not None or not model.grouped
        if hidden != self.table.isColumnHidden(STATION):
            self.table.setColumnHidden(STATION, hidden)
            self.fit()
        station = model.station
        self.title.setText(
            TITLE if station is None else STATION_TITLE.format(station=station.label)
        )
