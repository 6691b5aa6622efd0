"""Which backups to keep: hourly copies for two days, one a day for a month."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from backend.settings import BACKUP_DAILY_KEEP_SECONDS, BACKUP_HOURLY_KEEP_SECONDS


@dataclass(frozen=True, slots=True)
class Retention:
    """A pure policy over backup times (timezone-aware, compared in UTC).

    A backup is kept if it is

    - the newest of its clock hour, and younger than ``hourly`` (two days); or
    - the newest of its day (UTC), and younger than ``daily`` (thirty days); or
    - the newest of all (the last good copy is never deleted, however old); or
    - from the future (the clock was put back: nothing is deleted on a guess).

    Keeping the newest of a bucket, never the oldest, makes the policy stable: what it
    keeps at one time it would also have chosen from everything at any later time, so
    pruning every hour ends with the same files as pruning once
    (``keep(keep(s, t1), t2) == keep(s, t2)`` for ``t1 <= t2``).
    """

    hourly: timedelta = timedelta(seconds=BACKUP_HOURLY_KEEP_SECONDS)
    daily: timedelta = timedelta(seconds=BACKUP_DAILY_KEEP_SECONDS)

    def keep(self, taken: Iterable[datetime], now: datetime) -> frozenset[datetime]:
        times = sorted(set(taken), reverse=True)  # newest first
        kept: set[datetime] = set(times[:1])
        hours: set[datetime] = set()
        days: set[date] = set()
        for time in times:
            age = now - time
            hour = _hour(time)
            if age < timedelta(0) or (age < self.hourly and hour not in hours):
                kept.add(time)
            hours.add(hour)
            day = hour.date()
            if age < self.daily and day not in days:
                kept.add(time)
            days.add(day)
        return frozenset(kept)


def _hour(time: datetime) -> datetime:
    return time.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
