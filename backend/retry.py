"""The retry policy: a pure decision from an attempt's error and count.

The runner only applies decisions; nothing here touches the clock or the database.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from handlers.sdk import PermanentError, RetryAfter


class Verdict(StrEnum):
    RETRY = "RETRY"  # due again after ``delay_seconds``
    DEAD = "DEAD"  # give up; a person retries it


@dataclass(frozen=True, slots=True)
class RetryDecision:
    verdict: Verdict
    delay_seconds: float = 0.0
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter, capped.

    After failed attempt ``n`` (1-based) the next one is due after
    ``uniform(0.5, 1) * min(cap_seconds, base_seconds * factor ** (n - 1))`` seconds,
    unless the handler asked for a delay (``RetryAfter``), which is honoured as given.
    No decision to retry is made once ``attempts >= max_attempts``, and a
    ``PermanentError`` is never retried.
    """

    max_attempts: int = 8
    base_seconds: float = 0.5
    factor: float = 2.0
    cap_seconds: float = 60.0
    # Fraction of the delay drawn at random (0: none, 0.5: between 50 % and 100 %).
    jitter: float = 0.5
    random: Callable[[], float] = field(default=random.random, compare=False)

    def delay(self, attempts: int) -> float:
        exponential = self.base_seconds * self.factor ** max(0, attempts - 1)
        capped = min(self.cap_seconds, exponential)
        return capped * (1.0 - self.jitter * self.random())

    def decide(self, error: BaseException, attempts: int) -> RetryDecision:
        """What to do after the ``attempts``-th attempt failed with ``error``."""
        if isinstance(error, PermanentError):
            return RetryDecision(Verdict.DEAD, reason="permanent error")
        if attempts >= self.max_attempts:
            return RetryDecision(Verdict.DEAD, reason=f"out of attempts ({attempts})")
        if isinstance(error, RetryAfter):
            return RetryDecision(Verdict.RETRY, max(0.0, error.seconds), "handler asked to retry")
        return RetryDecision(Verdict.RETRY, self.delay(attempts), "backoff")
