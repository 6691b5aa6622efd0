"""Changing what a proxy's filter accepts, the way the installed Qt wants it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from PySide6.QtCore import QSortFilterProxyModel


@contextmanager
def rows_filter_change(proxy: QSortFilterProxyModel) -> Iterator[None]:
    """Wrap a change of the criteria of ``filterAcceptsRow`` (Qt >= 6.10 API, else the old)."""
    if hasattr(proxy, "beginFilterChange"):
        proxy.beginFilterChange()
        try:
            yield
        finally:
            proxy.endFilterChange(QSortFilterProxyModel.Direction.Rows)
    else:  # Qt < 6.10: invalidateRowsFilter() is not yet deprecated there
        yield
        proxy.invalidateRowsFilter()
