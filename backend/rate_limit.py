"""How often one client address may do something: a sliding window, kept in memory."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``limit`` actions per key in any ``window_seconds``.

    :meth:`take` records an action and returns None, or refuses it and returns the
    seconds until the oldest action in the window leaves it (when one more is allowed).
    Keys with nothing in the window are forgotten, so memory follows the clients active
    in the last window, not every address ever seen.
    """

    def __init__(
        self,
        limit: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._actions: dict[str, deque[float]] = {}

    def take(self, key: str) -> float | None:
        now = self._clock()
        self._forget(now)
        times = self._actions.setdefault(key, deque())
        if len(times) >= self.limit:
            return max(0.0, times[0] + self.window_seconds - now)
        times.append(now)
        return None

    def _forget(self, now: float) -> None:
        horizon = now - self.window_seconds
        for key in list(self._actions):
            times = self._actions[key]
            while times and times[0] <= horizon:
                times.popleft()
            if not times:
                del self._actions[key]
