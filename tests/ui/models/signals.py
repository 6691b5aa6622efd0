"""Counting what a model told its views, to prove a change was row by row."""

from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtCore import QAbstractItemModel


class Signals:
    """Counts each structural and data signal of ``model``; ``rows`` keeps the ranges."""

    NAMES = (
        "modelReset",
        "layoutChanged",
        "rowsInserted",
        "rowsRemoved",
        "rowsMoved",
        "dataChanged",
    )

    def __init__(self, model: QAbstractItemModel) -> None:
        self.counts: Counter[str] = Counter()
        self.ranges: list[tuple[str, int, int]] = []
        for name in self.NAMES:
            getattr(model, name).connect(self._counter(name))

    def _counter(self, name: str) -> Any:
        def count(*args: Any) -> None:
            self.counts[name] += 1
            if name in ("rowsInserted", "rowsRemoved"):
                self.ranges.append((name, args[1], args[2]))
            elif name == "dataChanged":
                self.ranges.append((name, args[0].row(), args[1].row()))

        return count

    @property
    def resets(self) -> int:
        """Whole-model signals: what a single change must never cause."""
        return self.counts["modelReset"] + self.counts["layoutChanged"]
