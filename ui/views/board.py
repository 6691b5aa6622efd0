"""The orders board: the open tickets tiled over the window (a grid, a page at a time),
a line above them with each stage's count and the page marker; Done on Ctrl+D.

A view: it shows what the orders model says and emits what staff want
(``actionRequested(order_id, Action)``, ``detailRequested(order_id)``); the board
controller turns those into mutations.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QPixmapCache, QResizeEvent
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ui.models.all_day import AllDayModel
from ui.models.lateness import PrepTargets
from ui.models.orders import OpenProxy, OrdersModel, StageProxy
from ui.models.stages import Stage
from ui.models.stations import Station
from ui.views.all_day import MIN_WIDTH as ALL_DAY_MIN_WIDTH
from ui.views.all_day import AllDayPanel
from ui.views.order_card import FLASH_SECONDS, CardDelegate
from ui.views.ticket_grid import TICKET_WIDTH, TicketGrid
from ui.views.toast import UndoToast

AGE_TICK_MS = 1000
FLASH_TICK_MS = 250
CARD_CACHE_KB = 64 * 1024
# The zoom steps of Ctrl+= / Ctrl+-: a factor on the tickets' font and width.
ZOOMS = (0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4, 1.6, 1.8, 2.0)
DEFAULT_ZOOM = 1.0
EMPTY_HINT = (
    "<p style='font-size:15pt'><b>No open orders</b></p>"
    "<p>Press <b>F2</b> to take a phone or counter order.<br>"
    "Orders from the kiosk and the web appear here by themselves: customers order on"
    " their phones at the address in <b>Orders ▸ Customer page…</b> (with its QR code).<br>"
    "To see a busy restaurant, start Passline with <b>--demo</b> "
    "(it keeps its own database).</p>"
    "<p>F1 lists every key.</p>"
)
STATION_HINT = (
    "<p style='font-size:15pt'><b>Nothing to make at the {station} station</b></p>"
    "<p>Tickets with {station} lines appear here once paid, and leave when you bump them"
    " (Space). View ▸ Station ▸ Expo shows whole tickets.</p>"
)
HINT_WIDTH = 640  # the empty board's hint, at most; it wraps within the board
HINT_MARGIN = 16
OPEN_STAGES = tuple(stage for stage in Stage if stage not in (Stage.DONE, Stage.PAYMENT))
LANE_TITLE = "Payment failed  ·  {count}"
NBSP = "\u00a0"
DOCK_GAP = 12  # between the docked toast and the page marker
_MOVED = (QEvent.Type.Move, QEvent.Type.Resize, QEvent.Type.Show, QEvent.Type.Hide)


class BoardView(QWidget):
    """The stage counts and page marker over the grid of tickets."""

    actionRequested = Signal(str, object)  # order id, Action
    detailRequested = Signal(str)
    itemToggled = Signal(str, int)  # order id, line

    def __init__(self, model: OrdersModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("board")
        self.model = model
        self.delegate = CardDelegate(self)
        self.open = OpenProxy(model, self)
        self.proxies = {stage: StageProxy(model, stage, self) for stage in Stage}
        self.zoom = DEFAULT_ZOOM
        self._station: Station | None = None
        self.grid = TicketGrid(self.open, self.delegate)
        self.grid.actionRequested.connect(self.actionRequested)
        self.grid.detailRequested.connect(self.detailRequested)
        self.grid.itemToggled.connect(self.itemToggled)
        self.grid.paged.connect(self._show_marker)
        self.lane, self.lane_title, self.lane_box = self._lane()
        bar = self._bar()
        main = QVBoxLayout()
        main.setContentsMargins(0, 0, 0, 0)
        main.setSpacing(4)
        main.addLayout(bar)
        main.addWidget(self.grid, 1)
        self._row = layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 8)
        layout.setSpacing(8)
        layout.addWidget(self.lane_box)
        layout.addLayout(main, 1)
        # F3: what the whole rush still needs, item by item, beside the grid.
        layout.addWidget(self._all_day_panel(model))
        self.hint = self._empty_hint()
        for proxy in (*self.proxies.values(), self.open):
            for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset):
                signal.connect(self._count)
        self._count()
        self.set_zoom(DEFAULT_ZOOM)
        self._show_lane()
        # Room for every card on a large screen (~300 KB each) in the picture cache.
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), CARD_CACHE_KB))
        self._ages = QTimer(self)
        self._ages.setInterval(AGE_TICK_MS)
        self._ages.timeout.connect(self._repaint)
        self._ages.start()
        self._flash = QTimer(self)
        self._flash.setInterval(FLASH_TICK_MS)
        self._flash.timeout.connect(self._flash_tick)

    def _bar(self) -> QHBoxLayout:
        # The stage counts, then the last hour's average ticket (paid to ready): one line
        # that wraps, the average first to go to a second line, rather than hold the
        # window wider than a 1280-pixel screen.
        self.counts = QLabel()
        self.counts.setObjectName("columnHeader")
        self.counts.setWordWrap(True)
        self.ticket_times = ""
        # "+N more": the tickets past this page, and the key that shows them.
        self.marker = QLabel()
        self.marker.setObjectName("moreMarker")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.counts, 1)
        bar.addWidget(self.marker)
        # The Undo toast docks in the counts bar, which is kept tall enough to hold it:
        # over the grid it would hide a ticket's buttons, often the next one to bump.
        self.toast = UndoToast(self)
        self.counts.setMinimumHeight(self.toast.sizeHint().height())
        for docked_over in (self.counts, self.marker):
            docked_over.installEventFilter(self)
        return bar

    def _empty_hint(self) -> QLabel:
        """What to do first, over the empty board of a new restaurant (or a quiet hour)."""
        hint = QLabel(EMPTY_HINT, self)
        hint.setObjectName("emptyHint")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        hint.setWordWrap(True)
        return hint

    def _all_day_panel(self, model: OrdersModel) -> AllDayPanel:
        self.all_day = AllDayPanel(AllDayModel(model, self))
        self.all_day.hide()
        return self.all_day

    def _lane(self) -> tuple[TicketGrid, QLabel, QWidget]:
        """The failed payments: work for a person, in a lane of their own left of the grid."""
        lane = TicketGrid(self.proxies[Stage.PAYMENT], self.delegate)
        lane.setObjectName("paymentLane")
        lane.numbered = False  # the numbers are the main grid's
        lane.actionRequested.connect(self.actionRequested)
        lane.detailRequested.connect(self.detailRequested)
        lane.paged.connect(self._show_lane)
        title = QLabel()
        title.setObjectName("laneHeader")
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(4)
        column.addWidget(title)
        column.addWidget(lane, 1)
        return lane, title, box

    @property
    def station(self) -> Station | None:
        """The station whose lines this board shows (None: the expo's whole tickets)."""
        return self._station

    def set_station(self, station: Station | None) -> None:
        """View ▸ Station: one station's lines on the tickets that have some still to
        make, or (None) the expo's whole tickets with their stations' chips."""
        self._station = station
        # The Done tickets are history: whole, on every screen.
        self.delegate.station = None if self.done_visible else station
        self.open.set_station(None if station is None else station.value)
        self.all_day.model.set_station(station)
        for grid in (self.grid, self.lane):
            grid.lay_out()
            grid.update()
        self._count()
        self._show_lane()

    def _count(self, *_: object) -> None:
        if self.station is not None and not self.done_visible:
            count = self.open.rowCount()
            tickets = "ticket" if count == 1 else "tickets"
            self.counts.setText(
                f"{self.station.label} station{NBSP}{NBSP}·  {count} {tickets} to make"
                + self._times()
            )
            self.counts.setToolTip("View ▸ Station ▸ Expo shows whole tickets")
            self._show_hint()
            return
        if self.done_visible:
            done = self.proxies[Stage.DONE].rowCount()
            text = f"Done{NBSP}{NBSP}·  {done}    (Ctrl+D: the open tickets)"
        else:
            # A narrow window wraps the line between stages, never inside one.
            text = "    ".join(
                f"{stage.value}  {self.proxies[stage].rowCount()}".replace(" ", NBSP)
                for stage in OPEN_STAGES
            )
            text += self._times()
        self.counts.setText(text)
        self.counts.setToolTip("Avg ticket: from payment to ready, over the last hour")
        self._show_hint()

    def _times(self) -> str:
        # Wrapped, if it must be, between its parts, never inside one; each "·" is held
        # to the part before it, so that no line of the wrapped header starts with one.
        parts = [part.replace(" ", NBSP) for part in self.ticket_times.split(" · ")]
        return "    " + f"{NBSP}·  ".join(parts) if self.ticket_times else ""

    def _show_lane(self) -> None:
        """The lane is one ticket wide, shown while a payment has failed."""
        lane = self.lane
        count = lane.proxy.rowCount()
        # A station's screen cooks; a failed payment is the expo's and the counter's work.
        shown = count > 0 and not self.done_visible and self.station is None
        if shown == self.lane_box.isHidden():
            self.lane_box.setVisible(shown)
            self._fit_all_day()
        if not shown:
            return
        if self.lane_box.width() != lane.ticket_width:
            self.lane_box.setFixedWidth(lane.ticket_width)
            self._fit_all_day()
            lane.lay_out_soon()  # a lane shown again may get no resize event of its own
        more = f"   +{lane.more} (PgDn)" if lane.more else ""
        self.lane_title.setText(LANE_TITLE.format(count=count) + more)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _MOVED and watched in (self.counts, self.marker):
            self._dock_toast()
        return super().eventFilter(watched, event)

    def _dock_toast(self) -> None:
        """The toast's area: the counts bar, left of the page marker when it shows."""
        # Again here: the theme's style sheet (padding, font) sizes the toast once shown.
        self.counts.setMinimumHeight(self.toast.sizeHint().height())
        area = self.counts.geometry()
        marker = self.marker.geometry()
        if self.marker.isVisible() and marker.left() > area.left():
            area.setRight(marker.left() - DOCK_GAP)
        self.toast.dock(area)

    def _show_marker(self) -> None:
        grid = self.grid
        parts = []
        if grid.before:
            parts.append(f"PgUp: {grid.before} before")
        if grid.more:
            parts.append(f"+{grid.more} more  ·  PgDn")
        self.marker.setText("    ".join(parts))
        self.marker.setVisible(bool(parts))

    def _show_hint(self) -> None:
        hint = self.hint
        empty = not self.done_visible and self.open.rowCount() == 0
        station = self.station
        hint.setText(EMPTY_HINT if station is None else STATION_HINT.format(station=station.label))
        hint.setVisible(empty)
        if empty:
            hint.setFixedWidth(max(1, min(self.width() - 2 * HINT_MARGIN, HINT_WIDTH)))
            hint.setFixedHeight(hint.heightForWidth(hint.width()))
            hint.move((self.width() - hint.width()) // 2, (self.height() - hint.height()) // 3)
            hint.raise_()

    def _fit_all_day(self) -> None:
        """The all-day panel's room: what the ticket columns leave, counting as many
        columns as fit beside the panel at its narrowest, so that a long name never
        costs the grid a column of tickets."""
        margins = self._row.contentsMargins()
        spacing = self._row.spacing()
        spare = self.width() - margins.left() - margins.right() - spacing
        if not self.lane_box.isHidden():
            spare -= self.lane_box.width() + spacing
        ticket = max(1, self.grid.ticket_width)
        columns = max(1, (spare - ALL_DAY_MIN_WIDTH) // ticket)
        self.all_day.fit(max(ALL_DAY_MIN_WIDTH, spare - columns * ticket))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_all_day()
        self._show_hint()
        self._show_lane()
        self._dock_toast()

    # -- attributes down --------------------------------------------------------------------

    @property
    def done_visible(self) -> bool:
        return self.grid.proxy is self.proxies[Stage.DONE]

    def set_done_visible(self, visible: bool) -> None:
        """Ctrl+D: the Done tickets (newest first) in place of the open ones, or back."""
        self.delegate.station = None if visible else self._station
        self.grid.set_proxy(self.proxies[Stage.DONE] if visible else self.open)
        self.grid.lay_out()  # the same proxy again: the cards' lines may still change
        self._count()
        self._show_lane()

    def set_zoom(self, zoom: float) -> None:
        """The tickets' size: a factor on their font and width (Ctrl+= / Ctrl+-)."""
        self.zoom = min(ZOOMS[-1], max(ZOOMS[0], zoom))
        font = QFont(QApplication.font())
        font.setPointSizeF(font.pointSizeF() * self.zoom)
        for grid in (self.grid, self.lane):
            grid.setFont(font)
            grid.set_ticket_width(round(TICKET_WIDTH * self.zoom))
        self._show_lane()
        self._fit_all_day()

    def zoom_by(self, steps: int) -> None:
        nearest = min(range(len(ZOOMS)), key=lambda i: abs(ZOOMS[i] - self.zoom))
        self.set_zoom(ZOOMS[max(0, min(len(ZOOMS) - 1, nearest + steps))])

    def set_ticket_times(self, average_seconds: float | None, count: int) -> None:
        """How the kitchen keeps up: the last hour's average ticket, paid to ready."""
        if average_seconds is None or not count:
            self.ticket_times = "No ticket ready in the last hour"
        else:
            minutes, seconds = divmod(round(average_seconds), 60)
            tickets = "ticket" if count == 1 else "tickets"
            self.ticket_times = (
                f"Avg ticket {minutes}:{seconds:02d} · {count} {tickets} in the last hour"
            )
        self._count()

    def set_grace(self, grace_seconds: float) -> None:
        """How long after its target a late ticket turns from amber to red."""
        self.delegate.targets = PrepTargets(grace_seconds)
        self._repaint()

    def flash(self, order_id: str) -> None:
        """Make a new order's ticket blink for a few seconds."""
        self.delegate.flash_until[order_id] = time.monotonic() + FLASH_SECONDS
        self._flash.start()
        self._repaint()

    def select(self, order_id: str) -> bool:
        """Put the keyboard focus on an order's ticket; whether it is on the board."""
        order = self.model.get(order_id)
        if order is None:
            return False
        self.set_done_visible(order.stage is Stage.DONE)
        grid = self.lane if order.stage is Stage.PAYMENT else self.grid
        if not grid.select(order_id):
            return False
        grid.setFocus()
        return True

    def grid_of(self, order_id: str) -> TicketGrid | None:
        """The grid (the lane or the main one) an order's ticket is drawn in, if any."""
        for grid in (self.lane, self.grid):
            if grid.isVisible() and grid.ticket_rect(order_id) is not None:
                return grid
        return None

    def card_center(self, order_id: str) -> tuple[TicketGrid, QPoint] | None:
        """Where an order's ticket is drawn on this page (for tests and tooltips)."""
        grid = self.grid_of(order_id)
        rect = None if grid is None else grid.ticket_rect(order_id)
        return None if grid is None or rect is None else (grid, rect.center())

    # -- timers ---------------------------------------------------------------------------------

    def _flash_tick(self) -> None:
        now = time.monotonic()
        for order_id, deadline in list(self.delegate.flash_until.items()):
            if deadline <= now:
                del self.delegate.flash_until[order_id]
        if not self.delegate.flash_until:
            self._flash.stop()
        self._repaint()

    def _repaint(self) -> None:
        self.grid.update()
        if self.lane.isVisible():
            self.lane.update()
