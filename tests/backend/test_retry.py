"""The retry policy as a table: error and attempt count in, decision out."""

from __future__ import annotations

import pytest

from backend.retry import Backoff, Verdict
from handlers.sdk import PermanentError, RetryAfter

NO_JITTER = Backoff(max_attempts=5, base_seconds=1.0, factor=2.0, cap_seconds=5.0, jitter=0.0)


@pytest.mark.parametrize(
    ("error", "attempts", "verdict", "delay"),
    [
        (RuntimeError("boom"), 1, Verdict.RETRY, 1.0),
        (RuntimeError("boom"), 2, Verdict.RETRY, 2.0),
        (RuntimeError("boom"), 3, Verdict.RETRY, 4.0),
        (RuntimeError("boom"), 4, Verdict.RETRY, 5.0),  # capped
        (RuntimeError("boom"), 5, Verdict.DEAD, 0.0),  # out of attempts
        (TimeoutError(), 2, Verdict.RETRY, 2.0),
        (RetryAfter(30.0), 1, Verdict.RETRY, 30.0),  # honoured as asked, not capped
        (RetryAfter(-3.0), 1, Verdict.RETRY, 0.0),
        (RetryAfter(30.0), 5, Verdict.DEAD, 0.0),
        (PermanentError("card stolen"), 1, Verdict.DEAD, 0.0),
    ],
)
def test_decision_table(
    error: BaseException, attempts: int, verdict: Verdict, delay: float
) -> None:
    decision = NO_JITTER.decide(error, attempts)
    assert decision.verdict is verdict
    assert decision.delay_seconds == pytest.approx(delay)


@pytest.mark.parametrize(("draw", "expected"), [(0.0, 4.0), (0.5, 3.0), (1.0, 2.0)])
def test_jitter_takes_up_to_half_off(draw: float, expected: float) -> None:
    policy = Backoff(base_seconds=1.0, jitter=0.5, random=lambda: draw)
    assert policy.delay(3) == pytest.approx(expected)


def test_delays_grow_and_stay_under_the_cap() -> None:
    policy = Backoff(base_seconds=0.1, cap_seconds=3.0, jitter=0.0, max_attempts=100)
    delays = [policy.decide(RuntimeError(), n).delay_seconds for n in range(1, 30)]
    assert delays == sorted(delays)
    assert max(delays) == pytest.approx(3.0)
