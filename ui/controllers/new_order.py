"""Runs the New order dialog: the live menu, and placing the order exactly once.

Live availability: the dialog follows the event log while it is open and reads the menu
again whenever a ``menu_item_changed`` goes by (and after a reconnect), so an item that
runs out greys out in front of the person taking the order. Should one run out in the
instant between two reads, the server refuses it and the dialog says which line.

Exactly once: the dialog gets one idempotency key when it opens; a second click, or a
retry after a lost answer, gets the first order back instead of placing another.
"""

from __future__ import annotations

import uuid
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from ui.client import GraphQLClient, GraphQLError, Subscription
from ui.controllers._rerun import Rerun
from ui.controllers._tasks import Tasks
from ui.models.cart import CartLine, CartModel
from ui.models.modifiers import MODIFIER_GROUP_FIELDS
from ui.tasks import spawn
from ui.views.new_order import NewOrderDialog

MENU = (
    "query Menu { menu { id name category priceCents available stock "
    + MODIFIER_GROUP_FIELDS
    + " } phoneRegion }"
)
MENU_CHANGES = """
subscription MenuChanges($after: String) {
  eventLog(after: $after, types: ["menu_item_changed"]) { cursor event { type } }
}
"""
PLACE_ORDER = """
mutation PlaceOrder($input: PlaceOrderInput!, $key: String) {
  placeOrder(input: $input, idempotencyKey: $key) { order { id number } }
}
"""


class NewOrderController(QObject):
    """Opens the dialog on :meth:`open`; ``placed(order_id, number)`` once it is placed.

    Its reads run as its own tasks, cancelled when the dialog closes; placing the order
    is not (the server decides; a second try with the same key gets the same order).
    """

    placed = Signal(str, int)

    def __init__(self, client: GraphQLClient, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.cart = CartModel(self)
        self.view = NewOrderDialog(self.cart, parent)
        self.idempotency_key = uuid.uuid4().hex
        self._cursor: str | None = None
        self._subscription: Subscription | None = None
        self.read_menu = Rerun(self._read_menu)
        self.closed = False
        self.tasks = Tasks(lambda message: self.view.show_error(None, message))
        self.view.placeRequested.connect(lambda order: spawn(self.place(order)))
        self.view.finished.connect(self._closed)
        client.connectionChanged.connect(self._connection)

    def open(self) -> None:
        self.tasks.spawn(self.start())

    async def start(self) -> None:
        self.view.open()
        self._subscription = self.client.subscribe(
            MENU_CHANGES, lambda: {"after": self._cursor}, self._logged
        )
        await self.read_menu()

    async def _read_menu(self) -> None:
        try:
            data = await self.client.execute(MENU)
        except GraphQLError as exc:
            self.view.show_error(None, f"Cannot read the menu: {exc.message}")
            return
        self.cart.set_menu(CartLine.of(item) for item in data["menu"])
        self.view.set_phone_region(data.get("phoneRegion"))
        self.view.set_categories(self.cart.categories)

    async def place(self, order: dict[str, Any]) -> None:
        if self.closed:
            return  # closed between the click and this task's start: nothing was sent
        self.view.set_busy(True)
        try:
            data = await self.client.execute(
                PLACE_ORDER, {"input": order, "key": self.idempotency_key}
            )
        except GraphQLError as exc:
            if not self.closed:
                self.view.set_busy(False)
                self.view.show_error(exc.field, exc.message)
                # The menu changed under the dialog: read it again (sold out, or choices).
                if exc.field is not None and exc.field.endswith(("menuItemId", "modifierIds")):
                    self.tasks.spawn(self.read_menu())
            return
        if self.closed:
            return  # a repeat of a request whose first answer already closed the dialog
        placed = data["placeOrder"]["order"]
        self.placed.emit(str(placed["id"]), int(placed["number"]))
        self.view.accept()

    def _logged(self, data: dict[str, Any]) -> None:
        entry = data["eventLog"]
        self._cursor = str(entry["cursor"])
        if entry["event"]["type"] == "menu_item_changed":
            self.tasks.spawn(self.read_menu())

    def _connection(self, state: str) -> None:
        if state == "connected" and self._subscription is not None:
            self.tasks.spawn(self.read_menu())  # whatever changed while the connection was down

    def _closed(self) -> None:
        self.closed = True
        self.tasks.cancel()
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None
        self.client.connectionChanged.disconnect(self._connection)
        self.view.deleteLater()
        self.deleteLater()
