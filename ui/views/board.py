"""The orders board: one column a stage, each a list of order cards.

A view: it shows what the orders model says and emits what staff want
(``actionRequested(order_id, Action)``, ``detailRequested(order_id)``); the board
controller turns those into mutations.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Property, QEvent, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPixmapCache, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui.models.orders import OrderRow, OrdersModel, StageProxy
from ui.models.stages import ACTIONS_OF, Action, Stage
from ui.views.order_card import (
    COLOR_FIELDS,
    DEFAULT_COLORS,
    FLASH_SECONDS,
    CardColors,
    CardDelegate,
)

AGE_TICK_MS = 1000
FLASH_TICK_MS = 250
CARD_CACHE_KB = 64 * 1024
EMPTY_HINT = (
    "<p style='font-size:15pt'><b>No open orders</b></p>"
    "<p>Press <b>F2</b> to take a phone or counter order.<br>"
    "Orders from the kiosk and the web appear here by themselves: customers order on"
    " their phones at the address in <b>Orders ▸ Customer page…</b> (with its QR code).<br>"
    "To see a busy restaurant, start Passline with <b>--demo</b> "
    "(it keeps its own database).</p>"
    "<p>F1 lists every key.</p>"
)
HINT_WIDTH = 640  # the empty board's hint, at most; it wraps within the board
HINT_MARGIN = 16
KEY_ACTIONS: dict[int, Action] = {
    Qt.Key.Key_R: Action.MARK_READY,
    Qt.Key.Key_C: Action.COMPLETE,
    Qt.Key.Key_Delete: Action.CANCEL,
    Qt.Key.Key_Backspace: Action.CANCEL,
}


def _color_property(field: str) -> Any:
    """A Qt property the theme's style sheet sets, e.g. ``qproperty-cardColor: #fff``."""

    def get(self: BoardColumn) -> QColor:
        return QColor(getattr(self.card_colors, field))

    def set_(self: BoardColumn, value: QColor) -> None:
        self.card_colors = _replace_color(self.card_colors, field, QColor(value))
        self.viewport().update()

    return Property(QColor, get, set_)


def _replace_color(colors: CardColors, field: str, value: QColor) -> CardColors:
    values = {name: getattr(colors, name) for name in COLOR_FIELDS}
    values[field] = value
    return CardColors(**values)


