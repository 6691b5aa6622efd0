"""Over the board while a handler is paused: what waits because of it, and Resume."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.models.stages import Status

# The restaurant's handlers in words staff use; a webhook keeps its own name.
HANDLER_LABELS = {
    "validate_order": "Order checks",
    "charge_payment": "Payments",
    "send_to_kitchen": "Kitchen tickets",
    "update_inventory": "Stock updates",
    "notify_customer": "Customer messages",
    "assign_driver": "Driver dispatch",
    "award_loyalty": "Loyalty points",
}
# The status an order is in while its event waits for a handler.
STATUS_AFTER = {
    "order_placed": Status.PLACED,
    "order_validated": Status.VALIDATED,
    "order_rejected": Status.REJECTED,
    "order_paid": Status.PAID,
    "payment_failed": Status.PAYMENT_FAILED,
    "order_in_kitchen": Status.IN_KITCHEN,
    "order_ready": Status.READY,
    "order_recalled": Status.IN_KITCHEN,
    "order_reopened": Status.READY,
    "order_out_for_delivery": Status.OUT_FOR_DELIVERY,
    "order_completed": Status.COMPLETED,
    "order_cancelled": Status.CANCELLED,
}


@dataclass(frozen=True, slots=True)
class PausedHandler:
    name: str
    events: tuple[str, ...]
    waiting: int  # deliveries due to it, held back by the pause

    def label(self) -> str:
        return HANDLER_LABELS.get(self.name, self.name)

    def what_waits(self) -> str:
        """E.g. "Payments paused: 3 orders wait at Validated"."""
        statuses = [STATUS_AFTER[e] for e in self.events if e in STATUS_AFTER]
        head = f"{self.label()} paused"
        if not self.waiting:
            return f"{head}: nothing waits yet; new work stops here until you resume"
        if len(statuses) == 1:
            orders = "1 order waits" if self.waiting == 1 else f"{self.waiting} orders wait"
            return f"{head}: {orders} at {statuses[0].value.replace('_', ' ').capitalize()}"
        deliveries = "1 delivery waits" if self.waiting == 1 else f"{self.waiting} deliveries wait"
        return f"{head}: {deliveries}"


class PausedBanner(QFrame):
    """One line per paused handler with its Resume button; hidden when none is paused."""

    resumeRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pausedBanner")
        self._rows = QVBoxLayout(self)
        self._rows.setContentsMargins(12, 6, 12, 6)
        self.lines: dict[str, QLabel] = {}
        self.setVisible(False)

    def set_paused(self, paused: list[PausedHandler]) -> None:
        while self._rows.count():
            item = self._rows.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        self.lines = {}
        for handler in paused:
            row = QWidget()
            box = QHBoxLayout(row)
            box.setContentsMargins(0, 0, 0, 0)
            text = QLabel(handler.what_waits())
            text.setObjectName("pausedText")
            resume = QPushButton(f"Resume {handler.label().lower()}")
            resume.clicked.connect(
                lambda _=False, name=handler.name: self.resumeRequested.emit(name)
            )
            box.addWidget(text, 1)
            box.addWidget(resume)
            self._rows.addWidget(row)
            self.lines[handler.name] = text
        self.setVisible(bool(paused))
