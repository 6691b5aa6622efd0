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
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.cart import money
from ui.models.order_detail import HistoryModel, LinesModel
from ui.models.orders import OrderRow
from ui.models.stages import ACTIONS_OF, LABEL_OF, Action, Status
from ui.views.order_card import ALLERGY_SIGN

NONE = "\N{EN DASH}"
# Statuses whose order has a ticket in the kitchen, to print again.
REPRINTABLE = frozenset({Status.PAID, Status.IN_KITCHEN, Status.READY})


def _table(model: HistoryModel | LinesModel, *stretch: int, wrap: bool = False) -> QTableView:
    """Columns as wide as what they hold (no wrapping, which would let a column be
    narrower than its text); ``stretch`` ones take the rest, and with ``wrap`` their
    text wraps, rows growing to hold it."""
    table = QTableView()
    table.setModel(model)
    table.verticalHeader().setVisible(False)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(wrap)
    if wrap:
        table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    for column in stretch:
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
    # The header sizes its sections to their contents only when it lays them out, not
    # when rows arrive later: without this, a column is as wide as its title.
    fitted = [column for column in range(model.columnCount()) if column not in stretch]

    def fit(*_: object) -> None:
        for column in fitted:
            table.resizeColumnToContents(column)

    for changed in (model.rowsInserted, model.dataChanged, model.modelReset):
        changed.connect(fit)
    return table


class OrderDetailDialog(QDialog):
    """Emits ``refreshRequested`` (F5), ``actionRequested(order_id, Action)`` and
    ``reprintRequested(order_id)``; the controller sets the order and the history."""

    refreshRequested = Signal()
    actionRequested = Signal(str, object)
    reprintRequested = Signal(str)

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
            ("table", "Table"),
            ("allergy", "Allergies"),
            ("address", "Address"),
            ("notes", "Notes"),
            ("reason", "Why"),
            ("placed", "Placed"),
            ("total", "Total"),
        ):
            value = QLabel()
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            self.fields[key] = value
            self.facts.addRow(label, value)
        self.fields["allergy"].setObjectName("allergy")  # bold red, by the theme
        self.order_id: str | None = None
        actions = self._build_actions()
        # A line's modifiers and note wrap, never cut: "no onion" read in part is wrong.
        self.lines_table = _table(lines, 1, 2, 3, wrap=True)
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
        top_layout.addLayout(actions)
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

    def _build_actions(self) -> QHBoxLayout:
        """What staff may do from here: the card's actions, and the ticket again."""
        self.action_buttons: dict[Action, QPushButton] = {}
        actions = QHBoxLayout()
        for action in Action:
            button = QPushButton(action.value)
            button.clicked.connect(lambda _=False, a=action: self._act(a))
            # Hidden until the order is read (set_order): a click before then did nothing.
            button.setVisible(False)
            self.action_buttons[action] = button
            actions.addWidget(button)
        self.reprint = QPushButton("Reprint kitchen ticket")
        self.reprint.setToolTip("Print this order's kitchen ticket again, marked REPRINT")
        self.reprint.clicked.connect(self._reprint)
        self.reprint.setVisible(False)
        actions.addWidget(self.reprint)
        actions.addStretch(1)
        return actions

    def set_order(self, order: OrderRow) -> None:
        self.setWindowTitle(f"Order #{order.number}")
        self.title.setText(f"Order #{order.number}")
        self.fields["status"].setText(LABEL_OF[order.status].capitalize())
        how = f"{order.channel.lower()} · {order.fulfillment.replace('_', ' ').lower()}"
        self.fields["how"].setText(how)
        customer = " · ".join(part for part in (order.customer_name, order.phone) if part)
        self.fields["customer"].setText(customer or NONE)
        self.fields["table"].setText(str(order.table))
        self.facts.setRowVisible(self.fields["table"], order.table is not None)
        allergy = allergy_text(order)
        self.fields["allergy"].setText(allergy)
        self.facts.setRowVisible(self.fields["allergy"], bool(allergy))
        self.fields["address"].setText(order.address or NONE)
        self.fields["notes"].setText(order.notes or NONE)
        self.fields["reason"].setText(order.reason or NONE)
        self.facts.setRowVisible(self.fields["reason"], bool(order.reason))
        self.order_id = order.id
        allowed = ACTIONS_OF[order.status]
        for action, button in self.action_buttons.items():
            button.setVisible(action in allowed)
        self.reprint.setVisible(order.status in REPRINTABLE)
        self.fields["placed"].setText(order.created_at.astimezone().strftime("%Y-%m-%d %H:%M:%S"))
        self.fields["total"].setText(money(order.total_cents))

    def _act(self, action: Action) -> None:
        if self.order_id is not None:
            self.actionRequested.emit(self.order_id, action)

    def _reprint(self) -> None:
        if self.order_id is not None:
            self.reprintRequested.emit(self.order_id)

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))


def allergy_text(order: OrderRow) -> str:
    """Every allergen of the order, the whole order's first, then each line's by name."""
    parts = [", ".join(_upper(name) for name in order.allergens)] if order.allergens else []
    parts += [
        f"{line.name}: " + ", ".join(_upper(name) for name in line.allergens)
        for line in order.items
        if line.allergens
    ]
    return f"{ALLERGY_SIGN} " + "; ".join(parts) if parts else ""


def _upper(name: str) -> str:
    return name.replace("_", " ")
