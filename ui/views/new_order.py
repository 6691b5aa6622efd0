"""The New order dialog (F2), for phone and counter orders; a view over the cart model.

Keyboard first: type to search the menu, Enter (or +) adds the highlighted item (one with
a required choice, a steak's doneness, asks for it first), - takes one off, F4 on a ticket
line changes its modifiers and allergies, Tab walks through the ticket and the customer fields,
Ctrl+Enter places the order. It emits ``placeRequested(input)`` with a
``PlaceOrderInput``; the controller sends it and reports errors back with
:meth:`show_error` (next to the field concerned).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QIntValidator, QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.cart import (
    ALLERGENS,
    MAX_NOTE_CHARS,
    MAX_QUANTITY,
    CartLine,
    CartModel,
    MenuFilter,
    TicketFilter,
    money,
)
from ui.models.phone import phone_problem
from ui.views.choices_cell import ChoicesDelegate
from ui.views.line_choices import LineChoicesDialog

CHANNELS = (("Phone", "PHONE"), ("Counter", "COUNTER"))
FULFILLMENTS = (("Takeaway", "TAKEAWAY"), ("Delivery", "DELIVERY"), ("Dine in", "DINE_IN"))
ALL_CATEGORIES = "All"
NOTES_LINES = 3  # the order's notes field shows this many lines
DEFAULT_CONFIRM_ABOVE_CENTS = 15_000  # an order over this asks once before it is placed
PLUS_KEYS = (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Return, Qt.Key.Key_Enter)
MINUS_KEYS = (Qt.Key.Key_Minus,)
MAX_TABLE = 999  # the API's tables are 1 to 999
NO_ALLERGY = "None"
LABEL_SLACK = 4  # pixels past the widest form label's size hint
CHOICES_KEY = Qt.Key.Key_F4  # on a ticket line: its modifiers and allergies


class QuantityDelegate(QStyledItemDelegate):
    """A plain number editor: a spin box would quietly turn 99999 into 99; the cart
    refuses what is over the limit and says why."""

    def createEditor(
        self,
        parent: QWidget,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> QWidget:
        editor = QLineEdit(parent)
        editor.setValidator(QIntValidator(0, 999_999, editor))
        return editor

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QLineEdit):
            editor.setText(str(index.data(Qt.ItemDataRole.EditRole) or ""))

    def setModelData(
        self,
        editor: QWidget,
        model: QAbstractItemModel,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        if isinstance(editor, QLineEdit) and editor.text().strip():
            model.setData(index, int(editor.text()), Qt.ItemDataRole.EditRole)


def _even_labels(form: QFormLayout) -> None:
    """Give every label of ``form`` the widest one's width: a label held to its own
    size hint can be drawn a few pixels wider than that ("Tabl" for "Table")."""
    labels = [
        item.widget()
        for row in range(form.rowCount())
        if (item := form.itemAt(row, QFormLayout.ItemRole.LabelRole)) is not None
    ]
    found = [label for label in labels if isinstance(label, QLabel)]
    width = max((label.sizeHint().width() for label in found), default=0)
    for label in found:
        label.setMinimumWidth(width + LABEL_SLACK)


def _error_label() -> QLabel:
    label = QLabel()
    label.setObjectName("fieldError")
    label.setWordWrap(True)
    label.setVisible(False)
    return label


class NewOrderDialog(QDialog):
    """Emits ``placeRequested(input)``; shows the controller's answers."""

    placeRequested = Signal(dict)

    def __init__(self, cart: CartModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newOrder")
        self.setWindowTitle("New order")
        self.cart = cart
        self.menu = MenuFilter(cart, self)
        self.ticket = TicketFilter(cart, self)
        self._sent: list[str] = []  # line keys in the order sent, to place "items.N" errors
        self.chooser: LineChoicesDialog | None = None  # a line's choices, while open
        # A total above this asks once (set from the window's settings; None: never).
        self.confirm_above_cents: int | None = DEFAULT_CONFIRM_ABOVE_CENTS
        self._confirmed_total: int | None = None
        self.confirm: QMessageBox | None = None

        self._build_menu()
        self._build_form()
        self._build_footer()
        self._layout()
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self.request_place)
        QShortcut(QKeySequence("Ctrl+F"), self, self.search.setFocus)
        cart.dataChanged.connect(self._totals)
        cart.rowsInserted.connect(self._totals)
        cart.rowsRemoved.connect(self._totals)
        cart.refused.connect(lambda reason: self.show_error("items", reason))
        self._fulfillment()
        self._totals()
        self.resize(1240, 720)

    # -- building ---------------------------------------------------------------------------

    def _build_menu(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search the menu  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._search)
        self.search.installEventFilter(self)
        self.categories = QTabBar()
        self.categories.setObjectName("categories")
        self.categories.setExpanding(False)
        self.categories.currentChanged.connect(self._category)

        self.menu_table = self._table(
            self.menu, (CartModel.ITEM, CartModel.PRICE, CartModel.QUANTITY)
        )
        self.menu_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.menu_table.doubleClicked.connect(lambda index: self._add_row(index.row(), 1))
        self.menu_table.installEventFilter(self)
        self.ticket_table = self._table(
            self.ticket,
            (
                CartModel.QUANTITY,
                CartModel.ITEM,
                CartModel.CHOICES,
                CartModel.NOTES,
                CartModel.TOTAL,
            ),
        )
        self.ticket_table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.ticket_table.horizontalHeader().setSectionResizeMode(
            CartModel.NOTES, QHeaderView.ResizeMode.Stretch
        )
        header = self.ticket_table.horizontalHeader()
        header.moveSection(header.visualIndex(CartModel.QUANTITY), 0)
        header.moveSection(header.visualIndex(CartModel.CHOICES), 2)
        # A line's choices wrap rather than being cut: "no onion" read in part is wrong.
        header.setSectionResizeMode(CartModel.CHOICES, QHeaderView.ResizeMode.Stretch)
        self.ticket_table.setWordWrap(True)
        self.ticket_table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.ticket_table.doubleClicked.connect(self._ticket_double_clicked)
        self.ticket_table.setItemDelegateForColumn(
            CartModel.QUANTITY, QuantityDelegate(self.ticket_table)
        )
        self.choices_cell = ChoicesDelegate(self.ticket_table)
        self.ticket_table.setItemDelegateForColumn(CartModel.CHOICES, self.choices_cell)
        self.ticket_table.installEventFilter(self)
        self.items_error = _error_label()

    def _build_form(self) -> None:
        self.customer = QLineEdit()
        self.phone = QLineEdit()
        self.phone.setPlaceholderText("With the area code")
        self.phone_region: str | None = None
        self.phone.textChanged.connect(self._phone_changed)
        self.channel = QComboBox()
        for label, value in CHANNELS:
            self.channel.addItem(label, value)
        self.fulfillment = QComboBox()
        for label, value in FULFILLMENTS:
            self.fulfillment.addItem(label, value)
        self.fulfillment.currentIndexChanged.connect(self._fulfillment)
        self.address = QLineEdit()
        self.address.setPlaceholderText("Street, number, door code")
        self.table = QLineEdit()
        self.table.setPlaceholderText("Table number")
        self.table.setValidator(QIntValidator(1, MAX_TABLE, self.table))
        # The guest's allergies: the kitchen ticket and the board shout them.
        self.allergy_menu = QMenu(self)
        self.allergy_actions: dict[str, QAction] = {}
        for name in ALLERGENS:
            action = self.allergy_menu.addAction(name.replace("_", " ").capitalize())
            action.setCheckable(True)
            action.toggled.connect(self._allergies_changed)
            self.allergy_actions[name] = action
        # A field like the others: as wide as they are, its text at the left and its
        # arrow at the right end (the theme); squeezed to "None", the arrow was clipped.
        self.allergies = QPushButton(NO_ALLERGY)
        self.allergies.setObjectName("allergies")
        self.allergies.setAutoDefault(False)
        self.allergies.setMenu(self.allergy_menu)
        self.allergies.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("For the whole order (the door bell, a birthday, …)")
        self.notes.setTabChangesFocus(True)
        lines = self.notes.fontMetrics().lineSpacing() * NOTES_LINES
        self.notes.setFixedHeight(lines + 2 * self.notes.frameWidth() + 8)
        self.notes_count = QLabel()
        self.notes_count.setObjectName("hint")
        self.notes.textChanged.connect(self._notes_changed)
        self._notes_changed()
        self.errors: dict[str, QLabel] = {
            field: _error_label()
            for field in ("customerName", "phone", "address", "table", "notes")
        }
        self.general_error = _error_label()

    def _build_footer(self) -> None:
        self.total = QLabel()
        self.total.setObjectName("orderTotal")
        self.place = QPushButton("Place order")
        self.place.setObjectName("primary")
        self.place.setDefault(False)
        self.place.setAutoDefault(False)
        self.place.setToolTip("Ctrl+Enter")
        self.place.clicked.connect(self.request_place)
        self.close_button = QPushButton("Close")
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)

    # -- layout -----------------------------------------------------------------------------

    def _table(self, model: MenuFilter | TicketFilter, shown: tuple[int, ...]) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.verticalHeader().setVisible(False)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        header = table.horizontalHeader()
        for column in range(len(CartModel.HEADERS)):
            table.setColumnHidden(column, column not in shown)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(CartModel.ITEM, QHeaderView.ResizeMode.Stretch)
        return table

    def _layout(self) -> None:
        left = QVBoxLayout()
        left.addWidget(self.search)
        left.addWidget(self.categories)
        left.addWidget(self.menu_table, 1)
        hint = QLabel(
            "Enter or + adds, - takes one off, double-click adds; "
            "F4 on a ticket line: its modifiers and allergies"
        )
        hint.setWordWrap(True)
        hint.setObjectName("hint")
        left.addWidget(hint)

        right = QVBoxLayout()
        title = QLabel("Ticket")
        title.setObjectName("sectionTitle")
        right.addWidget(title)
        right.addWidget(self.ticket_table, 1)
        right.addWidget(self.items_error)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, widget, field in (
            ("&Customer", self.customer, "customerName"),
            ("&Phone", self.phone, "phone"),
        ):
            form.addRow(label, self._with_error(widget, self.errors[field]))
        choices = QHBoxLayout()
        choices.addWidget(self.channel)
        choices.addWidget(self.fulfillment, 1)
        channel_label = QLabel("&How")
        channel_label.setBuddy(self.channel)
        form.addRow(channel_label, choices)
        form.addRow("&Address", self._with_error(self.address, self.errors["address"]))
        form.addRow("&Table", self._with_error(self.table, self.errors["table"]))
        form.addRow("A&llergies", self.allergies)
        notes = self._with_error(self.notes, self.errors["notes"])
        notes_layout = notes.layout()
        assert notes_layout is not None
        notes_layout.addWidget(self.notes_count)
        form.addRow("&Notes", notes)
        _even_labels(form)
        right.addLayout(form)

        grid = QGridLayout()
        grid.addLayout(left, 0, 0)
        grid.addLayout(right, 0, 1)
        grid.setColumnStretch(0, 6)
        grid.setColumnStretch(1, 5)
        footer = QHBoxLayout()
        footer.addWidget(self.total)
        footer.addStretch(1)
        footer.addWidget(self.general_error, 2)
        footer.addSpacing(16)
        footer.addWidget(self.close_button)
        footer.addWidget(self.place)
        outer = QVBoxLayout(self)
        outer.addLayout(grid, 1)
        outer.addLayout(footer)

    @staticmethod
    def _with_error(widget: QWidget, error: QLabel) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(widget)
        layout.addWidget(error)
        return box

    # -- attributes down ------------------------------------------------------------------------

    def set_categories(self, categories: list[str]) -> None:
        current = self.categories.tabText(self.categories.currentIndex())
        while self.categories.count():
            self.categories.removeTab(0)
        for name in [ALL_CATEGORIES, *categories]:
            self.categories.addTab(name)
        if current in categories:
            self.categories.setCurrentIndex(categories.index(current) + 1)

    def set_phone_region(self, region: str | None) -> None:
        """The restaurant's region, for numbers typed without their country code."""
        self.phone_region = region
        self._phone_changed()

    def set_busy(self, busy: bool) -> None:
        self.place.setEnabled(not busy)
        self.place.setText("Placing…" if busy else "Place order")

    def clear_errors(self) -> None:
        for label in (*self.errors.values(), self.items_error, self.general_error):
            label.clear()
            label.setVisible(False)

    def show_error(self, field: str | None, message: str) -> None:
        """Show a server error next to the field it names (``extensions.field``)."""
        label = self.general_error
        if field in self.errors:
            label = self.errors[field]
        elif field is not None and field.startswith("items"):
            label = self.items_error
            parts = field.split(".")
            if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(self._sent):
                # The line by its key: an item's second line keeps its place if others go.
                row = self.cart.find(self._sent[int(parts[1])])
                if row is not None:
                    message = f"{self.cart.line(row).name}: {message}"
        label.setText(message)
        label.setVisible(True)
        widget = {
            "customerName": self.customer,
            "phone": self.phone,
            "address": self.address,
            "table": self.table,
            "notes": self.notes,
        }.get(field or "")
        if widget is not None:
            widget.setFocus()

    # -- intents up -------------------------------------------------------------------------

    def order_input(self) -> dict[str, Any]:
        """The ``PlaceOrderInput`` the form describes now."""
        lines = self.cart.ticket
        self._sent = [line.key for line in lines]
        fulfillment = self.fulfillment.currentData()

        def text(widget: QLineEdit | QPlainTextEdit) -> str | None:
            value = widget.toPlainText() if isinstance(widget, QPlainTextEdit) else widget.text()
            return value.strip() or None

        return {
            "items": [
                {
                    "menuItemId": line.id,
                    "quantity": line.quantity,
                    "notes": line.notes or None,
                    "modifierIds": list(line.modifiers),
                    "allergens": list(line.allergens),
                }
                for line in lines
            ],
            "channel": self.channel.currentData(),
            "fulfillment": fulfillment,
            "customerName": text(self.customer),
            "phone": text(self.phone),
            "address": text(self.address) if fulfillment == "DELIVERY" else None,
            "table": self.table_number() if fulfillment == "DINE_IN" else None,
            "allergens": self.chosen_allergens(),
            "notes": text(self.notes),
        }

    def table_number(self) -> int | None:
        text = self.table.text().strip()
        return int(text) if text.isdigit() else None

    def chosen_allergens(self) -> list[str]:
        return [name for name, action in self.allergy_actions.items() if action.isChecked()]

    def request_place(self) -> None:
        if not self.place.isEnabled():
            return  # already on its way: one click, one order
        self.clear_errors()
        if not self.cart.ticket:
            self.show_error("items", "Add at least one item to the ticket.")
            return
        if self.fulfillment.currentData() == "DINE_IN" and self.table_number() is None:
            self.show_error("table", f"Dine in: type the table number (1 to {MAX_TABLE}).")
            return
        sold_out = [line.name for line in self.cart.ticket if not line.available]
        if sold_out:
            self.show_error(
                "items", f"Sold out now: {', '.join(sold_out)}. Take it off the ticket."
            )
            return
        for row, line in enumerate(self.cart.ticket):
            if line.missing is not None:
                self.ticket_table.selectRow(row)
                self.show_error(
                    "items",
                    f"{line.name}: {line.missing} before the order is sent; "
                    "double-click the line (or F4) to choose.",
                )
                return
        total = self.cart.total_cents
        limit = self.confirm_above_cents
        if limit is not None and total > limit and self._confirmed_total != total:
            self._ask_to_confirm(total, limit)
            return
        self.set_busy(True)  # before anything else can run: a second click finds it busy
        self.placeRequested.emit(self.order_input())

    def _ask_to_confirm(self, total: int, limit: int) -> None:
        """A big total is asked about once (a slip of 10 for 1 costs the kitchen dearly)."""
        self.confirm = QMessageBox(
            QMessageBox.Icon.Question,
            "Place this order?",
            f"This order comes to {money(total)}, over {money(limit)}. Place it?",
            QMessageBox.StandardButton.NoButton,
            self,
        )
        self.confirm.setInformativeText("Check the quantities on the ticket first.")
        place = self.confirm.addButton("Place it", QMessageBox.ButtonRole.AcceptRole)
        self.confirm.addButton("Go back", QMessageBox.ButtonRole.RejectRole)

        def confirmed() -> None:
            self._confirmed_total = total
            self.request_place()

        place.clicked.connect(confirmed)
        self.confirm.open()

    # -- reactions ------------------------------------------------------------------------------

    def _search(self, text: str) -> None:
        self.menu.set_search(text)
        if self.menu.rowCount():
            self.menu_table.selectRow(0)

    def _category(self, index: int) -> None:
        name = self.categories.tabText(index)
        self.menu.set_category(None if name in ("", ALL_CATEGORIES) else name)

    def _fulfillment(self) -> None:
        delivery = self.fulfillment.currentData() == "DELIVERY"
        self.address.setEnabled(delivery)
        if not delivery:
            self.errors["address"].setVisible(False)
        dine_in = self.fulfillment.currentData() == "DINE_IN"
        self.table.setEnabled(dine_in)
        if not dine_in:
            self.errors["table"].setVisible(False)

    def _allergies_changed(self) -> None:
        chosen = [self.allergy_actions[name].text() for name in self.chosen_allergens()]
        self.allergies.setText(", ".join(chosen) if chosen else NO_ALLERGY)

    def _phone_changed(self) -> None:
        problem = phone_problem(self.phone.text(), self.phone_region)
        label = self.errors["phone"]
        label.setText(problem or "")
        label.setVisible(problem is not None)

    def _notes_changed(self) -> None:
        text = self.notes.toPlainText()
        if len(text) > MAX_NOTE_CHARS:  # typed or pasted past the limit: kept to it
            cursor = self.notes.textCursor()
            self.notes.setPlainText(text[:MAX_NOTE_CHARS])
            cursor.setPosition(min(cursor.position(), MAX_NOTE_CHARS))
            self.notes.setTextCursor(cursor)
            return
        self.notes_count.setText(f"{len(text)} / {MAX_NOTE_CHARS} characters")
        self.notes_count.setProperty("full", len(text) >= MAX_NOTE_CHARS)
        self.notes_count.style().unpolish(self.notes_count)
        self.notes_count.style().polish(self.notes_count)

    def _totals(self) -> None:
        lines = self.cart.ticket
        if lines and all(line.available for line in lines):
            # What the ticket error asked for has been done: it goes.
            self.items_error.clear()
            self.items_error.setVisible(False)
        count = sum(line.quantity for line in lines)
        self.total.setText(
            f"{count} item{'s' if count != 1 else ''}  ·  Total {money(self.cart.total_cents)}"
        )

    def _add_row(self, row: int, count: int) -> None:
        if not 0 <= row < self.menu.rowCount():
            return
        line = self.menu.line(row)
        if count <= 0:
            self.cart.add(line.id, count)
        elif line.available and any(group.required for group in line.groups):
            # A choice it cannot go without (a steak's doneness) is asked first; the
            # chooser adds one with it (the same choices again add to that line).
            self._open_chooser(
                line.with_choices((), ()),
                "Add to ticket",
                lambda ids, named: self.cart.add_chosen(line.id, ids, named),
            )
        else:
            # Optional choices stay out of the way of fast entry (F4 on the line): a plain
            # one, beside a line of the item that has choices.
            self.cart.add_chosen(line.id, (), ())

    def _ticket_add(self, count: int) -> None:
        row = self.ticket_table.currentIndex().row()
        if 0 <= row < self.ticket.rowCount():
            line = self.ticket.line(row)
            self.cart.set_quantity(line.key, line.quantity + count)

    def edit_choices(self, row: int) -> None:
        """Open the chooser of ticket line ``row``: its modifiers and allergies."""
        if not 0 <= row < self.ticket.rowCount():
            return
        line = self.ticket.line(row)
        self._open_chooser(
            line, "Apply", lambda ids, named: self.cart.set_choices(line.key, ids, named)
        )

    def _open_chooser(
        self, line: CartLine, confirm: str, apply: Callable[[list[str], list[str]], object]
    ) -> None:
        if self.chooser is not None:
            self.chooser.close()
        self.chooser = LineChoicesDialog(line, confirm, self)
        self.chooser.chosen.connect(apply)
        self.chooser.finished.connect(self._chooser_closed)
        self.chooser.open()

    def _chooser_closed(self) -> None:
        if self.chooser is not None:
            self.chooser.deleteLater()
            self.chooser = None

    def _ticket_double_clicked(self, index: QModelIndex) -> None:
        if index.column() in (CartModel.ITEM, CartModel.CHOICES):
            self.edit_choices(index.row())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and not event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            keys: dict[QObject, Callable[[Qt.Key], bool]] = {
                self.search: self._search_key,
                self.menu_table: self._menu_key,
                self.ticket_table: self._ticket_key,
            }
            handle = keys.get(watched)
            if handle is not None and handle(Qt.Key(event.key())):
                return True
        return super().eventFilter(watched, event)

    def _search_key(self, key: Qt.Key) -> bool:
        if key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.menu_table.setFocus()
            if not self.menu_table.currentIndex().isValid():
                self.menu_table.selectRow(0)
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._add_row(max(0, self.menu_table.currentIndex().row()), 1)
            return True
        return False

    def _menu_key(self, key: Qt.Key) -> bool:
        if key in PLUS_KEYS:
            self._add_row(self.menu_table.currentIndex().row(), 1)
            return True
        if key in MINUS_KEYS:
            self._add_row(self.menu_table.currentIndex().row(), -1)
            return True
        return False

    def _ticket_key(self, key: Qt.Key) -> bool:
        if self.ticket_table.state() == QAbstractItemView.State.EditingState:
            return False
        if key == CHOICES_KEY:
            self.edit_choices(self.ticket_table.currentIndex().row())
            return True
        change = {Qt.Key.Key_Plus: 1, Qt.Key.Key_Equal: 1, Qt.Key.Key_Minus: -1}.get(key)
        if key == Qt.Key.Key_Delete:
            change = -MAX_QUANTITY
        if change is None:
            return False
        self._ticket_add(change)
        return True
