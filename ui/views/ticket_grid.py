"""The board's tickets tiled over the window, a page at a time, like a kitchen display.

Tickets run down a column, then the next column, oldest first; a column holds as many
whole tickets as fit, and the rest go on the next pages (PgDn), counted by the board's
"+N more" marker: never a scrollbar a person has to find. The selection is an order,
not a position, so it follows its ticket when the tickets before it leave, and a key
always acts on the ticket drawn selected. The pointer gets the same promise another
way: while it rests on a ticket, changes wait (up to :data:`SETTLE_CAP_MS`) before the
page is laid out again, and a click acts only when pressed and released on one ticket.

A view: it paints what its proxy says (through the card delegate) and emits what staff
want (``actionRequested(order_id, Action)``, ``detailRequested(order_id)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Property, QEvent, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QShowEvent,
)
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem, QWidget

from ui.models.orders import OpenProxy, OrderRow, StageProxy
from ui.models.stages import ACTIONS_OF, Action
from ui.models.stations import StationAction
from ui.views.order_card import (
    COLOR_FIELDS,
    DEFAULT_COLORS,
    MARGIN_X,
    MARGIN_Y,
    PAD,
    CardAction,
    CardColors,
    CardDelegate,
    card_actions,
    header_height,
)

TICKET_WIDTH = 300  # pixels at zoom 1.0, with the margins around the card
# The longest a change waits to be laid out while the pointer rests on a ticket: long
# enough to finish a click, short enough that a new ticket still shows up promptly.
SETTLE_CAP_MS = 2000
# Space bumps the selected ticket on: ready from the kitchen, complete once ready.
BUMPS = (Action.MARK_READY, Action.COMPLETE)
POSITION_KEYS = {getattr(Qt.Key, f"Key_{n}"): n for n in range(1, 10)}
# Shift+1..9 strike the selected ticket's lines: the digit, or the character Shift makes
# of it on a US or UK layout (Qt reports the shifted character).
LINE_KEYS = {
    **POSITION_KEYS,
    **{ord(char): n for n, char in enumerate("!@#$%^&*(", start=1)},
    ord("\N{POUND SIGN}"): 3,
}
KEY_ACTIONS: dict[int, Action] = {
    Qt.Key.Key_R: Action.MARK_READY,
    Qt.Key.Key_C: Action.COMPLETE,
    Qt.Key.Key_Delete: Action.CANCEL,
    Qt.Key.Key_Backspace: Action.CANCEL,
}
TicketProxy = OpenProxy | StageProxy


@dataclass(frozen=True, slots=True)
class Placed:
    """A ticket on the page: its proxy row, its order and where it is drawn."""

    row: int
    order_id: str
    rect: QRect


def pack(
    height_of: Callable[[int], int],
    first: int,
    count: int,
    columns: int,
    column_width: int,
    height: int,
) -> list[tuple[int, QRect]]:
    """Place rows ``first``… down the columns, left to right, while whole tickets fit.

    A ticket taller than the page still gets a column of its own (clipped), so that a
    page always holds at least one ticket and paging always moves on.
    """
    placed: list[tuple[int, QRect]] = []
    row = first
    for column in range(columns):
        x, y = column * column_width, 0
        while row < count:
            ticket = height_of(row)
            if y and y + ticket > height:
                break
            placed.append((row, QRect(x, y, column_width, min(ticket, height))))
            y += ticket
            row += 1
        if row >= count:
            break
    return placed


def _color_property(field: str) -> Any:
    """A Qt property the theme's style sheet sets, e.g. ``qproperty-cardColor: #fff``."""

    def get(self: TicketGrid) -> QColor:
        return QColor(getattr(self.card_colors, field))

    def set_(self: TicketGrid, value: QColor) -> None:
        values = {name: getattr(self.card_colors, name) for name in COLOR_FIELDS}
        values[field] = QColor(value)
        self.card_colors = CardColors(**values)
        self.update()

    return Property(QColor, get, set_)


