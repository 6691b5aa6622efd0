"""A small line chart of events and failed attempts per minute, drawn with QPainter."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from ui.models.handlers import Span, Throughput

EVENTS_COLOR = "#2563eb"
FAILURES_COLOR = "#dc2626"
REPAINT_MS = 1000
MARGIN = 10


class RateChart(QWidget):
    """Draws its :class:`Throughput` (attribute ``throughput``) over its ``span``,
    repainted once a second so that live events show at once."""

    def __init__(
        self,
        throughput: Throughput,
        parent: QWidget | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(parent)
        self.throughput = throughput
        self.span = Span.HOUR
        self.clock = clock
        self.setMinimumHeight(150)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._timer = QTimer(self)
        self._timer.setInterval(REPAINT_MS)
        self._timer.timeout.connect(self.update)
        self._timer.start()

    def sizeHint(self) -> QSize:
        return QSize(600, 170)

    def set_span(self, span: Span) -> None:
        self.span = span
        self.update()

    def rates(self) -> tuple[list[float], list[float]]:
        """Events and failures a minute, averaged per point, oldest first."""
        events, failures = self.throughput.series(self.clock(), self.span.minutes)
        return _buckets(events, self.span.bucket), _buckets(failures, self.span.bucket)

    def paintEvent(self, event: QPaintEvent) -> None:
        events, failures = self.rates()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.windowText().color()
        metrics = painter.fontMetrics()
        line = metrics.height()
        peak = max([*events, *failures, 1.0])
        scale = _nice(peak)

        plot = QRectF(self.rect()).adjusted(
            MARGIN + metrics.horizontalAdvance(f"{scale:g}/min") + 6,
            MARGIN + line + 4,
            -MARGIN,
            -(MARGIN + line + 2),
        )
        painter.fillRect(plot, palette.base())
        grid = QColor(text)
        grid.setAlpha(50)
        painter.setPen(QPen(grid, 1))
        for step in range(5):
            y = plot.top() + plot.height() * step / 4
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))

        painter.setPen(text)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for value, y in ((scale, plot.top()), (0.0, plot.bottom())):
            label = QRectF(MARGIN, y - line / 2, plot.left() - MARGIN - 6, line)
            painter.drawText(label, right, f"{value:g}/min")
        since = "1 h ago" if self.span is Span.HOUR else "24 h ago"
        below = QRectF(plot.left(), plot.bottom() + 2, plot.width(), line)
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft, since)
        painter.drawText(below, Qt.AlignmentFlag.AlignRight, "now")

        now_events = events[-1] if events else 0.0
        now_failures = failures[-1] if failures else 0.0
        legend = QRectF(plot.left(), MARGIN, plot.width(), line)
        x = legend.left()
        for color, caption in (
            (EVENTS_COLOR, f"events/min  {round(now_events, 1):g}"),
            (FAILURES_COLOR, f"failures/min  {round(now_failures, 1):g}"),
        ):
            painter.fillRect(QRectF(x, legend.center().y() - 2, 14, 4), QColor(color))
            x += 20
            painter.setPen(text)
            painter.drawText(QRectF(x, legend.top(), plot.width(), line), caption)
            x += metrics.horizontalAdvance(caption) + 24

        for values, color in ((events, EVENTS_COLOR), (failures, FAILURES_COLOR)):
            painter.setPen(QPen(QColor(color), 2))
            painter.drawPath(_path(values, plot, scale))
        painter.end()


def _buckets(counts: Sequence[int], size: int) -> list[float]:
    return [sum(counts[i : i + size]) / size for i in range(0, len(counts), size)]


def _nice(peak: float) -> float:
    """The smallest of 1, 2, 5 times a power of ten at or above ``peak``."""
    power = 1.0
    while power * 10 < peak:
        power *= 10
    while power > peak * 10:
        power /= 10
    return next(step * power for step in (1, 2, 5, 10) if step * power >= peak)


def _path(values: Sequence[float], plot: QRectF, scale: float) -> QPainterPath:
    path = QPainterPath()
    if not values:
        return path
    step = plot.width() / max(1, len(values) - 1)
    for i, value in enumerate(values):
        point = QPointF(plot.left() + i * step, plot.bottom() - plot.height() * value / scale)
        if i == 0:
            path.moveTo(point)
        else:
            path.lineTo(point)
    return path
