"""When backups are made: an hour after the last good one, and at a clean shutdown.

The copy itself (backend/backups.py) runs on a worker thread, so the backend's loop
goes on serving while it is made. What the API reports (``backupStatus``) is
:attr:`BackupScheduler.status`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from backend.backups import (
    BackupError,
    BackupFile,
    list_backups,
    make_backup,
    prune,
    remove_leftovers,
)
from backend.database import Database
from backend.retention import Retention
from backend.settings import BACKUP_INTERVAL_SECONDS

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LastBackup:
    """Where backups go and how the last one went; the API shows it as ``BackupStatus``
    (backend/api/types.py)."""

    folder: Path
    last_good_at: datetime | None  # the newest backup in the folder that passed its checks
    last_error: str | None  # why the last attempt failed; None once one succeeds


class BackupScheduler:
    """Start with :meth:`start` once the database is open; :meth:`stop` makes the
    shutdown backup (when something was written since the last one)."""

    def __init__(
        self,
        db: Database,
        folder: Path,
        *,
        interval: float = BACKUP_INTERVAL_SECONDS,
        retention: Retention | None = None,
    ) -> None:
        self.db = db
        self.folder = folder
        self.interval = interval
        self.retention = retention or Retention()
        self.status = LastBackup(folder, None, None)
        self._task: asyncio.Task[None] | None = None
        self._copying: asyncio.Future[BackupFile] | None = None
        self._commits_copied: int | None = None  # db.commits when the last copy began

    async def start(self) -> None:
        stem = self.db.path.stem
        try:
            removed = await asyncio.to_thread(remove_leftovers, self.folder, stem)
            backups = await asyncio.to_thread(list_backups, self.folder, stem)
        except OSError as exc:
            # The restaurant keeps serving; the status bar turns amber and says why.
            log.error("cannot use the backup folder %s: %s", self.folder, exc)
            self.status = LastBackup(self.folder, None, f"cannot use {self.folder}: {exc}")
        else:
            for path in removed:
                log.warning("removed %s, left by a backup that did not finish", path)
            if backups:
                self.status = LastBackup(self.folder, backups[-1].taken_at, None)
        self._task = asyncio.create_task(self._every_interval(), name="passline-backups")

    async def stop(self) -> None:
        """Stop the schedule, let a copy under way finish, and make the shutdown copy
        (none for a backend that never started serving: its start failed)."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None
        if self._copying is not None:
            with contextlib.suppress(Exception):
                await self._copying
        if self._commits_copied != self.db.commits or self.status.last_good_at is None:
            await self.back_up()

    async def back_up(self) -> BackupFile | None:
        """Make a backup now and prune the folder; None if it failed (see :attr:`status`)."""
        now = datetime.now(UTC).replace(microsecond=0)  # as its file name says
        commits = self.db.commits
        stem = self.db.path.stem
        copying = self._copying = asyncio.ensure_future(
            asyncio.to_thread(make_backup, self.db.path, self.folder, now)
        )
        try:
            # Shielded: a cancelled caller leaves the worker thread's copy to finish,
            # and :meth:`stop` waits for it.
            made = await asyncio.shield(copying)
        except BackupError as exc:
            log.error("backup failed: %s", exc)
            self.status = LastBackup(self.folder, self.status.last_good_at, str(exc))
            return None
        finally:
            if copying.done():
                self._copying = None
        self._commits_copied = commits
        self.status = LastBackup(self.folder, made.taken_at, None)
        log.info("backed up %s to %s", self.db.path, made.path)
        try:
            for path in await asyncio.to_thread(
                prune, self.folder, stem, made.taken_at, self.retention
            ):
                log.info("removed the old backup %s", path)
        except OSError as exc:
            log.error("removing old backups from %s failed: %s", self.folder, exc)
        return made

    def _due_in(self) -> float:
        """Seconds until the next backup: an interval after the last good one."""
        last = self.status.last_good_at
        if last is None:
            return 0.0
        due = last + timedelta(seconds=self.interval)
        return max(0.0, min(self.interval, (due - datetime.now(UTC)).total_seconds()))

    async def _every_interval(self) -> None:
        while True:
            await asyncio.sleep(self._due_in())
            if await self.back_up() is None:
                # Failed: try again after an interval, not at once in a loop.
                await asyncio.sleep(self.interval)
