"""How one order reads on the board: a card painted by a delegate (cheap for 10,000 orders).

The card's geometry comes from one place, :func:`card_layout`, which both painting and
hit-testing (the action buttons) use. Colours come from the column widget's properties,
which the theme's style sheet sets (``qproperty-cardColor`` and friends).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPen,
    QPixmap,
    QPixmapCache,
    QStaticText,
)
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from ui.models.lateness import Lateness, PrepTargets
from ui.models.orders import ORDER_ROLE, OrderRow
from ui.models.stages import ACTIONS_OF, FINISHED, LABEL_OF, Action, Stage, Status
from ui.models.stations import Station, StationAction, lines_of, progress

Index = QModelIndex | QPersistentModelIndex
CardAction = Action | StationAction  # a card's button: the order's action, or a station's bump

MARGIN_X = 6  # around a card, inside its list row
MARGIN_Y = 4
PAD = 10  # inside a card
GAP = 3
BUTTON_PAD_X = 12
BUTTON_GAP = 8
HEADER_PAD = 4  # above and below the stage's name in a ticket's header band
# The header band's colour says the order's type (the stage is the pill on it), so that
# a takeaway reads apart from a delivery across the kitchen.
FULFILLMENT_COLORS: dict[str, str] = {
    "DINE_IN": "#0f766e",
    "TAKEAWAY": "#92400e",
    "DELIVERY": "#1e3a8a",
}
NUMBER_TEXT = "[9]"  # the widest bump-bar number the grid draws at the band's right end
# The stage pill's word: short, so that the type, the channel and the stage fit the band.
PILL_OF: dict[Stage, str] = {
    Stage.PAYMENT: "DECLINED",
    Stage.NEW: "NEW",
    Stage.KITCHEN: "KITCHEN",
    Stage.READY: "READY",
    Stage.OUT: "OUT",
    Stage.DONE: "DONE",
}
BADGE_PAD = 6
# The channel badge's short form, for a header band too narrow for the name.
CHANNEL_SHORT = {"COUNTER": "CTR", "PHONE": "TEL", "KIOSK": "KSK"}
# A stage says the status of these already; the others get a line saying it.
SAID_BY_STAGE = frozenset({Status.IN_KITCHEN, Status.READY, Status.OUT_FOR_DELIVERY})
WIDE_BUTTONS = 3  # this many buttons take a row of their own
FLASH_SECONDS = 4.0
FLASH_PERIOD_SECONDS = 0.5
MAX_STATIC_TEXTS = 5000
# The band across a ticket's top names its stage: the same colour in both themes, so that
# a stage reads the same on every screen of the kitchen (white text on each).
STAGE_COLORS: dict[Stage, str] = {
    Stage.PAYMENT: "#b91c1c",
    Stage.NEW: "#2563eb",
    Stage.KITCHEN: "#c2410c",
    Stage.READY: "#15803d",
    Stage.OUT: "#7c3aed",
    Stage.DONE: "#6b7280",
}
# A late ticket's whole header band: amber at its target, red past the grace (the band's
# text in the second colour). The same in both themes, like the stages, and filled bands
# that read across the kitchen; the red is a crimson, not the allergy warnings' red.
LATE_BANDS: dict[Lateness, tuple[str, str]] = {
    Lateness.LATE: ("#f59e0b", "#111827"),
    Lateness.OVERDUE: ("#be123c", "#ffffff"),
}
# The word on a late ticket's tag, beside its age (in the band's colours).
LATE_WORDS: dict[Lateness, str] = {Lateness.LATE: "LATE", Lateness.OVERDUE: "OVERDUE"}
LATE_TAG_GAP = 8  # between the tag and the age
# The expo's station chips: a done station filled green and ticked, one still cooking
# outlined. The same in both themes, like the stage colours.
STATION_DONE_COLOR = "#15803d"
STATION_CHIP_PAD = 6
STATION_CHIP_GAP = 4
STATION_TICK = "\N{CHECK MARK} "


@dataclass(frozen=True, slots=True)
class CardColors:
    card: QColor
    border: QColor
    text: QColor
    muted: QColor
    accent: QColor
    amber: QColor
    red: QColor
    overdue: QColor  # the age digits of a ticket past its target and grace
    flash: QColor
    button: QColor
    button_text: QColor
    key: str = field(default="", compare=False)  # identifies the colours, for cached pictures

    def __post_init__(self) -> None:
        names = "".join(getattr(self, name).name() for name in COLOR_FIELDS)
        object.__setattr__(self, "key", names)


COLOR_FIELDS = (
    "card",
    "border",
    "text",
    "muted",
    "accent",
    "amber",
    "red",
    "overdue",
    "flash",
    "button",
    "button_text",
)


DEFAULT_COLORS = CardColors(
    card=QColor("#ffffff"),
    border=QColor("#d0d4da"),
    text=QColor("#1d232b"),
    muted=QColor("#5d6673"),
    accent=QColor("#1f6feb"),
    amber=QColor("#b26b00"),
    red=QColor("#c62828"),
    overdue=QColor("#be123c"),
    flash=QColor("#fff2b3"),
    button=QColor("#e8ecf1"),
    button_text=QColor("#1d232b"),
)


@dataclass(frozen=True, slots=True)
class Fonts:
    """The card's fonts and their line heights, made once per base font."""

    base: QFont
    number: QFont
    small: QFont
    italic: QFont
    bold: QFont
    small_bold: QFont
    struck: QFont  # a line the kitchen has made: struck through (same height as base)
    number_h: int
    base_h: int
    small_h: int

    @classmethod
    def of(cls, base: QFont) -> Fonts:
        number = QFont(base)
        number.setPointSizeF(base.pointSizeF() * 1.45)
        number.setBold(True)
        small = QFont(base)
        small.setPointSizeF(base.pointSizeF() * 0.9)
        italic = QFont(small)
        italic.setItalic(True)
        bold = QFont(base)
        bold.setBold(True)
        small_bold = QFont(small)
        small_bold.setBold(True)
        struck = QFont(base)
        struck.setStrikeOut(True)
        return cls(
            QFont(base),
            number,
            small,
            italic,
            bold,
            small_bold,
            struck,
            QFontMetrics(number).height(),
            QFontMetrics(base).height(),
            QFontMetrics(small).height(),
        )

    def of_style(self, style: Style) -> tuple[QFont, int]:
        if style is Style.TABLE:
            return self.number, self.number_h
        if style is Style.ALLERGY:
            return self.bold, self.base_h
        if style in (Style.META, Style.ALERT, Style.ADDRESS):
            return self.small, self.small_h
        if style is Style.NOTE:
            return self.italic, self.small_h
        if style is Style.WHO:
            return self.bold, self.base_h
        if style is Style.STATIONS:
            return self.small_bold, self.small_h + 6
        return self.base, self.base_h

    @property
    def button_h(self) -> int:
        return self.base_h + 12


