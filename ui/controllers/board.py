"""Feeds the orders board from the API and turns staff's intents on it into mutations.

How the board stays exact: it reads the newest event's seq *first*, then lists the
orders, then follows ``orderChanges`` from that seq. Changes made while the listing was
read arrive twice (in the listing and the feed); the model keeps whichever state of an
order is newer, so nothing is missed and nothing shows twice. After a dropped
connection the client resumes the feed from the last seq seen.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QMessageBox

from ui.client import GraphQLClient, GraphQLError, Subscription
from ui.controllers._rerun import Rerun
from ui.models.bumps import Bump, BumpsModel
from ui.models.orders import ORDER_FIELDS, OrderRow, OrdersModel
from ui.models.stages import FINISHED, Action, Status
from ui.models.stations import Station, StationAction
from ui.tasks import spawn
from ui.views.board import BoardView
from ui.views.reason_dialog import ReasonDialog, cancel_dialog
from ui.views.recall_dialog import RecallDialog

log = logging.getLogger(__name__)

PAGE = 500  # the API's largest page
RECENT_FINISHED = 200  # finished orders the Done view keeps
MAX_GRAPHQL_INT = 2**31 - 1
RETRY_LOAD_SECONDS = 1.0
# The last hour slides on even when nothing is bumped: read the average again this often.
TICKET_TIMES_MS = 60_000
TICKET_TIMES = "{ ticketTimes { count averageSeconds } }"

LAST_SEQ = """
query LastSeq($before: Int!) {
  events(beforeSeq: $before, first: 1) { seq }
  placed: events(beforeSeq: $before, first: 1, type: "order_placed") { payload }
}
"""
ORDERS = f"""
query Orders($status: [OrderStatus!], $after: String) {{
  orders(status: $status, first: {PAGE}, after: $after) {{ {ORDER_FIELDS} }}
}}
"""
ORDER_CHANGES = f"""
subscription OrderChanges($afterSeq: Int) {{
  orderChanges(afterSeq: $afterSeq) {{ seq type order {{ {ORDER_FIELDS} }} }}
}}
"""
MUTATIONS: dict[Action, str] = {
    Action.RETRY_PAYMENT: "mutation($id: ID!) { retryPayment(orderId: $id) { id } }",
    Action.TAKE_CASH: "mutation($id: ID!, $cents: Int!) "
    "{ takeCash(orderId: $id, amountCents: $cents) { id } }",
    Action.MARK_READY: "mutation($id: ID!) { markReady(orderId: $id) { id } }",
    Action.COMPLETE: "mutation($id: ID!) { completeOrder(orderId: $id) { id } }",
    Action.CANCEL: "mutation($id: ID!, $reason: String!) "
    "{ cancelOrder(orderId: $id, reason: $reason) { id } }",
}
REPRINT = "mutation($id: ID!) { reprintKitchenTicket(orderId: $id) { id } }"
RECALL = (
    "mutation($id: ID!, $from: OrderStatus) { recallOrder(orderId: $id, from: $from) { status } }"
)
# What a bump said, and what taking it back says.
BUMPED = {
    Action.MARK_READY: ("is ready", Status.READY),
    Action.COMPLETE: ("completed", Status.COMPLETED),
}
TAKEN_BACK = {
    Status.IN_KITCHEN.value: "is back in the kitchen",
    Status.READY.value: "is ready again",
}
ITEM_DONE = {
    True: "mutation($id: ID!, $line: Int!) { markItemDone(orderId: $id, line: $line) "
    "{ status items { done } } }",
    False: "mutation($id: ID!, $line: Int!) { markItemNotDone(orderId: $id, line: $line) "
    "{ status items { done } } }",
}
STATION_DONE = {
    True: "mutation($id: ID!, $station: Station!) { markStationDone(orderId: $id, "
    "station: $station) { status items { done } } }",
    False: "mutation($id: ID!, $station: Station!) { markStationNotDone(orderId: $id, "
    "station: $station) { status items { done } } }",
}
BUMPABLE = {Status.PAID.value, Status.IN_KITCHEN.value}  # where markReady and a stroke meet
ACTIVE = [status.value for status in Status if status not in FINISHED]


class BoardController(QObject):
    """Owns the orders model and the board view; ``start()`` loads and follows."""

    orderArrived = Signal(str)  # a new order appeared live (not in the first listing)
    errorOccurred = Signal(str)  # a message for the status bar
    loaded = Signal()

    def __init__(self, client: GraphQLClient, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.client = client
        self.model = OrdersModel(self)
        self.view = BoardView(self.model)
        self.cursor: int | None = None  # the seq of the last change seen
        self.subscription: Subscription | None = None
        self.cancel_dialog: ReasonDialog | None = None
        self.cash_dialog: QMessageBox | None = None
        self.recall_dialog: RecallDialog | None = None
        self.bumps = BumpsModel(self)  # this terminal's last bumps, for Undo and Recall
        self.view.toast.undoRequested.connect(self._undo)
        # The station of the bump the Undo toast offers to take back (None: a ready bump).
        self._toast_station: Station | None = None
        self.is_loaded = False
        self._select: str | None = None  # an order to select once the feed brings it
        self.view.actionRequested.connect(self.act)
        self._stopped = False  # the window closed: late answers have no view to go to
        self.read_times = Rerun(self._read_times)
        self._times_timer = QTimer(self)
        self._times_timer.setInterval(TICKET_TIMES_MS)
        self._times_timer.timeout.connect(lambda: spawn(self.read_times()))
        self.view.itemToggled.connect(self.toggle_item)
        # View ▸ Ready when every line is done: the last stroke bumps the ticket ready.
        self.ready_when_done = False

    async def _read_times(self) -> None:
        try:
            data = await self.client.execute(TICKET_TIMES)
        except GraphQLError as exc:
            log.info("cannot read the ticket times: %s", exc.message)
            return
        if self._stopped:
            return  # answered after the window closed: its widgets may be gone
        times = data["ticketTimes"]
        self.view.set_ticket_times(times["averageSeconds"], int(times["count"]))

    async def start(self) -> None:
        while True:
            try:
                await self._load()
                break
            except GraphQLError as exc:
                self.errorOccurred.emit(f"Cannot load the orders: {exc.message}")
                await asyncio.sleep(RETRY_LOAD_SECONDS)
        self.subscription = self.client.subscribe(
            ORDER_CHANGES, lambda: {"afterSeq": self.cursor}, self._changed
        )
        self.is_loaded = True
        self._times_timer.start()
        spawn(self.read_times())
        self.loaded.emit()

    async def reload(self) -> None:
        """List the open orders again (the feed keeps them current anyway)."""
        try:
            await self._load_pages(ACTIVE, None)
        except GraphQLError as exc:
            self.errorOccurred.emit(f"Cannot reload the orders: {exc.message}")

    def select_when_seen(self, order_id: str) -> None:
        self._select = order_id

    def stop(self) -> None:
        self._stopped = True
        self._times_timer.stop()
        if self.subscription is not None:
            self.subscription.cancel()
            self.subscription = None

    async def _load(self) -> None:
        marks = await self.client.execute(LAST_SEQ, {"before": MAX_GRAPHQL_INT})
        newest = marks["events"]
        self.cursor = newest[0]["seq"] if newest else 0
        placed = marks["placed"]
        last_number = placed[0]["payload"]["order"]["number"] if placed else 0
        await self._load_pages(ACTIVE, None)
        finished = [status.value for status in FINISHED]
        await self._load_pages(finished, str(max(0, last_number - RECENT_FINISHED)))
        self.model.prune_finished(RECENT_FINISHED)

    async def _load_pages(self, statuses: list[str], after: str | None) -> None:
        while True:
            data = await self.client.execute(ORDERS, {"status": statuses, "after": after})
            page = [OrderRow.of(order) for order in data["orders"]]
            self.model.extend(page)
            if len(page) < PAGE:
                return
            after = str(page[-1].number)

    def _changed(self, data: dict[str, Any]) -> None:
        change = data["orderChanges"]
        seq = int(change["seq"])
        if self.cursor is not None and seq <= self.cursor:
            return  # already seen (a replay after a reconnect cannot bring it twice)
        self.cursor = seq
        order = OrderRow.of(change["order"], seq)
        fresh = self.model.get(order.id) is None
        if change["type"] == "order_ready":
            spawn(self.read_times())
        if self.model.upsert(order):
            if fresh and change["type"] == "order_placed":
                self.view.flash(order.id)
                self.orderArrived.emit(order.id)
            if order.status in FINISHED:
                self.model.prune_finished(RECENT_FINISHED)
            if order.id == self._select and self.view.select(order.id):
                self._select = None

    # -- intents ------------------------------------------------------------------------------

    def act(self, order_id: str, action: Action | StationAction) -> None:
        """What a card button or key asked for; Cancel first asks why."""
        if isinstance(action, StationAction):
            station = self.view.station
            if station is not None:
                spawn(self.bump_station(order_id, station))
            return
        if action is Action.CANCEL:
            self.ask_cancel(order_id)
            return
        if action is Action.TAKE_CASH:
            self.ask_take_cash(order_id)
            return
        spawn(self._mutate(action, {"id": order_id}))

    def toggle_item(self, order_id: str, line: int) -> None:
        """A click on a ticket's line, or Shift+its number: strike it through, or back."""
        order = self.model.get(order_id)
        if order is None or not 0 <= line < len(order.items):
            return
        spawn(self.set_item_done(order_id, line, not order.items[line].done))

    async def set_item_done(self, order_id: str, line: int, done: bool) -> None:
        try:
            data = await self.client.execute(ITEM_DONE[done], {"id": order_id, "line": line})
        except GraphQLError as exc:
            what = "Strike" if done else "Unstrike"
            self.errorOccurred.emit(
                f"{what} line {line + 1} of {self._number(order_id)}: {exc.message}"
            )
            return
        order = data["markItemDone" if done else "markItemNotDone"]
        every = all(item["done"] for item in order["items"])
        if done and every and self.ready_when_done and order["status"] in BUMPABLE:
            await self._mutate(Action.MARK_READY, {"id": order_id})

    async def bump_station(self, order_id: str, station: Station, done: bool = True) -> None:
        """A station's bump: its lines of the ticket struck (Undo for a few seconds), or
        with ``done`` False taken back. The order's status stays the expo's to move, but
        with View ▸ Ready when every line is done, the last station's bump readies it."""
        variables = {"id": order_id, "station": station.value}
        try:
            data = await self.client.execute(STATION_DONE[done], variables)
        except GraphQLError as exc:
            what = "Bump" if done else "Undo the bump of"
            self.errorOccurred.emit(
                f"{what} {station.label} on {self._number(order_id)}: {exc.message}"
            )
            return
        number = self._number(order_id)
        if not done:
            self.errorOccurred.emit(f"{number} is back on the {station.label} station")
            return
        if not self._stopped:
            self._toast_station = station
            self.view.toast.show_for(order_id, f"{number}: {station.label} done")
        order = data["markStationDone"]
        every = all(item["done"] for item in order["items"])
        if every and self.ready_when_done and order["status"] in BUMPABLE:
            await self._mutate(Action.MARK_READY, {"id": order_id})

    def _undo(self, order_id: str) -> None:
        """The toast's Undo: a station's bump, or a ticket bumped ready."""
        station, self._toast_station = self._toast_station, None
        if station is not None:
            spawn(self.bump_station(order_id, station, done=False))
        else:
            spawn(self.recall(order_id))

    def ask_take_cash(self, order_id: str) -> None:
        """Money changes hands: say how much, and take it only once staff confirm."""
        order = self.model.get(order_id)
        if order is None:
            return
        amount = f"{order.total_cents / 100:,.2f}"
        dialog = QMessageBox(
            QMessageBox.Icon.Question,
            "Take cash",
            f"Take {amount} in cash for order #{order.number}?\n\n"
            "The order is then paid and goes to the kitchen.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self.view,
        )
        dialog.button(QMessageBox.StandardButton.Yes).setText(f"Took {amount}")
        dialog.setDefaultButton(QMessageBox.StandardButton.Cancel)
        variables = {"id": order_id, "cents": order.total_cents}
        dialog.accepted.connect(lambda: spawn(self._mutate(Action.TAKE_CASH, variables)))
        dialog.finished.connect(dialog.deleteLater)
        self.cash_dialog = dialog
        dialog.open()

    def ask_cancel(self, order_id: str) -> None:
        order = self.model.get(order_id)
        if order is None:
            return
        dialog = cancel_dialog(order.number, self.view)
        dialog.reasonChosen.connect(
            lambda reason: spawn(self._mutate(Action.CANCEL, {"id": order_id, "reason": reason}))
        )
        dialog.finished.connect(dialog.deleteLater)
        self.cancel_dialog = dialog
        dialog.open()

    async def reprint(self, order_id: str) -> None:
        """Print the order's kitchen ticket again (send_to_kitchen marks it REPRINT)."""
        order = self.model.get(order_id)
        number = f"#{order.number}" if order is not None else "the order"
        try:
            await self.client.execute(REPRINT, {"id": order_id})
        except GraphQLError as exc:
            self.errorOccurred.emit(f"Reprint {number}: {exc.message}")
            return
        self.errorOccurred.emit(f"The kitchen ticket of {number} is printing again")

    async def _mutate(self, action: Action, variables: dict[str, Any]) -> None:
        order_id = str(variables["id"])
        try:
            await self.client.execute(MUTATIONS[action], variables)
        except GraphQLError as exc:
            self.errorOccurred.emit(f"{action.value} {self._number(order_id)}: {exc.message}")
            return
        order = self.model.get(order_id)
        if action in BUMPED and order is not None:
            said, to = BUMPED[action]
            self.bumps.add(Bump(order_id, order.number, order.customer_name, datetime.now(), to))
            self._toast_station = None
            self.view.toast.show_for(order_id, f"#{order.number} {said}")

    def ask_recall(self) -> RecallDialog:
        """Ctrl+Z: the last tickets bumped here; Enter takes one back a step."""
        dialog = RecallDialog(self.bumps, self.view)
        dialog.recallRequested.connect(lambda order_id: spawn(self.recall(order_id)))
        dialog.finished.connect(dialog.deleteLater)
        self.recall_dialog = dialog
        dialog.open()
        return dialog

    async def recall(self, order_id: str) -> None:
        """Undo a bump: a ticket bumped ready goes back to the kitchen, one completed is
        ready again; refused once it moved on from where the bump left it (another
        screen's step is never taken back)."""
        bump = self.bumps.bump_of(order_id)
        bumped_to = None if bump is None else bump.to.value
        try:
            data = await self.client.execute(RECALL, {"id": order_id, "from": bumped_to})
        except GraphQLError as exc:
            self.errorOccurred.emit(f"Recall {self._number(order_id)}: {exc.message}")
            return
        self.bumps.remove(order_id)
        now = data["recallOrder"]["status"]
        self.errorOccurred.emit(f"{self._number(order_id)} {TAKEN_BACK.get(now, 'is back')}")

    def _number(self, order_id: str) -> str:
        order = self.model.get(order_id)
        return f"#{order.number}" if order is not None else "the order"
