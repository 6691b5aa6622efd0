"""An order's detail: who and what, its lines, and its whole history of events and
deliveries. Not modal: staff keep working the board while it is open."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.cart import money
from ui.models.order_detail import HistoryModel, LinesModel
from ui.models.orders import OrderRow
from ui.models.stages import LABEL_OF

NONE = "\N{EN DASH}"


def _table(model: HistoryModel | LinesModel, *stretch: int) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    return table


class OrderDetailDialog(QDialog):
    """Emits ``refreshRequested`` (F5); the controller sets the order and the history."""

    refreshRequested = Signal()

    def __init__(self, lines: LinesModel, history: HistoryModel, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("orderDetail")
        self.setWindowTitle("Order")
        self.title = QLabel()
        self.title.setObjectName("sectionTitle")
        self.facts = QFormLayout()
        self.fields: dict[str, QLabel] = {}
        for key, label in (
            ("status", "Status"),
            ("how", "Channel"),
            ("customer", "Customer"),
            ("address", "Address"),
            ("notes", "Notes"),
            ("placed", "Placed"),
            ("total", "Total"),
        ):
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.fields[key] = value
            self.facts.addRow(label, value)
        self.lines_table = _table(lines, 1, 2)
        self.history_table = _table(history, 5)
        self.error = QLabel()
        self.error.setObjectName("fieldError")
        self.error.setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        refresh = buttons.addButton("Refresh", QDialogButtonBox.ButtonRole.ActionRole)
        refresh.setToolTip("F5")
        refresh.clicked.connect(self.refreshRequested)
        QShortcut(QKeySequence("F5"), self, self.refreshRequested.emit)

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.title)
        top_layout.addLayout(self.facts)
        top_layout.addWidget(self.lines_table, 1)
        bottom = QWidget()
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        history_title = QLabel("History: events and their deliveries to each handler")
        history_title.setObjectName("sectionTitle")
        bottom_layout.addWidget(history_title)
        bottom_layout.addWidget(self.history_table, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.resize(900, 760)

    def set_order(self, order: OrderRow) -> None:
        self.setWindowTitle(f"Order #{order.number}")
        self.title.setText(f"Order #{order.number}")
        self.fields["status"].setText(LABEL_OF[order.status].capitalize())
        how = f"{order.channel.lower()} · {order.fulfillment.replace('_', ' ').lower()}"
        self.fields["how"].setText(how)
        customer = " · ".join(part for part in (order.customer_name, order.phone) if part)
        self.fields["customer"].setText(customer or NONE)
        self.fields["address"].setText(order.address or NONE)
        self.fields["notes"].setText(order.notes or NONE)
        self.fields["placed"].setText(order.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"))
        self.fields["total"].setText(money(order.total_cents))

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