class Style(Enum):
    """How a text line of a card reads."""

    META = "meta"  # channel, fulfillment, status: small, muted
    ALERT = "alert"  # the same, when the status needs a person: small, red
    WHO = "who"  # customer and phone: bold
    ADDRESS = "address"  # small, muted
    ITEM = "item"  # quantity and name
    NOTE = "note"  # a line's or the order's note: small italic, muted
    TABLE = "table"  # a DINE_IN order's table: as large as the ticket number
    ALLERGY = "allergy"  # the guest's allergens: bold, red, behind a warning sign
    MODIFIER = "modifier"  # a line's chosen modifier ("+ bacon"): as large as the item
    STATIONS = "stations"  # the expo's chips: each station of the ticket, ticked once done


# These lines wrap instead of being cut short: a note or an allergy read in part is how
# a dish goes out wrong.
WRAPPED = frozenset({Style.NOTE, Style.ALLERGY, Style.ALERT, Style.MODIFIER})
ALLERGY_SIGN = "\N{WARNING SIGN}"


@dataclass(frozen=True, slots=True)
class TextLine:
    text: str
    style: Style
    indent: int = 0
    gap_before: int = 0
    item: int | None = None  # the order line it shows (an ITEM line), for a click
    done: bool = False  # struck through: the kitchen made it


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    font: QFont
    rect: QRect
    style: Style
    item: int | None = None
    done: bool = False


