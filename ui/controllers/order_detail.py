"""Keeps an open order detail current: the order live (``order(id)``), and its history
read again whenever the event log shows one of its events or deliveries change."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from ui.client import GraphQLClient, GraphQLError, Subscription
from ui.controllers._rerun import Rerun
from ui.controllers._tasks import Tasks
from ui.models.order_detail import HistoryModel, LinesModel, history_rows
from ui.models.orders import ORDER_FIELDS, OrderRow
from ui.views.order_detail import OrderDetailDialog

HISTORY_FIELDS = """
  events { seq type createdAt deliveries { handler status attempts lastError } }
"""
ORDER = f"query Order($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} {HISTORY_FIELDS} }} }}"
ORDER_LIVE = f"subscription OrderLive($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
LOG = (
    "subscription OrderLog($after: String) { eventLog(after: $after) { cursor event { orderId } } }"
)


class OrderDetailController(QObject):
    """Opens the detail of ``order_id`` on :meth:`open`; lives until the dialog closes.

    Its reads run as its own tasks and are cancelled when the dialog closes: an answer
    arriving after that has no dialog left to show it in.
    """

    def __init__(self, client: GraphQLClient, order_id: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.client = client
        self.order_id = order_id
        self.lines = LinesModel(self)
        self.history = HistoryModel(self)
        self.view = OrderDetailDialog(self.lines, self.history, parent)
        self.order: OrderRow | None = None
        self._cursor: str | None = None
        self._subscriptions: list[Subscription] = []
        self.read = Rerun(self._read)
        self.tasks = Tasks(self.view.show_error)
        self.view.refreshRequested.connect(lambda: self.tasks.spawn(self.read()))
        self.view.finished.connect(self._closed)

    def open(self) -> None:
        self.tasks.spawn(self.start())

    async def start(self) -> None:
        self.view.show()
        self._subscriptions = [
            self.client.subscribe(ORDER_LIVE, lambda: {"id": self.order_id}, self._order),
            self.client.subscribe(LOG, lambda: {"after": self._cursor}, self._logged),
        ]
        await self.read()

    async def _read(self) -> None:
        try:
            data = await self.client.execute(ORDER, {"id": self.order_id})
        except GraphQLError as exc:
            self.view.show_error(f"Cannot read the order: {exc.message}")
            return
        found = data["order"]
        if found is None:
            self.view.show_error("This order does not exist (any more).")
            return
        self.view.show_error(None)
        self._show(OrderRow.of(found))
        self.history.sync(history_rows(found["events"]))

    def _show(self, order: OrderRow) -> None:
        if self.order is None or not self.order.is_newer_than(order):
            self.order = order
            self.view.set_order(order)
        if not self.lines.rows:
            self.lines.sync(list(order.items))

    def _order(self, data: dict[str, Any]) -> None:
        self._show(OrderRow.of(data["order"]))
        self.tasks.spawn(self.read())

    def _logged(self, data: dict[str, Any]) -> None:
        entry = data["eventLog"]
        self._cursor = str(entry["cursor"])
        if entry["event"]["orderId"] == self.order_id:
            self.tasks.spawn(self.read())

    def _closed(self) -> None:
        self.tasks.cancel()
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions = []
        self.view.deleteLater()
        self.deleteLater()
