"""The event log panel: filters, the list of events newest first, and the detail pane."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.events import DeliveryStatus, EventFilter, EventFilterProxy, EventLogModel, EventRow
from ui.views._chips import TONES, DeliveryChipsDelegate
from ui.views._widgets import StatusLine, row_table, split, stacked
from ui.views.event_detail import EventDetail
from ui.views.reason_dialog import ReasonDialog, resolve_dialog

# The API's event types (docs/api.md), held to the backend's by tests/test_contract.py;
# types seen live are added to the list.
EVENT_TYPES = (
    "order_placed",
    "order_validated",
    "order_rejected",
    "order_paid",
    "payment_failed",
    "order_in_kitchen",
    "order_ready",
    "order_recalled",
    "order_reopened",
    "order_item_done",
    "order_item_undone",
    "order_station_done",
    "order_station_undone",
    "order_out_for_delivery",
    "order_completed",
    "order_cancelled",
    "menu_item_changed",
    "kitchen_ticket_requested",
    "delivery_resolved",
)
SEARCH_DELAY_MS = 300  # typing a word asks the server once, not once a letter
MAX_SEARCH_CHARS = 200  # the API's limit of events(search:)
ALL = "All"
LEGEND_GAP = 6  # pixels between the status chips


def _combo(tooltip: str, entries: Iterable[str]) -> QComboBox:
    combo = QComboBox()
    combo.setToolTip(tooltip)
    combo.addItem(ALL, None)
    for entry in entries:
        combo.addItem(entry, entry)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def _legend() -> QWidget:
    """The delivery statuses' chips, in one row with a gap between them (rich text in
    one wrapping label made a ragged stack of chips touching each other)."""
    legend = QWidget()
    legend.setObjectName("legend")
    row = QHBoxLayout(legend)
    row.setContentsMargins(0, 0, 0, 0)
    row.setSpacing(LEGEND_GAP)
    for status in DeliveryStatus:
        tone = TONES[status]
        chip = QLabel(f"{status.value} {tone.glyph}")
        chip.setStyleSheet(
            f"background-color: {tone.background}; color: {tone.text}; "
            "border-radius: 4px; padding: 1px 6px;"
        )
        row.addWidget(chip)
    row.addStretch(1)
    return legend


def parse_order(text: str) -> tuple[str | None, int | None]:
    """An order box's text as (order id, order number): ``#42`` or ``42`` is a number."""
    text = text.strip()
    digits = text.removeprefix("#").strip()
    if digits.isascii() and digits.isdigit():
        return None, int(digits)
    return (text or None), None