@dataclass(frozen=True, slots=True)
class CardLayout:
    """Everything of a card in its own coordinates (0, 0 is the card's top left)."""

    size: QSize
    header: QRect  # the band with the stage's name
    number: QRect
    age: QRect
    lines: tuple[Line, ...]
    total: QRect
    buttons: tuple[tuple[CardAction, QRect], ...]


def _money(cents: int) -> str:
    return f"{cents / 100:,.2f}"


def _title(value: str) -> str:
    return value.replace("_", " ").lower()


REASON_OF = {
    Status.CANCELLED: "Cancelled",
    Status.REJECTED: "Rejected",
    Status.PAYMENT_FAILED: "Declined",
}


def card_lines(order: OrderRow, station: Station | None = None) -> list[TextLine]:
    """The card's text below the ticket number, line by line (the header band carries
    the type, the channel and the stage). A station's view shows only its own lines;
    the expo's shows every line, and the ticket's stations as chips."""
    alert = order.status in (Status.PAYMENT_FAILED, Status.REJECTED)
    lines = []
    if order.table is not None:
        lines.append(TextLine(f"Table {order.table}", Style.TABLE))
    if order.status not in SAID_BY_STAGE:
        lines.append(TextLine(LABEL_OF[order.status], Style.ALERT if alert else Style.META))
    who = " · ".join(part for part in (order.customer_name, order.phone) if part)
    if who:
        lines.append(TextLine(who, Style.WHO))
    if order.address:
        lines.append(TextLine(order.address, Style.ADDRESS))
    if order.allergens:
        lines.append(TextLine(_allergy(order.allergens), Style.ALLERGY, gap_before=GAP))
    chips = progress(order) if station is None and order.stage is Stage.KITCHEN else []
    if chips:
        text = "  ".join(_chip_text(chip, done) for chip, done in chips)
        lines.append(TextLine(text, Style.STATIONS, gap_before=GAP))
    shown = lines_of(order, station)
    for position in shown:
        item = order.items[position]
        gap = GAP if position == shown[0] else 0
        text = f"{item.quantity}\N{MULTIPLICATION SIGN}  {item.name}"
        lines.append(TextLine(text, Style.ITEM, gap_before=gap, item=position, done=item.done))
        if item.allergens:
            lines.append(TextLine(_allergy(item.allergens), Style.ALLERGY, indent=24))
        # One a line, in the item's size: the cook reads them from the pass. Made with
        # their item: struck through with it.
        lines.extend(
            TextLine(m.label, Style.MODIFIER, indent=24, done=item.done) for m in item.modifiers
        )
        if item.notes:
            lines.append(
                TextLine(
                    f"\N{LEFT DOUBLE QUOTATION MARK}{item.notes}\N{RIGHT DOUBLE QUOTATION MARK}",
                    Style.NOTE,
                    indent=24,
                )
            )
    if order.notes:
        lines.append(TextLine(f"Note: {order.notes}", Style.NOTE))
    if order.reason:
        lines.append(TextLine(f"{REASON_OF.get(order.status, 'Why')}: {order.reason}", Style.ALERT))
    return lines


def _chip_text(station: Station, done: bool) -> str:
    return f"{STATION_TICK if done else ''}{station.label}"


