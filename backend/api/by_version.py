"""One read per commit, however many subscribers ask for it.

``handlerStats`` subscribers (two on every dashboard) all want the same figures after
each commit; read apart, ten dashboards cost twenty reads of the delivery counts and the
handlers' recent attempts twice a second. :class:`ByVersion` runs the read once for a
notifier version and gives every subscriber of that version the same result.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ByVersion(Generic[T]):
    """The result of ``read()`` for the latest version asked for, read once."""

    def __init__(self) -> None:
        self._version = -1
        self._result: asyncio.Future[T] | None = None

    async def get(self, version: int, read: Callable[[], Awaitable[T]]) -> T:
        """``read()``'s result at ``version`` (the notifier's version seen before the
        call, so the result shows at least what was committed by then)."""
        if self._result is None or self._version != version or self._result.cancelled():
            self._version = version
            self._result = asyncio.ensure_future(read())
        # A subscriber that goes away does not cancel the read the others wait on.
        return await asyncio.shield(self._result)
