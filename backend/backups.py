"""Backups of the database: online copies, checked, named by when they were taken.

A copy is made with SQLite's online backup API on a read-only connection of its own,
inside one read snapshot held across the backup's steps. In WAL mode a reader never
holds up the writer, so clients are answered all along, and the copy is one committed
state (a snapshot held open is also why the backup never restarts when orders come in
between its steps). The copy is written under a temporary name
(``.<name>.partial``), switched out of WAL mode so that it is one self-contained file,
checked (``PRAGMA integrity_check``, and that it is a Passline database), flushed to
disk and only then renamed to ``<stem>-YYYYmmdd-HHMMSSZ.db`` (the time it was taken, in
UTC). A process killed in the middle leaves only a ``.partial`` file, which nothing
takes for a backup, and which the next start removes.

Test hook: with the environment variable ``PASSLINE_TEST_BACKUP_STALL`` set, a backup
copies one page a step and stops for good after its first step (it logs
"backup stalled"), so that a test can kill the process in the middle of one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import sys
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from backend.database import APPLICATION_ID
from backend.lockfile import LockFile
from backend.retention import Retention
from backend.settings import BACKUP_PAGES_PER_STEP
from backend.sql_blocks import migrations

log = logging.getLogger(__name__)

PARTIAL_SUFFIX = ".partial"
STALL_ENV = "PASSLINE_TEST_BACKUP_STALL"
_STAMP = "%Y%m%d-%H%M%S"


class BackupError(Exception):
    """A backup could not be made, or a file cannot be restored; the message says why."""


@dataclass(frozen=True, slots=True)
class BackupFile:
    path: Path
    taken_at: datetime


def backup_name(stem: str, taken_at: datetime) -> str:
    return f"{stem}-{taken_at.astimezone(UTC).strftime(_STAMP)}Z.db"


def _pattern(stem: str) -> re.Pattern[str]:
    return re.compile(re.escape(stem) + r"-(\d{8}-\d{6})Z\.db")


def list_backups(folder: Path, stem: str) -> list[BackupFile]:
    """The finished backups of the database named ``stem`` in ``folder``, oldest first.

    Only checked copies ever get such a name, so the name is enough to trust a file.
    """
    pattern = _pattern(stem)
    found = []
    with contextlib.suppress(FileNotFoundError):
        for path in folder.iterdir():
            match = pattern.fullmatch(path.name)
            if match is not None:
                taken = datetime.strptime(match.group(1), _STAMP).replace(tzinfo=UTC)
                found.append(BackupFile(path, taken))
    return sorted(found, key=lambda backup: backup.taken_at)


def remove_leftovers(folder: Path, stem: str) -> list[Path]:
    """Delete the temporary files of backups that never finished (a killed process)."""
    prefix = f".{stem}-"
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for path in folder.iterdir():
            name = path.name
            if name.startswith(prefix) and PARTIAL_SUFFIX in name:
                path.unlink(missing_ok=True)
                removed.append(path)
    return removed


def check_copy(path: Path) -> None:
    """Raise :class:`BackupError` unless ``path`` is a sound Passline database."""
    if not path.is_file():
        raise BackupError(f"{path} does not exist or is not a file.")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise BackupError(f"{path} cannot be opened ({exc}).") from exc
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if app_id != APPLICATION_ID or version == 0:
            raise BackupError(f"{path} is a SQLite database but not a Passline one.")
        if version > len(migrations()):
            raise BackupError(
                f"{path} was written by a newer Passline (schema {version}); "
                "upgrade Passline to use it."
            )
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite database, or is damaged ({exc}).") from exc
    finally:
        conn.close()
    if problems != ["ok"]:
        raise BackupError(f"{path} failed SQLite's integrity check: {'; '.join(problems[:3])}.")


def copy_database(source: Path, target: Path, pages: int = BACKUP_PAGES_PER_STEP) -> None:
    """Copy ``source`` into the new file ``target`` by SQLite's online backup, as one
    committed state; leave it a plain (not WAL) file, flushed to disk."""
    stall = bool(os.environ.get(STALL_ENV))
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None)
    try:
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            # The read snapshot every step copies from, held until the last one.
            src.execute("BEGIN")
            src.execute("SELECT count(*) FROM sqlite_schema").fetchone()
            src.backup(dst, pages=1 if stall else pages, progress=_stall if stall else None)
            src.execute("COMMIT")
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    _fsync(target)


def _stall(status: int, remaining: int, total: int) -> None:
    log.warning(
        "backup stalled in the middle, %d of %d pages left (%s)", remaining, total, STALL_ENV
    )
    threading.Event().wait()


def make_backup(db_path: Path, folder: Path, now: datetime) -> BackupFile:
    """Copy the database into ``folder`` as ``<stem>-<now>Z.db``, checked; or raise
    :class:`BackupError` and leave no file behind."""
    final = folder / backup_name(db_path.stem, now)
    partial = folder / f".{final.name}{PARTIAL_SUFFIX}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _remove(partial)
        copy_database(db_path, partial)
        check_copy(partial)
        os.replace(partial, final)
        _fsync_folder(folder)
    except (OSError, sqlite3.Error, BackupError) as exc:
        with contextlib.suppress(OSError):  # the first error is the one to tell
            _remove(partial)
        if isinstance(exc, BackupError):
            raise
        raise BackupError(f"the backup into {folder} failed: {exc}") from exc
    return BackupFile(final, now)


def prune(folder: Path, stem: str, now: datetime, retention: Retention) -> list[Path]:
    """Delete the backups ``retention`` does not keep; the deleted files."""
    backups = list_backups(folder, stem)
    kept = retention.keep([backup.taken_at for backup in backups], now)
    removed = []
    for backup in backups:
        if backup.taken_at not in kept:
            backup.path.unlink(missing_ok=True)
            removed.append(backup.path)
    return removed


@dataclass(frozen=True, slots=True)
class Restored:
    source: Path
    db_path: Path
    aside: Path | None  # where the database it replaced now is


def restore(source: Path, db_path: Path, now: datetime) -> Restored:
    """Put the backup ``source`` in place of ``db_path``; the database there is kept
    aside under a name with ``now``, not deleted. Raise :class:`BackupError` if ``source``
    is not a sound Passline database or a backend is running on ``db_path``."""
    source = source.resolve()
    if source == db_path.resolve():
        raise BackupError(f"{source} is the database itself; give a backup file to restore.")
    check_copy(source)
    lock = LockFile(db_path)
    if not lock.acquire(exclusive=True):
        raise BackupError(
            f"a Passline backend is running on {db_path}. Stop it (close the dashboard, "
            "or stop the --headless process), then run --restore again."
        )
    with lock:
        partial = db_path.with_name(f".{db_path.name}.restoring{PARTIAL_SUFFIX}")
        try:
            _remove(partial)
            copy_database(source, partial)
            aside = _move_aside(db_path, now)
            os.replace(partial, db_path)
            _fsync_folder(db_path.parent)
        except (OSError, sqlite3.Error) as exc:
            with contextlib.suppress(OSError):
                _remove(partial)
            raise BackupError(f"restoring {source} into {db_path} failed: {exc}") from exc
    return Restored(source, db_path, aside)


def _move_aside(db_path: Path, now: datetime) -> Path | None:
    """Rename the database and its WAL (which may hold committed transactions after a
    crash) to ``<stem>-before-restore-<now>Z<suffix>``; drop its shared-memory file."""
    if not db_path.exists():
        return None
    stamp = now.astimezone(UTC).strftime(_STAMP)
    aside = db_path.with_name(f"{db_path.stem}-before-restore-{stamp}Z{db_path.suffix}")
    wal = db_path.with_name(db_path.name + "-wal")
    if wal.exists():
        os.replace(wal, aside.with_name(aside.name + "-wal"))
    os.replace(db_path, aside)
    _remove(db_path.with_name(db_path.name + "-shm"))
    return aside


def _remove(path: Path) -> None:
    for extra in ("", "-journal", "-wal", "-shm"):
        path.with_name(path.name + extra).unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    with path.open("rb+") as file:
        os.fsync(file.fileno())


def _fsync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX; Windows cannot open a folder this way)."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
