"""The tickets this terminal bumped (ready, or complete), newest first: what Undo and
Recall can take back a step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from ui.models.stages import Status

Index = QModelIndex | QPersistentModelIndex

RECALLABLE = 20  # the last bumps kept for Recall
BUMP_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class Bump:
    order_id: str
    number: int
    who: str | None  # the customer, to tell tickets apart
    at: datetime  # local time of the bump
    to: Status = Status.READY  # where the bump left it: READY, or COMPLETED

    @property
    def text(self) -> str:
        who = f"  ·  {self.who}" if self.who else ""
        done = "completed" if self.to is Status.COMPLETED else "ready"
        return f"#{self.number}  ·  {done} at {self.at:%H:%M:%S}{who}"


class BumpsModel(QAbstractListModel):
    """At most :data:`RECALLABLE` bumps, the newest in row 0, changed row by row."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Bump] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        bump = self._rows[index.row()]
        if role == BUMP_ROLE:
            return bump
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return bump.text
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def bump_at(self, row: int) -> Bump:
        return self._rows[row]

    def bump_of(self, order_id: str) -> Bump | None:
        """This terminal's last bump of the order, if it is still listed."""
        return next((bump for bump in self._rows if bump.order_id == order_id), None)

    @property
    def bumps(self) -> tuple[Bump, ...]:
        return tuple(self._rows)

    def add(self, bump: Bump) -> None:
        """A new bump on top (an older bump of the same order goes); the oldest past
        :data:`RECALLABLE` drops off."""
        self.remove(bump.order_id)
        self.beginInsertRows(QModelIndex(), 0, 0)
        self._rows.insert(0, bump)
        self.endInsertRows()
        if len(self._rows) > RECALLABLE:
            last = len(self._rows) - 1
            self.beginRemoveRows(QModelIndex(), last, last)
            del self._rows[last]
            self.endRemoveRows()

    def remove(self, order_id: str) -> None:
        for row, bump in enumerate(self._rows):
            if bump.order_id == order_id:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
                return
