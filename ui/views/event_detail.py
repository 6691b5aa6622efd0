"""The event log's detail pane: one event's payload, deliveries and attempts; retry,
replay, resolve."""

from __future__ import annotations

import json

from PySide6.QtCore import QItemSelection, Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.deliveries import DeliveryModel, InvocationModel
from ui.models.events import Delivery, DeliveryStatus, EventRow, local_time
from ui.views._widgets import row_table, section_title
from ui.views.reason_dialog import ReasonDialog, resolve_dialog


class ReplayDialog(QDialog):
    """Which of an event's handlers to deliver it to again; opened with ``open()``."""

    def __init__(self, row: EventRow, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.seq = row.seq
        self.setWindowTitle(f"Replay event #{row.seq}")
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Deliver <b>{row.type}</b> #{row.seq} again to:"))
        self.boxes: dict[str, QCheckBox] = {}
        for delivery in row.deliveries:
            box = QCheckBox(f"{delivery.handler}  ({delivery.status.value.lower()})")
            box.setChecked(True)
            box.toggled.connect(self._update)
            self.boxes[delivery.handler] = box
            layout.addWidget(box)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.replay_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.replay_button.setText("Replay")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._update()

    @property
    def chosen(self) -> list[str]:
        return [name for name, box in self.boxes.items() if box.isChecked()]

    def _update(self) -> None:
        self.replay_button.setEnabled(bool(self.chosen))


def _table(model: DeliveryModel | InvocationModel) -> QTableView:
    table = row_table(model)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    header = table.horizontalHeader()
    header.setSectionResizeMode(model.columnCount() - 1, QHeaderView.ResizeMode.Stretch)
    return table


def _fit(table: QTableView) -> None:
    """Columns as wide as their contents, the last one taking the rest.

    Done after each change rather than with ResizeToContents, which measures only the
    rows laid out at that moment and clips what arrives in a hidden tab.
    """
    for column in range(table.model().columnCount() - 1):
        table.resizeColumnToContents(column)


class EventDetail(QWidget):
    """Shows one :class:`EventRow`; emits what the operator wants done about it."""

    retryRequested = Signal(int, str)  # event seq, handler
    replayRequested = Signal(int, list)  # event seq, handler names
    resolveRequested = Signal(int, str, str)  # event seq, handler, reason
    orderFilterRequested = Signal(str)  # an order id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.row: EventRow | None = None
        self.replay_dialog: ReplayDialog | None = None
        self.resolve_dialog: ReasonDialog | None = None
        self.deliveries = DeliveryModel(self)
        self.invocations = InvocationModel(self)

        self.title = QLabel("Select an event")
        self.title.setObjectName("eventTitle")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setWordWrap(True)
        self.payload = QPlainTextEdit()
        self.payload.setReadOnly(True)
        self.payload.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.payload.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)

        self.delivery_table = _table(self.deliveries)
        self.delivery_table.selectionModel().selectionChanged.connect(self._delivery_selected)
        buttons = self._build_buttons()

        # Who settled the selected delivery and why; shown only for a RESOLVED one.
        self.resolution = QLabel()
        self.resolution.setObjectName("deliveryResolution")
        self.resolution.setWordWrap(True)
        self.resolution.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.resolution.setStyleSheet("color: palette(placeholder-text);")
        self.resolution.hide()

        self.invocation_table = _table(self.invocations)
        self.invocation_table.selectionModel().selectionChanged.connect(self._show_error)
        self.error = QPlainTextEdit()
        self.error.setReadOnly(True)
        self.error.setPlaceholderText("The selected attempt's error and traceback, in full")
        self.error.setMaximumHeight(90)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(section_title("Payload"))
        layout.addWidget(self.payload, 3)
        layout.addWidget(section_title("Deliveries"))
        layout.addWidget(self.delivery_table, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.resolution)
        layout.addWidget(section_title("Attempts of the selected delivery"))
        layout.addWidget(self.invocation_table, 2)
        layout.addWidget(self.error)
        self.show_event(None)

    def _build_buttons(self) -> QHBoxLayout:
        self.retry_button = QPushButton("Retry delivery")
        self.retry_button.setToolTip("Make the selected failed delivery due now")
        self.retry_button.clicked.connect(self._retry)
        self.replay_button = QPushButton("Replay…")
        self.replay_button.setToolTip("Deliver this event again to handlers you choose")
        self.replay_button.clicked.connect(self.open_replay)
        self.resolve_button = QPushButton("Resolve…")
        self.resolve_button.setToolTip(
            "Settle the selected dead delivery: it will not run again (asks why)"
        )
        self.resolve_button.clicked.connect(self.open_resolve)
        self.order_button = QPushButton("Only this order")
        self.order_button.setToolTip("Filter the log to this event's order")
        self.order_button.clicked.connect(self._only_this_order)
        buttons = QHBoxLayout()
        buttons.addWidget(self.retry_button)
        buttons.addWidget(self.replay_button)
        buttons.addWidget(self.resolve_button)
        buttons.addStretch(1)
        buttons.addWidget(self.order_button)
        return buttons

    # -- attributes down ------------------------------------------------------------------

    def show_event(self, row: EventRow | None) -> None:
        """Show ``row`` (or nothing); the same event again keeps the selected delivery."""
        same_event = row is not None and self.row is not None and row.seq == self.row.seq
        handler = self.selected_delivery.handler if self.selected_delivery else None
        self.row = row
        if row is None:
            self.title.setText("Select an event")
            self.payload.setPlainText("")
            self.deliveries.sync([])
            self._update_buttons()
            return
        order = "" if row.order_number is None else f" · order #{row.order_number}"
        self.title.setText(
            f"<b>#{row.seq} {row.type}</b>{order} · {local_time(row.created_at)}"
            f"<br><small>{row.id}</small>"
        )
        if not same_event:
            self.payload.setPlainText(json.dumps(row.payload, indent=2, ensure_ascii=False))
        self.deliveries.sync(row.deliveries)
        _fit(self.delivery_table)
        if not same_event or handler is None:
            failed = next((d for d in row.deliveries if d.status.failed), None)
            first = failed or (row.deliveries[0] if row.deliveries else None)
            handler = None if first is None else first.handler
        self.select_delivery(handler)
        self._delivery_selected()

    def select_delivery(self, handler: str | None) -> None:
        position = None if handler is None else self.deliveries.find(handler)
        if position is None:
            self.delivery_table.clearSelection()
        else:
            self.delivery_table.selectRow(position)

    @property
    def selected_delivery(self) -> Delivery | None:
        rows = self.delivery_table.selectionModel().selectedRows()
        return self.deliveries.row(rows[0].row()) if rows else None

    # -- signals up -----------------------------------------------------------------------

    def open_replay(self) -> None:
        """Ask which handlers to replay to (window-modal, never a blocking ``exec()``)."""
        if self.row is None or not self.row.deliveries:
            return
        dialog = ReplayDialog(self.row, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.replayRequested.emit(dialog.seq, dialog.chosen))
        dialog.finished.connect(self._replay_closed)
        self.replay_dialog = dialog
        dialog.open()

    def _replay_closed(self) -> None:
        self.replay_dialog = None

    def open_resolve(self) -> None:
        """Ask why the selected dead delivery must not run again (window-modal)."""
        delivery = self.selected_delivery
        if self.row is None or delivery is None or delivery.status is not DeliveryStatus.DEAD:
            return
        seq, handler = self.row.seq, delivery.handler
        dialog = resolve_dialog(
            f"Resolve event #{seq} for {handler}",
            f"Settle the dead delivery of <b>{self.row.type}</b> #{seq} to <b>{handler}</b>? "
            "It will not run again (a replay still can).",
            "Resolve",
            self,
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.reasonChosen.connect(lambda reason: self.resolveRequested.emit(seq, handler, reason))
        dialog.finished.connect(self._resolve_closed)
        self.resolve_dialog = dialog
        dialog.open()

    def _resolve_closed(self) -> None:
        self.resolve_dialog = None

    def _retry(self) -> None:
        delivery = self.selected_delivery
        if self.row is not None and delivery is not None and delivery.status.failed:
            self.retryRequested.emit(self.row.seq, delivery.handler)

    def _only_this_order(self) -> None:
        if self.row is not None and self.row.order_id is not None:
            self.orderFilterRequested.emit(self.row.order_id)

    # -- inside ---------------------------------------------------------------------------

    def _delivery_selected(self, *_: QItemSelection) -> None:
        delivery = self.selected_delivery
        self.invocations.sync(delivery.invocations if delivery else ())
        _fit(self.invocation_table)
        if self.invocations.rowCount():
            self.invocation_table.selectRow(self.invocations.rowCount() - 1)
        self._show_error()
        self._show_resolution(delivery)
        self._update_buttons()

    def _show_resolution(self, delivery: Delivery | None) -> None:
        settled = None if delivery is None else delivery.resolution
        if settled is None:
            self.resolution.hide()
            return
        self.resolution.setText(
            f"Resolved by {settled.resolved_by} at {local_time(settled.resolved_at)}: "
            f"{settled.reason}"
        )
        self.resolution.show()

    def _show_error(self, *_: QItemSelection) -> None:
        rows = self.invocation_table.selectionModel().selectedRows()
        attempt = self.invocations.row(rows[0].row()) if rows else None
        error = None if attempt is None else attempt.error
        if attempt is not None and attempt.traceback:
            error = f"{error}\n\n{attempt.traceback}" if error else attempt.traceback
        if error is None and not rows and self.selected_delivery is not None:
            error = self.selected_delivery.last_error
        self.error.setPlainText(error or "")

    def _update_buttons(self) -> None:
        delivery = self.selected_delivery
        self.retry_button.setEnabled(delivery is not None and delivery.status.failed)
        self.replay_button.setEnabled(self.row is not None and bool(self.row.deliveries))
        self.resolve_button.setEnabled(
            delivery is not None and delivery.status is DeliveryStatus.DEAD
        )
        self.order_button.setEnabled(self.row is not None and self.row.order_id is not None)