class TicketGrid(QWidget):
    """The tickets of one proxy, a page at a time; ``paged`` says the page changed."""

    actionRequested = Signal(str, object)  # order id, Action
    detailRequested = Signal(str)
    itemToggled = Signal(str, int)  # order id, line: strike it through or back
    paged = Signal()

    cardColor = _color_property("card")
    cardBorderColor = _color_property("border")
    cardTextColor = _color_property("text")
    mutedColor = _color_property("muted")
    accentColor = _color_property("accent")
    amberColor = _color_property("amber")
    redColor = _color_property("red")
    overdueColor = _color_property("overdue")
    flashColor = _color_property("flash")
    buttonColor = _color_property("button")
    buttonTextColor = _color_property("button_text")

    def __init__(
        self, proxy: TicketProxy, delegate: CardDelegate, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("ticketGrid")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, False)
        self.card_colors = DEFAULT_COLORS
        self.delegate = delegate
        self.ticket_width = TICKET_WIDTH
        self.numbered = True  # wears the bump-bar numbers 1-9 (one grid of a screen does)
        self.page = 0
        self.placed: tuple[Placed, ...] = ()
        self.before = 0  # tickets on the pages before this one
        self.more = 0  # tickets on the pages after it
        self.selected: str | None = None  # an order id: the selection follows its ticket
        self._selected_row = 0  # where it was, for when it leaves the grid
        self._starts = [0]  # the first row of each page, as far as laid out
        self._laid_out_at = QSize()  # the size the page was laid out for
        self._drawn: dict[str, tuple[int, QRect, OrderRow]] = {}  # order id -> as drawn
        self._shape: tuple[int, int, int, int] | None = None  # page, before, more, shown
        self._pointer: QPoint | None = None  # where the pointer rests over the grid
        self._pressed: str | None = None  # the order a click began on
        self._pending = False  # a change waits for the pointer to leave its ticket
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self.settle_cap_ms = SETTLE_CAP_MS
        self._settle.timeout.connect(self.lay_out)
        self.setMouseTracking(True)  # the pointer's rest is known without a button held
        # Changes come in bursts (a listing, a rush): lay the page out once per burst.
        self._relayout = QTimer(self)
        self._relayout.setSingleShot(True)
        self._relayout.setInterval(0)
        self._relayout.timeout.connect(self._burst_over)
        self.proxy = proxy
        self._connect(proxy)

    # -- attributes down --------------------------------------------------------------------

    def set_proxy(self, proxy: TicketProxy) -> None:
        """Show another proxy's tickets (the Done tickets, or the open ones again)."""
        if proxy is self.proxy:
            return
        for signal in self._signals(self.proxy):
            signal.disconnect(self.lay_out_soon)
        self.proxy, self.page, self.selected, self._selected_row = proxy, 0, None, 0
        self._connect(proxy)
        self.lay_out()

    def set_ticket_width(self, width: int) -> None:
        self.ticket_width = width
        self.lay_out()

    def select(self, order_id: str | None) -> bool:
        """Select an order's ticket and turn to its page; whether it is in this grid."""
        row = None if order_id is None else self.proxy.row_of(order_id)
        if row is None:
            return False
        self.selected, self._selected_row = order_id, row
        self.lay_out()
        self.update()  # the selection's frame, on a ticket that may not have moved
        return True

    def turn(self, pages: int) -> None:
        """PgDn / PgUp: the next or previous page, its first ticket selected."""
        page = self.page + pages
        if page < 0 or (pages > 0 and not self.more):
            return
        self.page, self.selected = page, None
        self.lay_out()
        if self.placed:
            self.selected = self.placed[0].order_id
            self._selected_row = self.placed[0].row
        self.update()

    # -- reading ------------------------------------------------------------------------------

    def current_order(self) -> OrderRow | None:
        row = None if self.selected is None else self.proxy.row_of(self.selected)
        return None if row is None else self.proxy.order_at(row)

    def _current(self) -> tuple[Placed, ...]:
        """The page as laid out for the widget's size now: a resize can reach the geometry
        before its event reaches the widget (a lane being shown)."""
        if self.size() != self._laid_out_at:
            self.lay_out()
        return self.placed

    def ticket_rect(self, order_id: str) -> QRect | None:
        """Where an order's ticket is drawn on this page (None: not on it)."""
        for placed in self._current():
            if placed.order_id == order_id:
                return placed.rect
        return None

    def button_center(self, order_id: str, action: CardAction) -> QPoint | None:
        """The middle of a ticket's action button (for tests and the self-test)."""
        rect = self.ticket_rect(order_id)
        row = self.proxy.row_of(order_id)
        if rect is None or row is None:
            return None
        card = self.delegate.layout(
            self.proxy.order_at(row), rect.width() - 2 * MARGIN_X, self.font()
        )
        for found, button in card.buttons:
            if found is action:
                return rect.topLeft() + QPoint(MARGIN_X, MARGIN_Y) + button.center()
        return None

    def placed_at(self, pos: QPoint) -> Placed | None:
        for placed in self._current():
            if placed.rect.contains(pos):
                return placed
        return None

    # -- laying out ---------------------------------------------------------------------------

    def _signals(self, proxy: TicketProxy) -> tuple[Any, ...]:
        return (
            proxy.rowsInserted,
            proxy.rowsRemoved,
            proxy.dataChanged,
            proxy.layoutChanged,
            proxy.modelReset,
        )

    def _connect(self, proxy: TicketProxy) -> None:
        for signal in self._signals(proxy):
            signal.connect(self.lay_out_soon)
        self.lay_out_soon()

    def lay_out_soon(self, *_: object) -> None:
        """Lay the page out once the current burst of changes is over, and the pointer
        is off the tickets (or has rested on one for :data:`SETTLE_CAP_MS`)."""
        if self._pointer_on_ticket():
            self._hold()
        else:
            self._relayout.start()

    def _burst_over(self) -> None:
        # The pointer may have come to rest on a ticket since the burst began.
        if self._pointer_on_ticket():
            self._hold()
        else:
            self.lay_out()

    def _hold(self) -> None:
        """Keep the tickets where they are (each drawn from its order's data now) until
        the pointer leaves them, or for :attr:`settle_cap_ms` at most."""
        self._pending = True
        self.update()
        if not self._settle.isActive():
            self._settle.start(self.settle_cap_ms)

    @property
    def layout_pending(self) -> bool:
        """Whether a change waits for the pointer to leave its ticket."""
        return self._pending

    def _pointer_on_ticket(self) -> bool:
        pointer = self._pointer
        return pointer is not None and any(p.rect.contains(pointer) for p in self.placed)

    def _row(self, placed: Placed) -> int | None:
        """The proxy row of a ticket drawn on the page: its laid-out row, or, while a
        change waits, wherever its order is now (None: it has left the grid)."""
        return self.proxy.row_of(placed.order_id) if self._pending else placed.row

    def _columns(self) -> tuple[int, int]:
        """How many columns fit, and each one's width (they share the spare width)."""
        columns = max(1, self.width() // max(1, self.ticket_width))
        return columns, max(1, self.width() // columns)

    def _pack(self, first: int) -> list[tuple[int, QRect]]:
        columns, width = self._columns()
        font = self.font()
        proxy = self.proxy

        def height_of(row: int) -> int:
            return self.delegate.row_height(proxy.order_at(row), font, width)

        return pack(height_of, first, proxy.rowCount(), columns, width, self.height())

    def _start_of(self, page: int) -> int:
        """The first row of ``page`` (the row count when there is no such page)."""
        count = self.proxy.rowCount()
        while len(self._starts) <= page:
            last = self._starts[-1]
            if last >= count:
                return count
            placed = self._pack(last)
            self._starts.append(placed[-1][0] + 1 if placed else count)
        return self._starts[page]

    def lay_out(self) -> None:
        """Lay the page out again (after a change, a resize, a zoom or a selection)."""
        self._relayout.stop()
        self._settle.stop()
        self._pending = False
        self._laid_out_at = self.size()
        count = self.proxy.rowCount()
        self._starts = [0]
        row = self._follow_selection(count)
        if row is not None:
            # The page that holds the selected ticket, wherever it has moved.
            self.page = 0
            while self._start_of(self.page + 1) <= row:
                self.page += 1
        while self.page > 0 and self._start_of(self.page) >= count:
            self.page -= 1
        first = self._start_of(self.page)
        drawn = {}
        for row, rect in self._pack(first):
            order = self.proxy.order_at(row)
            drawn[order.id] = (row, rect, order)
        self.placed = tuple(Placed(row, key, rect) for key, (row, rect, _) in drawn.items())
        self.before = first
        self.more = count - (self.placed[-1].row + 1 if self.placed else first)
        self._repaint_changes(drawn)
        shape = (self.page, self.before, self.more, len(self.placed))
        if shape != self._shape:
            self._shape = shape
            self.paged.emit()

    def _repaint_changes(self, drawn: dict[str, tuple[int, QRect, OrderRow]]) -> None:
        """Repaint only the tickets that changed, moved, came or went: most changes of a
        busy restaurant concern tickets on other pages, and cost no painting at all."""
        for key, (_, rect, order) in drawn.items():
            old = self._drawn.get(key)
            if old is None or old[1] != rect or old[2] is not order:
                self.update(rect)
        for key, (_, rect, _) in self._drawn.items():
            if key not in drawn:
                self.update(rect)
        self._drawn = drawn

    def _follow_selection(self, count: int) -> int | None:
        """The selected ticket's row now; a ticket that left hands the selection on to
        the one that took its place (drawn selected before any key can act on it)."""
        if self.selected is None:
            return None
        row = self.proxy.row_of(self.selected)
        if row is None:
            if count == 0:
                self.selected = None
                return None
            row = min(self._selected_row, count - 1)
            self.selected = self.proxy.order_at(row).id
        self._selected_row = row
        return row

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.lay_out()

    def showEvent(self, event: QShowEvent) -> None:
        # Laid out while hidden (at no height): again at the size it is shown at.
        super().showEvent(event)
        self.lay_out_soon()

    # -- painting -----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        option = QStyleOptionViewItem()
        option.font = self.font()
        option.widget = self
        for placed in self._current():
            row = self._row(placed)
            if row is None or not placed.rect.intersects(event.rect()):
                continue  # (a ticket that left while the pointer held the page: a gap)
            option.rect = placed.rect
            option.state = QStyle.StateFlag.State_Enabled
            if placed.order_id == self.selected:
                option.state |= QStyle.StateFlag.State_Selected
            painter.save()
            painter.setClipRect(placed.rect)
            self.delegate.paint(painter, option, self.proxy.index(row, 0))
            painter.restore()
        # The bump-bar number of the first nine tickets, on the right of their header band.
        if not self.numbered:
            painter.end()
            return
        painter.setFont(self.delegate.fonts(self.font()).small_bold)
        band = header_height(self.delegate.fonts(self.font()))
        for position, placed in enumerate(self.placed[:9], start=1):
            row = self._row(placed)
            if row is None:
                continue
            order = self.proxy.order_at(row)
            painter.setPen(self.delegate.header_ink(order))  # dark on an amber band
            rect = placed.rect.adjusted(MARGIN_X, MARGIN_Y, -MARGIN_X - PAD, 0)
            rect.setHeight(band)
            align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(rect, align, f"[{position}]")
        painter.end()

    # -- intents up ---------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        placed = self.placed_at(event.position().toPoint())
        self._pressed = None
        if placed is not None:
            if event.button() == Qt.MouseButton.LeftButton:
                self._pressed = placed.order_id
            self.selected, self._selected_row = placed.order_id, placed.row
            self.setFocus()
            self.update()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        placed = self.placed_at(pos)
        pressed, self._pressed = self._pressed, None
        row = None if placed is None else self._row(placed)
        if (
            placed is not None
            and row is not None
            and event.button() == Qt.MouseButton.LeftButton
            # A click acts on the ticket it began on, never on one that came under the
            # pointer meanwhile (released elsewhere: nothing, as a button does).
            and placed.order_id == pressed
        ):
            order = self.proxy.order_at(row)
            action = self.delegate.button_at(order, placed.rect, pos, self.font())
            if action is not None:
                self.actionRequested.emit(order.id, action)
                event.accept()
                return
            line = self.delegate.item_at(order, placed.rect, pos, self.font())
            if line is not None:
                self.itemToggled.emit(order.id, line)
                event.accept()
                return
        super().mouseReleaseEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        self._pointer = event.position().toPoint()
        if self._pending and not self._pointer_on_ticket():
            self.lay_out()  # off the tickets: the waiting change is laid out now
        super().mouseMoveEvent(event)

    def leaveEvent(self, event: QEvent) -> None:
        self._pointer = None
        if self._pending:
            self.lay_out()
        super().leaveEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        placed = self.placed_at(event.position().toPoint())
        if placed is not None:
            self.detailRequested.emit(placed.order_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers == Qt.KeyboardModifier.ShiftModifier and key in LINE_KEYS:
            # Shift+n strikes line n of the selected ticket (as drawn) through, or back.
            order = self.current_order()
            shown = [] if order is None else self.delegate.lines_shown(order)
            if order is not None and LINE_KEYS[key] <= len(shown):
                self.itemToggled.emit(order.id, shown[LINE_KEYS[key] - 1])
            return
        if event.modifiers() != Qt.KeyboardModifier.NoModifier:
            super().keyPressEvent(event)
            return
        if key in (Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
            self.turn(1 if key == Qt.Key.Key_PageDown else -1)
            return
        if key in (Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_Left, Qt.Key.Key_Right):
            self._move(key)
            return
        position = POSITION_KEYS.get(key) if self.numbered else None
        if position is not None:
            # Bump-bar keys: 1-9 pick the ticket wearing that number on this page.
            if position <= len(self.placed):
                picked = self.placed[position - 1]
                self.selected, self._selected_row = picked.order_id, picked.row
                self.update()
            return
        order = self.current_order()
        if order is not None and self._act_on(order, key):
            return
        super().keyPressEvent(event)

    def _act_on(self, order: OrderRow, key: int) -> bool:
        """A key on the selected ticket; whether it meant something there."""
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.detailRequested.emit(order.id)
            return True
        station = self.delegate.station
        if station is not None:
            # A station's screen: Space bumps the station's lines; the order's own
            # actions (ready, complete, cancel) are the expo's.
            if key == Qt.Key.Key_Space and StationAction.BUMP in card_actions(order, station):
                self.actionRequested.emit(order.id, StationAction.BUMP)
            return key == Qt.Key.Key_Space
        if key == Qt.Key.Key_Space:
            bump = next((a for a in BUMPS if a in ACTIONS_OF[order.status]), None)
            if bump is not None:
                self.actionRequested.emit(order.id, bump)
            return True
        action = KEY_ACTIONS.get(key)
        if action is not None and action in ACTIONS_OF[order.status]:
            self.actionRequested.emit(order.id, action)
            return True
        return False

    def _move(self, key: int) -> None:
        """Arrows: down and up the tickets in order; left and right to the next column's
        ticket nearest in height. Past the page's end, the next page."""
        if not self.placed:
            return
        at = next((i for i, p in enumerate(self.placed) if p.order_id == self.selected), None)
        if at is None:
            target: Placed | None = self.placed[0]
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            step = 1 if key == Qt.Key.Key_Down else -1
            if 0 <= at + step < len(self.placed):
                target = self.placed[at + step]
            else:
                self.turn(step)
                return
        else:
            here = self.placed[at].rect
            step = 1 if key == Qt.Key.Key_Right else -1
            x = here.x() + step * here.width()
            column = [p for p in self.placed if p.rect.x() == x]
            target = min(
                column,
                key=lambda p: abs(p.rect.center().y() - here.center().y()),
                default=None,
            )
        if target is not None:
            self.selected, self._selected_row = target.order_id, target.row
            self.update()