def card_actions(order: OrderRow, station: Station | None = None) -> tuple[CardAction, ...]:
    """The card's buttons: the order's actions, or on a station's view its bump (while
    the kitchen has the ticket)."""
    if station is None:
        return ACTIONS_OF[order.status]
    return (StationAction.BUMP,) if order.stage is Stage.KITCHEN else ()


def _allergy(names: tuple[str, ...]) -> str:
    return f"{ALLERGY_SIGN} ALLERGY: " + ", ".join(_title(name).upper() for name in names)


def line_height(line: TextLine, fonts: Fonts, inner: int) -> int:
    """How tall ``line`` is on a card whose text is ``inner`` wide (wrapped lines grow)."""
    font, height = fonts.of_style(line.style)
    if line.style not in WRAPPED:
        return height
    room = QRect(0, 0, max(1, inner - line.indent), 100_000)
    flags = int(Qt.TextFlag.TextWordWrap) | int(Qt.AlignmentFlag.AlignLeft)
    return max(height, QFontMetrics(font).boundingRect(room, flags, line.text).height())


def own_button_row(order: OrderRow, station: Station | None = None) -> bool:
    """Whether the buttons take a row of their own under the total: three do not fit
    beside it on a ticket ("Charge again", "Take cash", "Cancel")."""
    return len(card_actions(order, station)) >= WIDE_BUTTONS


def card_height(order: OrderRow, fonts: Fonts, width: int, station: Station | None = None) -> int:
    """The card's height (without the margins around it) when ``width`` wide: cheap,
    for 10,000 rows (only notes and allergies are measured)."""
    inner = max(60, width - 2 * PAD)
    y = header_height(fonts) + PAD + fonts.number_h + GAP
    for line in card_lines(order, station):
        y += line.gap_before + line_height(line, fonts, inner) + GAP
    if own_button_row(order, station):
        y += fonts.button_h + GAP
    return y + GAP + fonts.button_h + PAD


def header_height(fonts: Fonts) -> int:
    return fonts.small_h + 2 * HEADER_PAD


