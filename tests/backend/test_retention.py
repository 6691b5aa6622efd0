"""The retention policy: hourly copies for two days, one a day for a month, the newest always."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from backend.retention import Retention

NOW = datetime(2026, 12, 6, 12, 30, tzinfo=UTC)
POLICY = Retention()


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def test_a_table_of_cases() -> None:
    hourly_today = [ago(hours=h) for h in range(48)]  # one an hour for two days
    same_hour_older = ago(minutes=20)  # 12:10, the newer 12:30 copy is that hour's
    old_days = [ago(days=d, hours=1) for d in range(2, 40)]  # 11:30 of older days
    kept = POLICY.keep([*hourly_today, same_hour_older, *old_days], NOW)
    assert set(hourly_today) <= kept
    assert same_hour_older not in kept
    # (day 2 has a newer copy among the hourly ones, which is its daily copy)
    assert {ago(days=d, hours=1) for d in range(3, 30)} <= kept
    assert not {ago(days=d, hours=1) for d in range(30, 40)} & kept
    # Of a day past the two days only the newest copy stays.
    day_three = [ago(days=3, hours=h) for h in (1, 2, 3)]
    assert POLICY.keep(day_three, NOW) & set(day_three) == {ago(days=3, hours=1)}


def test_the_newest_is_kept_however_old() -> None:
    ancient = ago(days=400)
    assert POLICY.keep([ancient, ago(days=500)], NOW) == {ancient}


def test_a_backup_from_the_future_is_kept() -> None:
    ahead = NOW + timedelta(hours=5)
    assert ahead in POLICY.keep([ahead, ago(hours=1)], NOW)


# Backups up to 40 days before NOW, and a few from after it (a clock put back).
times = st.lists(
    st.integers(min_value=-3 * 3600, max_value=40 * 86400).map(
        lambda s: NOW - timedelta(seconds=s)
    ),
    max_size=60,
)


@given(times)
def test_what_is_kept_obeys_the_policy(taken: list[datetime]) -> None:
    kept = POLICY.keep(taken, NOW)
    assert kept <= set(taken)
    if taken:
        assert max(taken) in kept
    for time in taken:
        age = NOW - time
        same_hour = [
            t for t in taken if t.replace(minute=0, second=0) == time.replace(minute=0, second=0)
        ]
        same_day = [t for t in taken if t.date() == time.date()]
        if time == max(same_hour) and age < POLICY.hourly:
            assert time in kept, "the newest of an hour in the last two days"
        if time == max(same_day) and age < POLICY.daily:
            assert time in kept, "the newest of a day in the last thirty days"
        if time in kept and time != max(taken) and age >= timedelta(0):
            assert (time == max(same_hour) and age < POLICY.hourly) or (
                time == max(same_day) and age < POLICY.daily
            ), "nothing else is kept"


@given(times, st.integers(min_value=0, max_value=40 * 86400))
def test_pruning_every_hour_ends_as_pruning_once(taken: list[datetime], later: int) -> None:
    then = NOW + timedelta(seconds=later)
    assert POLICY.keep(POLICY.keep(taken, NOW), then) == POLICY.keep(taken, then)
