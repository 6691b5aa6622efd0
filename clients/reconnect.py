"""How long a client waits before it tries the backend again: a pure policy."""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST_DELAY_SECONDS = 0.25
MAX_DELAY_SECONDS = 5.0


@dataclass(frozen=True, slots=True)
class ReconnectBackoff:
    """Exponential backoff with jitter, capped.

    delay(attempt) = min(cap, first * factor ** attempt) * (1 - jitter * r), r in [0, 1).

    ``attempt`` counts the failed tries since the connection was last up, from 0. The cap
    is low on purpose: a restaurant's backend is on the local network, and staff expect
    the board back within seconds of the backend coming back.
    """

    first: float = FIRST_DELAY_SECONDS
    factor: float = 2.0
    cap: float = MAX_DELAY_SECONDS
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        base = min(self.cap, self.first * self.factor ** min(attempt, 32))
        r = (rng or random).random()
        return base * (1.0 - self.jitter * r)
