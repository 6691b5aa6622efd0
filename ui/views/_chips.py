"""Status chips: a rounded, coloured label per delivery status, drawn by item delegates.

The colours are the same in light and dark themes on purpose: staff learn "red is dead"
once, and each chip carries its own contrasting text colour.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ui.models._table import ROW_ROLE, STATUS_ROLE
from ui.models.events import DeliveryStatus, EventRow
from ui.models.menu import Availability

CHIP_PADDING_X = 7
CHIP_SPACING = 5
CHIP_MARGIN_Y = 4
ROW_HEIGHT = 30  # a chip and its margins, readable from a step away


@dataclass(frozen=True, slots=True)
class Tone:
    background: str
    text: str
    glyph: str  # a shape beside the colour, for whoever cannot tell the colours apart


TONES: dict[object, Tone] = {
    DeliveryStatus.PENDING: Tone("#6b7280", "#ffffff", "…"),
    DeliveryStatus.RUNNING: Tone("#2563eb", "#ffffff", "▶"),
    DeliveryStatus.SUCCEEDED: Tone("#15803d", "#ffffff", "✓"),
    DeliveryStatus.RETRYING: Tone("#f59e0b", "#1c1917", "↻"),
    DeliveryStatus.DEAD: Tone("#dc2626", "#ffffff", "✕"),
    # Settled by a person: muted, so that red keeps meaning "needs someone".
    DeliveryStatus.RESOLVED: Tone("#d1d5db", "#374151", "⊘"),
    Availability.AVAILABLE: Tone("#15803d", "#ffffff", "✓"),
    Availability.SOLD_OUT: Tone("#dc2626", "#ffffff", "✕"),
}


def chip_width(metrics: QFontMetrics, text: str) -> int:
    return metrics.horizontalAdvance(text) + 2 * CHIP_PADDING_X


def paint_chip(painter: QPainter, rect: QRect, text: str, tone: Tone) -> None:
    """One chip filling ``rect``'s height (less a margin), as wide as its text."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    box = QRectF(rect.adjusted(0, CHIP_MARGIN_Y, 0, -CHIP_MARGIN_Y))
    radius = box.height() / 2
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(tone.background))
    painter.drawRoundedRect(box, radius, radius)
    painter.setPen(QColor(tone.text))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
    painter.restore()


def chip_text(label: str, status: object) -> str:
    tone = TONES.get(status)
    return label if tone is None else f"{label} {tone.glyph}"


class _ChipDelegate(QStyledItemDelegate):
    def paint_background(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """The cell's own background and selection, without its text."""
        plain = QStyleOptionViewItem(option)
        self.initStyleOption(plain, index)
        plain.text = ""
        widget = plain.widget
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, plain, painter, widget)


class ChipDelegate(_ChipDelegate):
    """Draws a cell whose ``STATUS_ROLE`` is a known status as a chip; others as usual.

    Rows are at least ``ROW_HEIGHT`` tall, so that chips have room in any view.
    """

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        if index.data(STATUS_ROLE) in TONES:
            text = str(index.data(Qt.ItemDataRole.DisplayRole))
            hint.setWidth(
                max(hint.width(), chip_width(option.fontMetrics, text) + 2 * CHIP_SPACING)
            )
        hint.setHeight(max(hint.height(), ROW_HEIGHT))
        return hint

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        status = index.data(STATUS_ROLE)
        tone = TONES.get(status)
        if tone is None:
            super().paint(painter, option, index)
            return
        self.paint_background(painter, option, index)
        text = str(index.data(Qt.ItemDataRole.DisplayRole))
        width = chip_width(option.fontMetrics, text)
        rect = QRect(option.rect)
        if index.data(Qt.ItemDataRole.TextAlignmentRole) == int(
            (Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter).value
        ):
            rect.setLeft(rect.right() - width - CHIP_SPACING)
        else:
            rect.setLeft(rect.left() + CHIP_SPACING)
        rect.setWidth(min(width, option.rect.width() - CHIP_SPACING))
        paint_chip(painter, rect, text, tone)


class DeliveryChipsDelegate(_ChipDelegate):
    """Draws an event's deliveries as one chip per handler (the row under ``ROW_ROLE``)."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        row = index.data(ROW_ROLE)
        if not isinstance(row, EventRow):
            super().paint(painter, option, index)
            return
        self.paint_background(painter, option, index)
        left = option.rect.left() + CHIP_SPACING
        right = option.rect.right()
        for delivery in row.deliveries:
            text = chip_text(delivery.handler, delivery.status)
            width = chip_width(option.fontMetrics, text)
            if left + width > right:
                painter.save()
                painter.setPen(option.palette.text().color())
                more = QRect(left, option.rect.top(), right - left, option.rect.height())
                painter.drawText(more, Qt.AlignmentFlag.AlignVCenter, "…")
                painter.restore()
                break
            rect = QRect(left, option.rect.top(), width, option.rect.height())
            paint_chip(painter, rect, text, TONES[delivery.status])
            left += width + CHIP_SPACING

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        row = index.data(ROW_ROLE)
        if isinstance(row, EventRow):
            widths = [
                chip_width(option.fontMetrics, chip_text(d.handler, d.status)) + CHIP_SPACING
                for d in row.deliveries
            ]
            hint.setWidth(sum(widths) + CHIP_SPACING)
        return hint