class EventLogView(QWidget):
    """Shows an :class:`EventFilterProxy` over an :class:`EventLogModel`.

    Emits ``filterChanged`` with the :class:`EventFilter` the operator set up, and the
    detail pane's ``retryRequested`` / ``replayRequested`` / ``resolveRequested``; it
    never fetches anything. The bulk buttons ask first how many dead deliveries the
    filter holds (``deadCountRequested``); the answer comes down as :meth:`confirm_bulk`,
    and a confirmation goes up as ``resolveAllRequested`` / ``retryAllRequested``.
    """

    filterChanged = Signal(object)  # EventFilter
    retryRequested = Signal(int, str)
    replayRequested = Signal(int, list)
    resolveRequested = Signal(int, str, str)  # event seq, handler, reason
    deadCountRequested = Signal(str)  # RESOLVE_ALL or RETRY_ALL
    resolveAllRequested = Signal(str)  # the reason
    retryAllRequested = Signal()

    RESOLVE_ALL = "resolve"
    RETRY_ALL = "retry"

    def __init__(self, proxy: EventFilterProxy, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.proxy = proxy
        bar = self._build_filters()
        self.table = self._build_table(proxy)
        self.detail = EventDetail()
        self.detail.retryRequested.connect(self.retryRequested)
        self.detail.replayRequested.connect(self.replayRequested)
        self.detail.resolveRequested.connect(self.resolveRequested)
        self.bulk_dialog: ReasonDialog | QMessageBox | None = None
        self.detail.orderFilterRequested.connect(self._filter_order)

        self.counts = QLabel()
        self.older_button = QPushButton("Load older")
        self.older_button.setToolTip("Page in older events (scrolling to the end does too)")
        self.older_button.clicked.connect(self._load_older)
        self.resolve_all_button = QPushButton("Resolve all dead…")
        self.resolve_all_button.setToolTip(
            "Settle every dead delivery of the events shown: the type, handler, order "
            "and search filters (asks why, and says how many first)"
        )
        self.resolve_all_button.clicked.connect(
            lambda: self.deadCountRequested.emit(self.RESOLVE_ALL)
        )
        self.retry_all_button = QPushButton("Retry all dead…")
        self.retry_all_button.setToolTip(
            "Make every dead delivery of the events shown due now: the type, handler, "
            "order and search filters (says how many first)"
        )
        self.retry_all_button.clicked.connect(lambda: self.deadCountRequested.emit(self.RETRY_ALL))
        self.status = StatusLine()
        self.legend = _legend()
        footer = QHBoxLayout()
        footer.addWidget(self.resolve_all_button)
        footer.addWidget(self.retry_all_button)
        footer.addStretch(1)
        footer.addWidget(self.counts)
        footer.addWidget(self.older_button)

        left = stacked(self.table, self.legend, footer, self.status)
        self.splitter = split(Qt.Orientation.Horizontal, left, self.detail)
        self.splitter.setSizes([900, 600])

        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.splitter, 1)

        for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset):
            signal.connect(self._update_counts)
        source = self._source
        if source is not None:
            # The source, not the proxy: the event shown may be filtered out meanwhile.
            source.dataChanged.connect(self._refresh_detail)
            source.rowsInserted.connect(self._update_counts)
            source.pagingChanged.connect(self._update_counts)
        self._update_counts()

    def _build_filters(self) -> QHBoxLayout:
        self.type_filter = _combo("Only events of this type", EVENT_TYPES)
        self.handler_filter = _combo("Only events delivered to this handler", ())
        self.status_filter = _combo(
            "Only events with a delivery in this status", (s.value for s in DeliveryStatus)
        )
        self.order_filter = QLineEdit()
        self.order_filter.setPlaceholderText("Order # or id")
        self.order_filter.setClearButtonEnabled(True)
        self.order_filter.setMaximumWidth(200)
        self.text_filter = QLineEdit()
        self.text_filter.setPlaceholderText("Search all events: names, items, errors, #order…")
        self.text_filter.setToolTip(
            "Searches the whole log on the server: every word must be in the event's "
            "payload, type, handlers or their errors (a word finds the words it begins)"
        )
        self.text_filter.setMaxLength(MAX_SEARCH_CHARS)
        self.text_filter.setClearButtonEnabled(True)
        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(SEARCH_DELAY_MS)
        self._text_timer.timeout.connect(self._emit_filter)
        for combo in (self.type_filter, self.handler_filter, self.status_filter):
            combo.currentIndexChanged.connect(self._emit_filter)
        self.order_filter.editingFinished.connect(self._emit_filter)
        self.text_filter.textChanged.connect(self._text_timer.start)
        bar = QHBoxLayout()
        for label, widget in (
            ("Type", self.type_filter),
            ("Handler", self.handler_filter),
            ("Status", self.status_filter),
            ("Order", self.order_filter),
        ):
            bar.addWidget(QLabel(label))
            bar.addWidget(widget)
        bar.addWidget(self.text_filter, 1)
        return bar

    def _build_table(self, proxy: EventFilterProxy) -> QTableView:
        table = row_table(proxy)  # fixed row heights: 100,000 rows are never measured
        table.setAlternatingRowColors(True)
        table.setItemDelegateForColumn(EventLogModel.DELIVERIES, DeliveryChipsDelegate(table))
        header = table.horizontalHeader()
        for column, width in (
            (EventLogModel.SEQ, 70),
            (EventLogModel.TIME, 84),
            (EventLogModel.TYPE, 190),
            (EventLogModel.ORDER, 64),
        ):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Interactive)
            table.setColumnWidth(column, width)
        header.setStretchLastSection(True)
        table.selectionModel().currentRowChanged.connect(self._current_changed)
        return table

    # -- attributes down ------------------------------------------------------------------

    def set_handlers(self, names: Iterable[str]) -> None:
        """The handler names the handler filter offers."""
        current = self.handler_filter.currentData()
        self.handler_filter.blockSignals(True)
        while self.handler_filter.count() > 1:
            self.handler_filter.removeItem(1)
        for name in names:
            self.handler_filter.addItem(name, name)
        self.handler_filter.setCurrentIndex(max(0, self.handler_filter.findData(current)))
        self.handler_filter.blockSignals(False)

    def add_event_type(self, event_type: str) -> None:
        if self.type_filter.findData(event_type) < 0:
            self.type_filter.addItem(event_type, event_type)

    def select_seq(self, seq: int) -> bool:
        """Select the event ``seq`` if it is shown; whether it is."""
        source = self._source
        at = None if source is None else source.position(seq)
        if source is None or at is None:
            return False
        index = self.proxy.mapFromSource(source.index(at, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        return True

    def confirm_bulk(self, action: str, count: int, scope: str) -> None:
        """Ask to confirm acting on the ``count`` dead deliveries ``scope`` describes
        (window-modal, never a blocking ``exec()``)."""
        if count == 0:
            self.status.show_message(f"No dead deliveries {scope}")
            return
        many = f"{count:,} dead deliver{'y' if count == 1 else 'ies'} {scope}"
        dialog: ReasonDialog | QMessageBox
        if action == self.RESOLVE_ALL:
            dialog = resolve_dialog(
                "Resolve dead deliveries",
                f"Settle {many}? They will not run again (a replay still can).",
                f"Resolve {count:,}",
                self,
            )
            dialog.reasonChosen.connect(self.resolveAllRequested)
        else:
            dialog = QMessageBox(
                QMessageBox.Icon.Question,
                "Retry dead deliveries",
                f"Make {many} due now, each with a fresh attempt budget?",
                QMessageBox.StandardButton.Cancel,
                self,
            )
            retry = dialog.addButton(f"Retry {count:,}", QMessageBox.ButtonRole.AcceptRole)
            retry.clicked.connect(self.retryAllRequested)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._bulk_closed)
        self.bulk_dialog = dialog
        dialog.open()

    def _bulk_closed(self) -> None:
        self.bulk_dialog = None

    @property
    def current_filter(self) -> EventFilter:
        order_id, order_number = parse_order(self.order_filter.text())
        status = self.status_filter.currentData()
        return EventFilter(
            type=self.type_filter.currentData(),
            handler=self.handler_filter.currentData(),
            status=None if status is None else DeliveryStatus(status),
            order_id=order_id,
            order_number=order_number,
            text=self.text_filter.text().strip(),
        )

    # -- inside ---------------------------------------------------------------------------

    @property
    def _source(self) -> EventLogModel | None:
        source = self.proxy.sourceModel()
        return source if isinstance(source, EventLogModel) else None

    def _emit_filter(self) -> None:
        self._text_timer.stop()
        self.filterChanged.emit(self.current_filter)

    def _filter_order(self, order_id: str) -> None:
        self.order_filter.setText(order_id)
        self._emit_filter()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        row = self.proxy.event_at(current.row()) if current.isValid() else None
        if row is not None:
            self.detail.show_event(row)

    def _refresh_detail(self, top_left: QModelIndex | QPersistentModelIndex, *_: object) -> None:
        shown = self.detail.row
        source = self._source
        if shown is None or source is None:
            return
        fresh: EventRow | None = source.get(shown.seq)
        if fresh is not None and fresh != shown:
            self.detail.show_event(fresh)

    def _load_older(self) -> None:
        if self._source is not None:
            self._source.fetchMore(QModelIndex())

    def _update_counts(self) -> None:
        source = self._source
        loaded = 0 if source is None else source.rowCount()
        shown = self.proxy.rowCount()
        text = f"{loaded:,} events loaded" if shown == loaded else f"{shown:,} of {loaded:,} shown"
        search = self.current_filter.search
        if source is not None and source.loading:
            text += " · loading older…"
        elif search is not None and shown == 0 and source is not None and not source.more_available:
            text = f"No event in the whole log matches “{search}”"
        elif source is not None and not source.more_available:
            text += " · all"
        self.counts.setText(text)
        self.older_button.setEnabled(source is not None and source.canFetchMore(QModelIndex()))