class BoardColumn(QTableView):
    """The cards of one stage; clicks on card buttons and keys become intents.

    A one-column table rather than a list view: each row's height is set once, when
    its order arrives, and Qt keeps the heights in C++ from then on. A QListView with
    cards of varying height lays every item out again (a Python sizeHint each) on any
    row change, which is a quarter of a second with 10,000 orders on the board.
    """

    actionRequested = Signal(str, object)  # order id, Action
    detailRequested = Signal(str)

    cardColor = _color_property("card")
    cardBorderColor = _color_property("border")
    cardTextColor = _color_property("text")
    mutedColor = _color_property("muted")
    accentColor = _color_property("accent")
    amberColor = _color_property("amber")
    redColor = _color_property("red")
    flashColor = _color_property("flash")
    buttonColor = _color_property("button")
    buttonTextColor = _color_property("button_text")

    def __init__(self, proxy: StageProxy, delegate: CardDelegate, parent: QWidget | None = None):
        super().__init__(parent)
        self.card_colors = DEFAULT_COLORS
        self.proxy = proxy
        self.setObjectName(f"column-{proxy.stage.name.lower()}")
        self.setModel(proxy)
        self.setItemDelegate(delegate)
        self.delegate = delegate
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        self.horizontalHeader().setVisible(False)
        self.horizontalHeader().setStretchLastSection(True)
        rows = self.verticalHeader()
        rows.setVisible(False)
        rows.setMinimumSectionSize(1)
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(24)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        proxy.rowsInserted.connect(lambda _parent, first, last: self._size_rows(first, last))
        proxy.dataChanged.connect(
            lambda top, bottom, _roles: self._size_rows(top.row(), bottom.row())
        )
        proxy.layoutChanged.connect(self._size_all)
        proxy.modelReset.connect(self._size_all)
        self._size_all()

    def _size_rows(self, first: int, last: int) -> None:
        font = self.font()
        for row in range(first, last + 1):
            self.setRowHeight(row, self.delegate.row_height(self.proxy.order_at(row), font))

    def _size_all(self) -> None:
        if self.proxy.rowCount():
            self._size_rows(0, self.proxy.rowCount() - 1)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._size_all()

    def order_at(self, index: QModelIndex) -> OrderRow | None:
        if not index.isValid():
            return None
        return self.proxy.order_at(index.row())

    def current_order(self) -> OrderRow | None:
        return self.order_at(self.currentIndex())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        index = self.indexAt(pos)
        order = self.order_at(index)
        if order is not None and event.button() == Qt.MouseButton.LeftButton:
            action = self.delegate.button_at(order, self.visualRect(index), pos, self.font())
            if action is not None:
                self.setCurrentIndex(index)
                self.actionRequested.emit(order.id, action)
                event.accept()
                return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        order = self.order_at(self.indexAt(event.position().toPoint()))
        if order is not None:
            self.detailRequested.emit(order.id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        order = self.current_order()
        if order is not None and event.modifiers() == Qt.KeyboardModifier.NoModifier:
            action = KEY_ACTIONS.get(event.key())
            if action is not None and action in ACTIONS_OF[order.status]:
                self.actionRequested.emit(order.id, action)
                event.accept()
                return
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.detailRequested.emit(order.id)
                event.accept()
                return
        super().keyPressEvent(event)


class BoardView(QWidget):
    """The columns side by side; Done is hidden until asked for."""

    actionRequested = Signal(str, object)  # order id, Action
    detailRequested = Signal(str)

    def __init__(self, model: OrdersModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("board")
        self.model = model
        self.delegate = CardDelegate(self)
        self.proxies: dict[Stage, StageProxy] = {}
        self.columns: dict[Stage, BoardColumn] = {}
        self.frames: dict[Stage, QFrame] = {}
        self.headers: dict[Stage, QLabel] = {}
        # What to do first, over the empty board of a new restaurant (or a quiet hour).
        self.hint = QLabel(EMPTY_HINT, self)
        self.hint.setObjectName("emptyHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.hint.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(8)
        for stage in Stage:
            layout.addWidget(self._column(stage), 1)
        self.frames[Stage.DONE].setVisible(False)
        self._show_hint()
        # Room for every card on a large screen (~300 KB each) in the picture cache.
        QPixmapCache.setCacheLimit(max(QPixmapCache.cacheLimit(), CARD_CACHE_KB))
        self._ages = QTimer(self)
        self._ages.setInterval(AGE_TICK_MS)
        self._ages.timeout.connect(self._repaint)
        self._ages.start()
        self._flash = QTimer(self)
        self._flash.setInterval(FLASH_TICK_MS)
        self._flash.timeout.connect(self._flash_tick)

    def _column(self, stage: Stage) -> QFrame:
        proxy = StageProxy(self.model, stage, self)
        column = BoardColumn(proxy, self.delegate)
        column.actionRequested.connect(self.actionRequested)
        column.detailRequested.connect(self.detailRequested)
        header = QLabel()
        header.setObjectName("columnHeader")
        frame = QFrame()
        frame.setObjectName("boardColumn")
        box = QVBoxLayout(frame)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(4)
        box.addWidget(header)
        box.addWidget(column, 1)
        self.proxies[stage], self.columns[stage] = proxy, column
        self.frames[stage], self.headers[stage] = frame, header
        for signal in (proxy.rowsInserted, proxy.rowsRemoved, proxy.modelReset):
            signal.connect(lambda *_, stage=stage: self._count(stage))
        self._count(stage)
        return frame

    def _count(self, stage: Stage) -> None:
        self.headers[stage].setText(f"{stage.value}  ·  {self.proxies[stage].rowCount()}")
        self._show_hint()

    def _show_hint(self) -> None:
        hint = self.hint
        open_orders = sum(
            proxy.rowCount() for stage, proxy in self.proxies.items() if stage is not Stage.DONE
        )
        hint.setVisible(open_orders == 0)
        if open_orders == 0:
            hint.setFixedWidth(max(1, min(self.width() - 2 * HINT_MARGIN, HINT_WIDTH)))
            hint.setFixedHeight(hint.heightForWidth(hint.width()))
            hint.move((self.width() - hint.width()) // 2, (self.height() - hint.height()) // 3)
            hint.raise_()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._show_hint()

    # -- attributes down --------------------------------------------------------------------

    @property
    def done_visible(self) -> bool:
        return not self.frames[Stage.DONE].isHidden()

    def set_done_visible(self, visible: bool) -> None:
        self.frames[Stage.DONE].setVisible(visible)

    def set_thresholds(self, amber_seconds: float, red_seconds: float) -> None:
        self.delegate.amber_after, self.delegate.red_after = amber_seconds, red_seconds
        self._repaint()

    def flash(self, order_id: str) -> None:
        """Make a new order's card blink for a few seconds."""
        self.delegate.flash_until[order_id] = time.monotonic() + FLASH_SECONDS
        self._flash.start()
        self._repaint()

    def select(self, order_id: str) -> bool:
        """Put the keyboard focus on an order's card; whether it is on the board."""
        order = self.model.get(order_id)
        if order is None:
            return False
        if order.stage is Stage.DONE:
            self.set_done_visible(True)
        column = self.columns[order.stage]
        for row in range(column.proxy.rowCount()):
            if column.proxy.order_at(row).id == order_id:
                index = column.proxy.index(row, 0)
                column.setCurrentIndex(index)
                column.scrollTo(index)
                column.setFocus()
                return True
        return False

    def card_center(self, order_id: str) -> tuple[BoardColumn, QPoint] | None:
        """Where an order's card is drawn (for tests and tooltips)."""
        order = self.model.get(order_id)
        if order is None:
            return None
        column = self.columns[order.stage]
        for row in range(column.proxy.rowCount()):
            if column.proxy.order_at(row).id == order_id:
                return column, column.visualRect(column.proxy.index(row, 0)).center()
        return None

    # -- timers ---------------------------------------------------------------------------------

    def _repaint(self) -> None:
        for column in self.columns.values():
            if column.isVisible():
                column.viewport().update()

    def _flash_tick(self) -> None:
        now = time.monotonic()
        for order_id, deadline in list(self.delegate.flash_until.items()):
            if deadline <= now:
                del self.delegate.flash_until[order_id]
        if not self.delegate.flash_until:
            self._flash.stop()
        self._repaint()
