"""The handlers panel: one row per handler, pause/resume, retry all dead, and a rate chart."""

from __future__ import annotations

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.handlers import HandlerModel, HandlerRow, Span, Throughput
from ui.views._widgets import StatusLine, row_table, split, stacked, titled
from ui.views.paused_banner import PausedHandler
from ui.views.rate_chart import RateChart

LISTENS_COLUMN = 1  # "Listens to"
LISTENS_WIDTH = 230  # pixels: two event types, the rest elided


class HandlersView(QWidget):
    """Shows a :class:`HandlerModel` and a :class:`Throughput`; emits what staff ask for."""

    pauseRequested = Signal(str)
    resumeRequested = Signal(str)
    retryDeadRequested = Signal(str)

    def __init__(
        self, model: HandlerModel, throughput: Throughput, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.table = self._build_table(model)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Stop or restart deliveries to the selected handler")
        self.pause_button.clicked.connect(self._toggle_pause)
        self.confirm: QMessageBox | None = None
        self.retry_dead_button = QPushButton("Retry all dead")
        self.retry_dead_button.setToolTip("Make every dead delivery of this handler due now")
        self.retry_dead_button.clicked.connect(self._retry_dead)
        self.status = StatusLine()
        buttons = QHBoxLayout()
        buttons.addWidget(self.pause_button)
        buttons.addWidget(self.retry_dead_button)
        buttons.addWidget(self.status, 1)
        # The lifetime totals of the selected handler: as table columns they pushed
        # the table wider than the window, behind a horizontal scroll bar.
        self.lifetime = QLabel()
        self.lifetime.setToolTip(
            "Attempts since the handler's first, and those that raised, timed out or were "
            "lost; never reset"
        )
        buttons.addWidget(self.lifetime)
        # The selected handler's last error in full: the table's column shows its start.
        self.error = QLabel()
        self.error.setObjectName("hint")
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.chart = RateChart(throughput)
        self.hour_button = QPushButton("Last hour")
        self.hour_button.setToolTip("The last 60 minutes, a minute a point")
        # The last 24 hours, not the calendar day: the chart's span is a sliding window.
        self.day_button = QPushButton("Last 24 h")
        self.day_button.setToolTip("The last 24 hours, ten minutes a point")
        spans = QButtonGroup(self)
        for button, span in ((self.hour_button, Span.HOUR), (self.day_button, Span.DAY)):
            button.setCheckable(True)
            button.setObjectName("span")  # the themes mark the checked one
            spans.addButton(button)
            button.toggled.connect(lambda on, span=span: self.chart.set_span(span) if on else None)
        self.hour_button.setChecked(True)
        span_bar = QHBoxLayout()
        span_bar.addStretch(1)
        span_bar.addWidget(self.hour_button)
        span_bar.addWidget(self.day_button)
        chart_box = titled("Events and failures a minute", stacked(self.chart, span_bar))

        top = stacked(self.table, buttons, self.error)
        self.splitter = split(Qt.Orientation.Vertical, top, chart_box)
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        model.dataChanged.connect(self._update_buttons)
        model.rowsInserted.connect(self._update_buttons)
        self._update_buttons()

    def _build_table(self, model: HandlerModel) -> QTableView:
        table = row_table(model)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Its full list is the cell's tooltip: sized to the longest, it took a third
        # of the table.
        header.setSectionResizeMode(LISTENS_COLUMN, QHeaderView.ResizeMode.Interactive)
        table.setColumnWidth(LISTENS_COLUMN, LISTENS_WIDTH)
        header.setStretchLastSection(True)
        table.selectionModel().selectionChanged.connect(self._selection_changed)
        return table

    # -- attributes down ------------------------------------------------------------------

    @property
    def selected(self) -> HandlerRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row(rows[0].row()) if rows else None

    def select(self, name: str) -> None:
        position = self.model.find(name)
        if position is not None:
            self.table.selectRow(position)

    # -- signals up -----------------------------------------------------------------------

    def _toggle_pause(self) -> None:
        handler = self.selected
        if handler is None:
            return
        if handler.paused:
            self.resumeRequested.emit(handler.name)
            return
        # Pausing holds orders up at a stage: asked once, never by a stray click.
        waits = PausedHandler(handler.name, handler.events, 0).label()
        self.confirm = QMessageBox(
            QMessageBox.Icon.Warning,
            f"Pause {handler.name}?",
            f"Pause {handler.name} ({waits})?",
            QMessageBox.StandardButton.Cancel,
            self,
        )
        self.confirm.setInformativeText(
            "Its deliveries wait until you resume it, and the orders waiting for it stop "
            "where they are. The board shows what waits, with a Resume button."
        )
        pause = self.confirm.addButton("Pause", QMessageBox.ButtonRole.AcceptRole)
        pause.clicked.connect(lambda: self.pauseRequested.emit(handler.name))
        self.confirm.open()

    def _retry_dead(self) -> None:
        handler = self.selected
        if handler is not None and handler.dead:
            self.retryDeadRequested.emit(handler.name)

    # -- inside ---------------------------------------------------------------------------

    def _selection_changed(self, *_: QItemSelection) -> None:
        self._update_buttons()

    def _update_buttons(self, *_: object) -> None:
        handler = self.selected
        self.pause_button.setEnabled(handler is not None)
        self.pause_button.setText("Resume" if handler is not None and handler.paused else "Pause")
        self.retry_dead_button.setEnabled(handler is not None and handler.dead > 0)
        self.retry_dead_button.setText(
            f"Retry all dead ({handler.dead})" if handler and handler.dead else "Retry all dead"
        )
        self.lifetime.setText(
            f"{handler.name} ever: {handler.lifetime_attempts:,} attempts, "
            f"{handler.lifetime_failed:,} failed"
            if handler is not None
            else ""
        )
        error = handler.last_error if handler is not None else None
        self.error.setText(f"Last error of {handler.name}: {error}" if handler and error else "")