def card_layout(
    order: OrderRow, width: int, fonts: Fonts, station: Station | None = None
) -> CardLayout:
    inner = max(60, width - 2 * PAD)
    header = QRect(0, 0, width, header_height(fonts))
    y = header.height() + PAD
    number = QRect(PAD, y, inner // 2, fonts.number_h)
    age = QRect(PAD + inner // 2, y, inner - inner // 2, fonts.number_h)
    y += fonts.number_h + GAP
    lines: list[Line] = []
    for line in card_lines(order, station):
        font = fonts.of_style(line.style)[0]
        if line.done:
            font = fonts.struck
        height = line_height(line, fonts, inner)
        y += line.gap_before
        rect = QRect(PAD + line.indent, y, inner - line.indent, height)
        text = line.text
        if line.style not in WRAPPED:
            text = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        lines.append(Line(text, font, rect, line.style, line.item, line.done))
        y += height + GAP
    y += GAP
    buttons: list[tuple[CardAction, QRect]] = []
    actions = card_actions(order, station)
    if own_button_row(order, station):
        # The total on its line, the buttons sharing the row under it: each as wide as
        # its label, and the room to spare shared out.
        total = QRect(PAD, y, inner, fonts.button_h)
        y += fonts.button_h + GAP
        metrics = QFontMetrics(fonts.base)
        labels = [metrics.horizontalAdvance(action.value) for action in actions]
        spare = (inner - BUTTON_GAP * (len(actions) - 1) - sum(labels)) // len(actions)
        x = PAD
        for action, label in zip(actions, labels, strict=True):
            buttons.append((action, QRect(x, y, label + spare, fonts.button_h)))
            x += label + spare + BUTTON_GAP
        y += fonts.button_h + PAD
        return CardLayout(QSize(width, y), header, number, age, tuple(lines), total, tuple(buttons))
    right = PAD + inner
    base_metrics = QFontMetrics(fonts.base)
    for action in reversed(actions):
        label_w = base_metrics.horizontalAdvance(action.value) + 2 * BUTTON_PAD_X
        buttons.insert(0, (action, QRect(right - label_w, y, label_w, fonts.button_h)))
        right -= label_w + BUTTON_GAP
    total = QRect(PAD, y, max(40, right - PAD), fonts.button_h)
    y += fonts.button_h + PAD
    return CardLayout(QSize(width, y), header, number, age, tuple(lines), total, tuple(buttons))


@dataclass(frozen=True, slots=True)
class HeaderLayout:
    """The header band's parts, in the card's coordinates."""

    color: str  # the fulfillment's
    kind: QRect
    kind_text: str  # DINE IN, TAKEAWAY, DELIVERY
    badge: QRect
    badge_text: str  # the channel
    pill: QRect
    pill_text: str  # the stage


def header_layout(order: OrderRow, card: CardLayout, fonts: Fonts) -> HeaderLayout:
    band = card.header
    metrics = QFontMetrics(fonts.small_bold)
    kind_text = _title(order.fulfillment).upper()
    kind = QRect(PAD, band.top(), metrics.horizontalAdvance(kind_text), band.height())
    inset = band.adjusted(0, 3, 0, -3)
    stage = PILL_OF[order.stage]
    pill_w = metrics.horizontalAdvance(stage) + 2 * BADGE_PAD
    right = band.right() - PAD - metrics.horizontalAdvance(NUMBER_TEXT) - BADGE_PAD
    # The stage pill keeps clear of the bump-bar number; on a narrow ticket the channel
    # badge gives way first: its short form, then nothing (the detail still says it).
    left = kind.right() + 1 + 2 * BADGE_PAD
    channel, badge_w = "", 0
    for text in _channel_forms(order.channel):
        width = metrics.horizontalAdvance(text) + 2 * BADGE_PAD
        if left + width + BADGE_PAD <= right - pill_w:
            channel, badge_w = text, width
            break
    badge = QRect(left, inset.top(), badge_w, inset.height())
    pill = QRect(
        max(badge.right() + BADGE_PAD, right - pill_w), inset.top(), pill_w, inset.height()
    )
    color = FULFILLMENT_COLORS.get(order.fulfillment, "#374151")
    return HeaderLayout(color, kind, kind_text, badge, channel, pill, stage)


def _channel_forms(channel: str) -> tuple[str, ...]:
    """The channel badge's texts, longest first: the name, then its short form."""
    name = channel.upper()
    short = CHANNEL_SHORT.get(name)
    return (name,) if short is None else (name, short)


def age_text(seconds: float) -> str:
    minutes, secs = divmod(int(max(0.0, seconds)), 60)
    if minutes < 60:
        return f"{minutes}:{secs:02d}"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d}"


class CardDelegate(QStyledItemDelegate):
    """Paints an order card; attributes set by the board: when tickets are late, and
    flashing orders. ``now`` is the clock the ages and lateness are read from."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.targets = PrepTargets()
        self.now: Callable[[], datetime] = lambda: datetime.now(UTC)
        self.flash_until: dict[str, float] = {}  # order id -> time.monotonic() deadline
        # The station whose lines the cards show (None: the expo's whole tickets).
        self.station: Station | None = None
        self._layouts: dict[tuple[str, int, datetime, int, Station | None], CardLayout] = {}
        self._fonts: Fonts | None = None
        self._font = QFont()
        self._font_key: str = ""
        self._ages: dict[tuple[str, str], QStaticText] = {}

    # -- geometry ------------------------------------------------------------------------

    def fonts(self, font: QFont) -> Fonts:
        if self._fonts is None or font != self._font:
            self._fonts, self._font, self._font_key = Fonts.of(font), QFont(font), font.key()
            self._layouts.clear()
            self._ages.clear()
        return self._fonts

    def layout(self, order: OrderRow, width: int, font: QFont) -> CardLayout:
        key = (order.id, order.seq, order.updated_at, width, self.station)
        found = self._layouts.get(key)
        if found is None:
            if len(self._layouts) > 50_000:
                self._layouts.clear()
            found = card_layout(order, width, self.fonts(font), self.station)
            self._layouts[key] = found
        return found

    @staticmethod
    def card_width(option: QStyleOptionViewItem) -> int:
        widget = option.widget
        if isinstance(widget, QAbstractScrollArea):
            width = widget.viewport().width()
        else:
            width = option.rect.width()
        return max(120, width - 2 * MARGIN_X)

    def row_height(self, order: OrderRow, font: QFont, width: int) -> int:
        """The height of the row, ``width`` wide, that holds ``order``'s card (the card
        and its margins)."""
        fonts = self.fonts(font)
        return card_height(order, fonts, width - 2 * MARGIN_X, self.station) + 2 * MARGIN_Y

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        order = index.data(ORDER_ROLE)
        if not isinstance(order, OrderRow):
            return super().sizeHint(option, index)
        width = self.card_width(option) + 2 * MARGIN_X
        return QSize(width, self.row_height(order, option.font, width))

    def button_at(
        self, order: OrderRow, item_rect: QRect, pos: QPoint, font: QFont
    ) -> CardAction | None:
        """The action button of the card drawn in ``item_rect`` under ``pos``, if any."""
        origin = item_rect.topLeft() + QPoint(MARGIN_X, MARGIN_Y)
        card = self.layout(order, item_rect.width() - 2 * MARGIN_X, font)
        for action, rect in card.buttons:
            if rect.translated(origin).contains(pos):
                return action
        return None

    def lines_shown(self, order: OrderRow) -> list[int]:
        """The indexes of the order's lines its card shows, top to bottom."""
        return lines_of(order, self.station)

    def item_at(self, order: OrderRow, item_rect: QRect, pos: QPoint, font: QFont) -> int | None:
        """The order line (its index in ``order.items``) whose text is under ``pos``."""
        origin = item_rect.topLeft() + QPoint(MARGIN_X, MARGIN_Y)
        card = self.layout(order, item_rect.width() - 2 * MARGIN_X, font)
        for line in card.lines:
            # The whole width of the ticket, and the gap under the line: an easy target.
            target = QRect(0, line.rect.y(), card.size.width(), line.rect.height() + GAP)
            if line.item is not None and target.translated(origin).contains(pos):
                return line.item
        return None

    # -- painting ------------------------------------------------------------------------

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        order = index.data(ORDER_ROLE)
        if not isinstance(order, OrderRow):
            super().paint(painter, option, index)
            return
        rect: QRect = option.rect
        widget: QWidget | None = option.widget
        colors: CardColors = getattr(widget, "card_colors", DEFAULT_COLORS)
        font: QFont = option.font
        card = self.layout(order, rect.width() - 2 * MARGIN_X, font)
        fonts = self.fonts(font)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        flashing = self._flashing(order.id)
        origin = rect.topLeft() + QPoint(MARGIN_X, MARGIN_Y)
        now = self.now()
        late = self.targets.decide(order, now)
        if flashing:
            painter.save()
            painter.translate(origin)
            self._paint_card(painter, order, card, fonts, colors, selected, colors.flash, late)
            painter.restore()
        else:
            # The card without its age is the same until the order changes: painted once
            # into a cached pixmap, so that the age ticking each second costs a blit.
            ratio = painter.device().devicePixelRatioF() if painter.device() else 1.0
            key = (
                f"card:{order.id}:{order.seq}:{order.updated_at.timestamp()}:{card.size.width()}"
                f":{selected}:{colors.key}:{self._font_key}:{ratio}:{late.name}:{self.station}"
            )
            pixmap = QPixmap()
            if not QPixmapCache.find(key, pixmap):
                pixmap = QPixmap(card.size * ratio)
                pixmap.setDevicePixelRatio(ratio)
                pixmap.fill(Qt.GlobalColor.transparent)
                into = QPainter(pixmap)
                self._paint_card(into, order, card, fonts, colors, selected, colors.card, late)
                into.end()
                QPixmapCache.insert(key, pixmap)
            painter.drawPixmap(origin, pixmap)
        age_color, age = self._age(order, colors, now, late)
        font = fonts.small if order.status in FINISHED else fonts.number
        text = self._static(age, "small" if order.status in FINISHED else "number", font)
        size = text.size()
        at = origin + card.age.topRight()
        painter.setPen(age_color)
        painter.setFont(font)
        left = int(at.x() - size.width())
        painter.drawStaticText(left, int(at.y() + (card.age.height() - size.height()) / 2), text)
        if late is not Lateness.ON_TIME and order.status not in FINISHED:
            self._paint_late_tag(painter, late, fonts, left, at.y() + card.age.height() // 2)

    @staticmethod
    def _paint_late_tag(
        painter: QPainter, late: Lateness, fonts: Fonts, right: int, middle: int
    ) -> None:
        """ "LATE" or "OVERDUE", filled in the band's colour, left of the age: the word
        tells late from the takeaway band's brown and overdue from an allergy's red,
        which the colours alone do not across a kitchen."""
        band, ink = LATE_BANDS[late]
        word = LATE_WORDS[late]
        metrics = QFontMetrics(fonts.small_bold)
        width = metrics.horizontalAdvance(word) + 2 * BADGE_PAD
        height = metrics.height() + 4
        tag = QRect(right - LATE_TAG_GAP - width, middle - height // 2, width, height)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(band))
        painter.drawRoundedRect(tag, 4, 4)
        painter.setPen(QColor(ink))
        painter.setFont(fonts.small_bold)
        painter.drawText(tag, Qt.AlignmentFlag.AlignCenter, word)
        painter.restore()

    def _paint_card(
        self,
        painter: QPainter,
        order: OrderRow,
        card: CardLayout,
        fonts: Fonts,
        colors: CardColors,
        selected: bool,
        background: QColor,
        late: Lateness,
    ) -> None:
        """Everything of the card but its age, at (0, 0)."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        frame = QRect(QPoint(0, 0), card.size).adjusted(1, 1, -1, -1)
        painter.setBrush(background)
        painter.setPen(QPen(colors.accent if selected else colors.border, 3 if selected else 1))
        painter.drawRoundedRect(frame, 8, 8)
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        self._paint_header(painter, order, card, fonts, frame, late)
        painter.setPen(colors.text)
        painter.setFont(fonts.number)
        painter.drawText(card.number, left, f"#{order.number}")
        wrapped = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap
        for line in card.lines:
            if line.style is Style.STATIONS:
                self._paint_chips(painter, order, line, colors)
                continue
            painter.setFont(line.font)
            painter.setPen(colors.muted if line.done else self._pen(line.style, colors))
            painter.drawText(line.rect, wrapped if line.style in WRAPPED else left, line.text)
        painter.setFont(fonts.bold)
        painter.setPen(colors.text)
        painter.drawText(card.total, left, _money(order.total_cents))
        painter.setFont(fonts.base)
        for action, button in card.buttons:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colors.button)
            painter.drawRoundedRect(button, 6, 6)
            painter.setPen(colors.button_text)
            painter.drawText(button, Qt.AlignmentFlag.AlignCenter, action.value)

    @staticmethod
    def _paint_chips(painter: QPainter, order: OrderRow, line: Line, colors: CardColors) -> None:
        """The expo's station chips: done ones filled green and ticked."""
        painter.setFont(line.font)
        metrics = QFontMetrics(line.font)
        x = line.rect.left()
        for station, done in progress(order):
            text = _chip_text(station, done)
            chip = QRect(
                x,
                line.rect.top() + 1,
                metrics.horizontalAdvance(text) + 2 * STATION_CHIP_PAD,
                line.rect.height() - 2,
            )
            if done:
                painter.setPen(Qt.PenStyle.NoPen)
                painter.setBrush(QColor(STATION_DONE_COLOR))
                painter.drawRoundedRect(chip, 4, 4)
                painter.setPen(QColor("#ffffff"))
            else:
                painter.setPen(QPen(colors.muted, 1))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(chip, 4, 4)
                painter.setPen(colors.text)
            painter.drawText(chip, Qt.AlignmentFlag.AlignCenter, text)
            x = chip.right() + 1 + STATION_CHIP_GAP

    @staticmethod
    def _paint_header(
        painter: QPainter,
        order: OrderRow,
        card: CardLayout,
        fonts: Fonts,
        frame: QRect,
        late: Lateness,
    ) -> None:
        """The band: the frame's rounded top in the fulfillment's colour (amber or red,
        the whole band, once the ticket is late), its name, the channel as a badge, and
        the stage as a pill in the stage's colour."""
        header = header_layout(order, card, fonts)
        band, ink = LATE_BANDS.get(late, (header.color, "#ffffff"))
        painter.save()
        painter.setClipRect(card.header)
        painter.setBrush(QColor(band))
        painter.drawRoundedRect(frame, 8, 8)
        painter.restore()
        text = QColor(ink)
        white = QColor("#ffffff")
        centre = Qt.AlignmentFlag.AlignCenter
        painter.setFont(fonts.small_bold)
        painter.setPen(text)
        painter.drawText(header.kind, centre, header.kind_text)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(text, 1))
        if header.badge_text:
            painter.drawRoundedRect(header.badge, 4, 4)
            painter.drawText(header.badge, centre, header.badge_text)
        painter.setBrush(QColor(STAGE_COLORS[order.stage]))
        painter.setPen(QPen(white, 1))
        painter.drawRoundedRect(header.pill, 4, 4)
        painter.drawText(header.pill, centre, header.pill_text)

    def _static(self, text: str, kind: str, font: QFont) -> QStaticText:
        """The age as a QStaticText: laid out once, drawn each second far cheaper."""
        found = self._ages.get((text, kind))
        if found is None:
            if len(self._ages) > MAX_STATIC_TEXTS:
                self._ages.clear()
            found = QStaticText(text)
            found.setTextFormat(Qt.TextFormat.PlainText)
            found.prepare(font=font)
            self._ages[(text, kind)] = found
        return found

    @staticmethod
    def _pen(style: Style, colors: CardColors) -> QColor:
        if style in (Style.ALERT, Style.ALLERGY):
            return colors.red
        if style in (Style.META, Style.ADDRESS, Style.NOTE):
            return colors.muted
        return colors.text

    def _flashing(self, order_id: str) -> bool:
        deadline = self.flash_until.get(order_id)
        if deadline is None:
            return False
        left = deadline - time.monotonic()
        if left <= 0:
            del self.flash_until[order_id]
            return False
        return int(left / FLASH_PERIOD_SECONDS) % 2 == 0

    @staticmethod
    def _age(
        order: OrderRow, colors: CardColors, now: datetime, late: Lateness
    ) -> tuple[QColor, str]:
        if order.status in FINISHED:
            local = order.updated_at.astimezone()
            return colors.muted, f"{_title(order.status.value)} {local:%H:%M}"
        seconds = (now - order.created_at).total_seconds()
        if late is Lateness.OVERDUE:
            return colors.overdue, age_text(seconds)
        if late is Lateness.LATE:
            return colors.amber, age_text(seconds)
        return colors.muted, age_text(seconds)

    def header_ink(self, order: OrderRow) -> QColor:
        """The colour of the text on ``order``'s header band now."""
        return QColor(LATE_BANDS.get(self.lateness(order), ("", "#ffffff"))[1])

    def lateness(self, order: OrderRow) -> Lateness:
        """How late ``order``'s ticket is now (what its header shows)."""
        return self.targets.decide(order, self.now())
