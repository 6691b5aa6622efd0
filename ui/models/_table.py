"""A flat table model over plain row objects, kept in step with a keyed list, row by row."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

T = TypeVar("T")
Index = QModelIndex | QPersistentModelIndex

# The row object itself, for views and delegates that draw more than text.
ROW_ROLE = Qt.ItemDataRole.UserRole + 1
# Cells drawn as a coloured chip: the status (a str enum member) the chip stands for.
# Qt hands it back as a plain str, equal to the member.
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2

LEFT = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
CENTER = Qt.AlignmentFlag.AlignCenter


@dataclass(frozen=True, slots=True)
class Column(Generic[T]):
    """One column: its header, its text for a row, and optionally a tooltip."""

    title: str
    text: Callable[[T], str]
    align: Qt.AlignmentFlag = LEFT
    tooltip: Callable[[T], str | None] | None = None


class Headers:
    """Mixin for item models: a title per column in ``headers``; no vertical header text."""

    headers: tuple[str, ...] = ()

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.headers)
        ):
            return self.headers[section]
        return None


class FlatTableModel(Headers, QAbstractTableModel, Generic[T]):
    """A table of ``rows`` (no children) with a title per column in ``headers``."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[T] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def row(self, position: int) -> T:
        return self._rows[position]

    def _row_changed(self, position: int) -> None:
        last = max(0, len(self.headers) - 1)
        self.dataChanged.emit(self.index(position, 0), self.index(position, last))


class RowTableModel(FlatTableModel[T]):
    """Rows of ``T`` identified by ``key``; :meth:`sync` applies a new list as row changes.

    A changed row emits ``dataChanged`` for that row only; new rows are inserted and
    gone rows removed where they are, so selections and scroll positions survive.
    """

    def __init__(
        self,
        columns: Sequence[Column[T]],
        key: Callable[[T], Hashable],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.columns = tuple(columns)
        self.headers = tuple(column.title for column in self.columns)
        self._key = key

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        column = self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.text(row)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(column.align.value)
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip is not None:
            return column.tooltip(row)
        if role == ROW_ROLE:
            return row
        return self.extra_data(row, index.column(), role)

    def extra_data(self, row: T, column: int, role: int) -> Any:
        """Roles beyond text, alignment and tooltip (colours, check states): none here."""
        return None

    @property
    def rows(self) -> tuple[T, ...]:
        return tuple(self._rows)

    def find(self, key: Hashable) -> int | None:
        """The position of the row with ``key``, or None."""
        for position, row in enumerate(self._rows):
            if self._key(row) == key:
                return position
        return None

    # -- changing -------------------------------------------------------------------------

    def sync(self, rows: Sequence[T]) -> None:
        """Make the model show ``rows`` (in that order) with the fewest row changes."""
        wanted = {self._key(row) for row in rows}
        for position in range(len(self._rows) - 1, -1, -1):
            if self._key(self._rows[position]) not in wanted:
                self.beginRemoveRows(QModelIndex(), position, position)
                del self._rows[position]
                self.endRemoveRows()
        for target, row in enumerate(rows):
            key = self._key(row)
            current = self._position_from(key, target)
            if current is None:
                self.beginInsertRows(QModelIndex(), target, target)
                self._rows.insert(target, row)
                self.endInsertRows()
                continue
            if current != target:
                self.beginMoveRows(QModelIndex(), current, current, QModelIndex(), target)
                self._rows.insert(target, self._rows.pop(current))
                self.endMoveRows()
            if self._rows[target] != row:
                self._rows[target] = row
                self._row_changed(target)

    def upsert(self, row: T) -> None:
        """Replace the row with ``row``'s key, or append ``row``."""
        position = self.find(self._key(row))
        if position is None:
            end = len(self._rows)
            self.beginInsertRows(QModelIndex(), end, end)
            self._rows.append(row)
            self.endInsertRows()
        elif self._rows[position] != row:
            self._rows[position] = row
            self._row_changed(position)

    def _position_from(self, key: Hashable, start: int) -> int | None:
        for position in range(start, len(self._rows)):
            if self._key(self._rows[position]) == key:
                return position
        return None
