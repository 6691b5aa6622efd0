"""Orders ▸ Customer page…: the order page's address and its QR code, per table on
request, saved as a PNG card to print and put on the table."""

from __future__ import annotations

from PySide6.QtCore import QRegularExpression, Qt, Signal
from PySide6.QtGui import QPixmap, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui.customer_page import is_loopback, listens_everywhere, order_page_url, qr_png

# The API's tables are 1 to 999 (and the order page reads no other ?table=).
TABLE_PATTERN = "[1-9][0-9]{0,2}"


class CustomerPageDialog(QDialog):
    """Shows the address and QR code; ``saved(path)`` after a card was written."""

    saved = Signal(str)

    def __init__(self, api_url: str, lan: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Customer page")
        self.api_url, self.lan = api_url, lan
        intro = QLabel(
            "Customers order from their phone at this address: put its QR code on the "
            "counter, or one per table (the table's orders are then dine-in at that table)."
        )
        intro.setWordWrap(True)
        self.table = QLineEdit()
        self.table.setPlaceholderText("none: takeaway and delivery (tables 1 to 999)")
        self.table.setValidator(
            QRegularExpressionValidator(QRegularExpression(TABLE_PATTERN), self.table)
        )
        self.table.setAccessibleName("Table")
        self.table.textChanged.connect(self._show)
        form = QFormLayout()
        form.addRow("&Table:", self.table)
        # The card: what is saved and printed.
        self.card = QWidget()
        self.card.setObjectName("qrCard")
        self.card.setStyleSheet("#qrCard { background: white; } QLabel { color: black; }")
        self.caption = QLabel()
        self.caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.caption.setStyleSheet("font-size: 20px; font-weight: bold;")
        self.code = QLabel()
        self.code.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.address = QLabel()
        self.address.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.address.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        card = QVBoxLayout(self.card)
        for widget in (self.caption, self.code, self.address):
            card.addWidget(widget)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("fieldError")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.save_button = buttons.addButton(
            "&Save card to print…", QDialogButtonBox.ButtonRole.ActionRole
        )
        self.save_button.clicked.connect(self._ask_path)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.card)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        self._show()

    @property
    def url(self) -> str:
        table = self.table.text() if self.table.hasAcceptableInput() else None
        return order_page_url(self.api_url, self.lan, table)

    def _show(self) -> None:
        url = self.url
        table = url.partition("?table=")[2]
        self.caption.setText(f"Table {table} · scan to order" if table else "Scan to order")
        pixmap = QPixmap()
        pixmap.loadFromData(qr_png(url, scale=6))
        self.code.setPixmap(pixmap)
        self.address.setText(url)
        if is_loopback(self.api_url) and self.lan is None:
            self.note.setText(
                "This computer has no network address: phones cannot reach the page. "
                "Connect it to the restaurant's network."
            )
        elif is_loopback(self.api_url) and not listens_everywhere(self.api_url):
            self.note.setText(
                "Phones reach this address only when Passline listens on the network: "
                "start it with --host 0.0.0.0 (README, Customer pages)."
            )
        else:
            self.note.setText("")

    def _ask_path(self) -> None:
        table = self.url.partition("?table=")[2]
        name = f"passline-table-{table}.png" if table else "passline-order-page.png"
        path, _ = QFileDialog.getSaveFileName(self, "Save the card", name, "PNG image (*.png)")
        if path:
            self.save(path)

    def save(self, path: str) -> None:
        if self.card.grab().save(path, "PNG"):
            self.saved.emit(path)
        else:
            self.note.setText(f"Could not write {path}: choose another folder.")
