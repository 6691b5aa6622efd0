"""The Choices cell of the New order dialog's ticket: the modifiers in plain text, the
guest's allergies on a line of their own in bold red behind a warning sign, as the board
draws them, so that "⚠ SESAME" never reads like "+ extra cheese"."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize
from PySide6.QtGui import QAbstractTextDocumentLayout, QPainter, QPalette, QTextDocument
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

from ui.models.cart import CHOICES_ROLE, ChoiceParts

Index = QModelIndex | QPersistentModelIndex
ALLERGY_RED = "#c62828"  # the board's and the order detail's allergy red
WARNING = "\N{WARNING SIGN}"


def choices_html(parts: ChoiceParts) -> str:
    """The cell's text: what is still to choose (red), the modifiers (plain), then the
    allergies (bold red, on their own line)."""
    lines = []
    if parts.missing is not None:
        lines.append(f'<span style="color:{ALLERGY_RED}">{escape(parts.missing)}</span>')
    if parts.modifiers:
        lines.append(escape(", ".join(parts.modifiers)))
    if parts.allergens:
        names = ", ".join(name.replace("_", " ") for name in parts.allergens)
        lines.append(f'<b style="color:{ALLERGY_RED}">{WARNING} {escape(names)}</b>')
    return "<br>".join(lines)


class ChoicesDelegate(QStyledItemDelegate):
    """Draws a ticket line's :class:`ChoiceParts` as rich text that wraps in its column."""

    def document(self, option: QStyleOptionViewItem, index: Index) -> QTextDocument:
        document = QTextDocument()
        document.setDocumentMargin(2)
        document.setDefaultFont(option.font)
        parts = index.data(CHOICES_ROLE)
        document.setHtml(choices_html(parts) if isinstance(parts, ChoiceParts) else "")
        # No width yet (a size asked before the column has one): the text's own width.
        document.setTextWidth(option.rect.width() if option.rect.width() > 0 else -1)
        return document

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        cell = QStyleOptionViewItem(option)
        self.initStyleOption(cell, index)
        cell.text = ""  # the background and selection from the style, the text from here
        style = cell.widget.style() if cell.widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, cell, painter, cell.widget)
        document = self.document(option, index)
        context = QAbstractTextDocumentLayout.PaintContext()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        group = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        context.palette.setColor(QPalette.ColorRole.Text, option.palette.color(group))
        painter.save()
        spare = option.rect.height() - int(document.size().height())
        top = option.rect.top() + max(0, spare // 2)
        painter.translate(option.rect.left(), top)
        painter.setClipRect(0, 0, option.rect.width(), option.rect.height())
        document.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        document = self.document(option, index)
        return QSize(int(document.idealWidth()), int(document.size().height()))
