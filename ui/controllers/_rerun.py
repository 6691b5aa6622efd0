"""Reading something again on every change, without piling up reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


class Rerun:
    """Calls ``read()`` now; calls made while it runs collapse into one more run after it.

    For views that read a whole answer again when told that something changed (the menu
    in the New order dialog, an order's history): a burst of changes costs two reads, not
    one each, and the last read always starts after the last change was announced.
    """

    def __init__(self, read: Callable[[], Awaitable[None]]) -> None:
        self._read = read
        self._running = False
        self._again = False

    async def __call__(self) -> None:
        if self._running:
            self._again = True
            return
        self._running = True
        try:
            while True:
                self._again = False
                await self._read()
                if not self._again:
                    return
        finally:
            self._running = False
