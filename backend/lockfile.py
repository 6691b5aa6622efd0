"""The lock file beside the database: whether a backend is running on it.

A backend holds a shared lock on ``<database>.lock`` while it has the database open;
``--restore`` takes it exclusively, so that it never replaces a file a backend is
using, and no backend starts while a restore runs. The operating system drops the
lock when its process ends, by SIGKILL too, so a lock file left behind means nothing:
only a lock held by a live process counts. (SQLite's own locks cannot tell: in WAL mode
an idle backend holds none that another connection would notice.)

On Windows, whose file locks are exclusive only, one backend at a time may run on a
database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Self


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


class LockFile:
    """A non-blocking lock on ``<db_path>.lock``: :meth:`acquire`, then :meth:`release`."""

    def __init__(self, db_path: Path) -> None:
        self.path = lock_path(db_path)
        self._fd: int | None = None

    def acquire(self, *, exclusive: bool) -> bool:
        """Take the lock if nobody holds it in a conflicting way; False if somebody does."""
        assert self._fd is None, "the lock is already held"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            taken = _lock(fd, exclusive=exclusive)
        except BaseException:
            os.close(fd)
            raise
        if not taken:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


if sys.platform == "win32":
    import msvcrt

    def _lock(fd: int, *, exclusive: bool) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _lock(fd: int, *, exclusive: bool) -> bool:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
