"""The SQLite file: opening and checking it, migrations, one writer, a few readers.

All writes go through one connection as whole units of work: a unit is a plain
function of a :class:`Tx`. A transaction's units run on the loop's thread, and so
does its ``BEGIN`` while the write lock is free, and its ``COMMIT`` while the disk is
quick (backend/commit_place.py); what waits (a slow disk's ``COMMIT``, a ``BEGIN``
for another program's lock, the WAL's checkpoints) runs on the connection's thread.
Units that queue up while a commit is in flight are committed together in the next
transaction (group commit), and one ``fsync`` acknowledges them all. One unit's
failure undoes only that unit: should one fail, all are undone and the batch runs
again with each unit inside its own savepoint. Units are plain functions of the
database, so running one again after an undo is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import logging
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from backend._aiosqlite import on_thread, sqlite_connection
from backend.commit_place import CommitPlace
from backend.errors import StorageError, StorageFull
from backend.lockfile import LockFile
from backend.settings import MAX_UNITS_PER_COMMIT
from backend.sql_blocks import migrations

log = logging.getLogger(__name__)

T = TypeVar("T")

APPLICATION_ID = 0x50415353  # "PASS": marks a file as a Passline database
READERS = 2
BUSY_TIMEOUT_MS = 5000  # how long to wait for a lock another program holds
_SQLITE_HEADER = b"SQLite format 3\x00"
LOW_SPACE_BYTES = 1 << 20  # an I/O error with less free than this: the disk is full


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(slots=True)
class Tx:
    """One unit of work's view of the open write transaction."""

    conn: sqlite3.Connection
    subscribers: Mapping[str, Sequence[str]]  # event type -> handler names
    now: datetime = field(default_factory=utc_now)
    facts: list[object] = field(default_factory=list)  # published after commit

    def execute(self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def one(self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.conn.execute(sql, params).fetchone()
        return row

    def scalar(self, sql: str, params: Mapping[str, Any] | Sequence[Any] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]


async def _hop(connection: aiosqlite.Connection, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn`` on ``connection``'s thread in one hop.

    aiosqlite's public methods cost one hop per statement; a read or a migration must
    run whole on the database thread (backend/_aiosqlite.py).
    """
    return await on_thread(connection, fn, *args)


class Database:
    """The Passline database file, opened with :meth:`open` and closed with :meth:`close`."""

    def __init__(
        self,
        path: Path,
        *,
        subscribers: Mapping[str, Sequence[str]],
        on_commit: Callable[[list[object]], None] = lambda facts: None,
    ) -> None:
        self.path = path
        self.subscribers = subscribers
        self.on_commit = on_commit
        self.created = False  # True when open() made a new database
        self._writer: aiosqlite.Connection | None = None
        self._readers: list[aiosqlite.Connection] = []
        self._next_reader = itertools.cycle(range(READERS))
        self._local: sqlite3.Connection | None = None  # the loop thread's, for read_now
        self._queue: list[tuple[Callable[[Tx], Any], asyncio.Future[Any]]] = []
        self._wake = asyncio.Event()
        self._committer: asyncio.Task[None] | None = None
        self._closing = False
        self._lock = LockFile(path)  # held while open: --restore waits for us to stop
        self.commits = 0  # transactions that wrote something, since open
        self.commit_place = CommitPlace()
        self._full = False  # the last commit was refused for a full disk
        self._checked = False

    # -- opening -------------------------------------------------------------------

    def check(self) -> None:
        """Refuse a file that is not a usable Passline database, before anything is written.

        Only reads: the file is looked at read-only, so a file that is refused keeps its
        bytes, its journal mode and its change counter. A missing or empty file passes
        (:meth:`open` makes a new database of it).
        """
        _check_file(self.path)
        self._checked = True

    async def open(self) -> None:
        """Open, check and migrate the file; raise :class:`StorageError` if it is unusable."""
        if not self._checked:
            self.check()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self._lock.acquire(exclusive=False):
            raise StorageError(
                f"{self.path} is being restored from a backup (passline --restore). "
                "Start Passline again once the restore has finished."
            )
        # Units of work run on the loop's thread, what waits on this connection's own
        # (Database._commit).
        self._writer = await aiosqlite.connect(
            self.path, isolation_level=None, check_same_thread=False
        )
        try:
            await _hop(self._writer, self._prepare_writer)
        except BaseException:
            await self._writer.close()
            self._writer = None
            raise
        for _ in range(READERS):
            reader = await aiosqlite.connect(self.path, isolation_level=None)
            await _hop(reader, _prepare_reader, sqlite_connection(reader))
            self._readers.append(reader)
        self._local = sqlite3.connect(self.path, isolation_level=None)
        _prepare_reader(self._local)
        self._committer = asyncio.create_task(self._commit_loop(), name="passline-committer")

    def _prepare_writer(self) -> None:
        assert self._writer is not None
        conn = sqlite_connection(self._writer)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        try:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            if disk_full(exc, self.path.parent):
                raise StorageFull() from exc
            raise StorageError(f"{self.path}: cannot switch to WAL mode ({exc}).") from exc
        if mode != "wal":
            raise StorageError(f"{self.path}: cannot switch to WAL mode (got {mode!r}).")
        conn.execute("PRAGMA synchronous = FULL")
        # The committer checkpoints, off the loop (backend/commit_place.py).
        conn.execute("PRAGMA wal_autocheckpoint = 0")
        conn.execute("PRAGMA foreign_keys = ON")
        self._migrate(conn)
        # From now on a BEGIN that would wait says so at once (Database._commit).
        conn.execute("PRAGMA busy_timeout = 0")

    def _migrate(self, conn: sqlite3.Connection) -> None:
        # check() refused what is not Passline's, or is newer than this Passline.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        scripts = migrations()
        self.created = version == 0
        for number, script in scripts[version:]:
            try:
                # The script sets user_version itself, inside its transaction.
                conn.executescript("BEGIN IMMEDIATE;\n" + script + "\nCOMMIT;")
            except sqlite3.Error as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if disk_full(exc, self.path.parent):
                    raise StorageFull() from exc
                raise StorageError(f"migration {number} failed on {self.path}: {exc}") from exc
            if conn.execute("PRAGMA user_version").fetchone()[0] != number:
                raise StorageError(f"migration {number} did not set user_version to {number}")
            log.info("migrated %s to schema %d", self.path, number)

    # -- writing -------------------------------------------------------------------

    async def write(self, unit: Callable[[Tx], T]) -> T:
        """Run ``unit`` in a write transaction; return once it is durably committed."""
        if self._committer is None or self._closing:
            raise RuntimeError("the database is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.append((unit, future))
        self._wake.set()
        return await future

    async def _commit_loop(self) -> None:
        assert self._writer is not None
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = self._queue[:MAX_UNITS_PER_COMMIT]
                del self._queue[:MAX_UNITS_PER_COMMIT]
                # A caller that gave up before its unit ran gets nothing written.
                batch = [(unit, fut) for unit, fut in batch if not fut.done()]
                if batch:
                    await self._commit(batch)
                if self.commit_place.checkpoint_due():
                    await self._checkpoint()
            if self._closing:
                return

    async def _commit(self, batch: list[tuple[Callable[[Tx], Any], asyncio.Future[Any]]]) -> None:
        assert self._writer is not None
        units = [unit for unit, _ in batch]
        conn = sqlite_connection(self._writer)
        try:
            # The units run on the loop's thread: on the writer's, they waited for the
            # GIL after every statement while the loop was busy. What may wait runs on
            # the writer's thread, and the loop goes on meanwhile: the COMMIT when the
            # disk is slow, and BEGIN when another program holds the write lock.
            if not _begin_at_once(conn):
                await _hop(self._writer, _begin_waiting, conn)
            outcomes, facts = self._run_units(conn, units)
            written = any(ok for ok, _ in outcomes)
            await self._finish(conn, written=written)
            self.commits += written
        except Exception as failure:  # the transaction as a whole failed: nothing was written
            exc = self._batch_failed(failure, len(units))
            if conn.in_transaction:  # a COMMIT that failed leaves its transaction open
                with contextlib.suppress(Exception):  # then the next BEGIN says what is wrong
                    await _hop(self._writer, _end, conn, "ROLLBACK")
            for _, fut in batch:
                if not fut.done():
                    fut.set_exception(exc)
            return
        if self._full:
            log.warning("the disk of %s has room again: writes are accepted", self.path)
            self._full = False
        # The units' callers resume first (an answer, a handler's next step), then
        # what the commit wakes (every screen's subscriptions): in that order on the loop.
        for (_, fut), (ok, value) in zip(batch, outcomes, strict=True):
            if fut.done():
                continue
            if ok:
                fut.set_result(value)
            else:
                fut.set_exception(value)
        try:
            self.on_commit(facts)
        except Exception:
            log.exception("a commit listener failed")

    async def _finish(self, conn: sqlite3.Connection, *, written: bool) -> None:
        """COMMIT where the disk's pace says (CommitPlace); ROLLBACK if nothing was written."""
        assert self._writer is not None
        if not written:
            _end(conn, "ROLLBACK")  # nothing to make durable: nothing to wait for
        elif self.commit_place.inline:
            self.commit_place.committed(_timed_end(conn, "COMMIT"))
        else:
            self.commit_place.committed(await _hop(self._writer, _timed_end, conn, "COMMIT"))

    async def _checkpoint(self) -> None:
        """Copy the WAL's committed pages into the database file, on the writer's thread;
        a passive checkpoint, which neither waits for readers nor stops them."""
        assert self._writer is not None
        try:
            await _hop(self._writer, _checkpoint_wal, sqlite_connection(self._writer))
        except sqlite3.Error as exc:
            # The WAL only grows until the next one succeeds; the writes are safe in it.
            log.warning("could not checkpoint %s: %s; trying again later", self.path, exc)

    def _batch_failed(self, exc: Exception, units: int) -> Exception:
        """Log why a batch failed; what its callers get: a full disk is an expected error."""
        if not disk_full(exc, self.path.parent):
            log.exception("commit of %d unit(s) failed", units, exc_info=exc)
            return exc
        # Said once, not at every refused write of a busy restaurant.
        if not self._full:
            log.warning("the disk of %s is full: writes are refused until there is room", self.path)
        self._full = True
        return StorageFull()

    def _run_units(
        self, conn: sqlite3.Connection, units: list[Callable[[Tx], Any]]
    ) -> tuple[list[tuple[bool, Any]], list[object]]:
        """In the open transaction: each unit's outcome, and the facts of those that
        did not fail.

        The units run first under one savepoint: one per unit costs two statements
        each. Units seldom fail; when one does, all are undone and run again, each
        under its own savepoint (a lone unit's failure is already its outcome).
        """
        try:
            conn.execute("SAVEPOINT batch")
            done = self._run_each(conn, units, savepoints=False)
            if done is None:
                conn.execute("ROLLBACK TO batch")
                done = self._run_each(conn, units, savepoints=True)
                assert done is not None
            conn.execute("RELEASE batch")
        except BaseException:
            # SQLite may have rolled the whole transaction back itself (a full disk can).
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return done

    def _run_each(
        self, conn: sqlite3.Connection, units: list[Callable[[Tx], Any]], *, savepoints: bool
    ) -> tuple[list[tuple[bool, Any]], list[object]] | None:
        """Run ``units`` one after the other. Without ``savepoints``, stop at the first
        that fails: None, unless it was the only unit (its failure is then the outcome;
        what it wrote is undone by the caller's ROLLBACK, as nothing else is kept)."""
        outcomes: list[tuple[bool, Any]] = []
        facts: list[object] = []
        for unit in units:
            tx = Tx(conn, self.subscribers)
            if savepoints:
                conn.execute("SAVEPOINT unit")
            try:
                value = unit(tx)
            except Exception as exc:
                if disk_full(exc, self.path.parent):
                    # The undo below may fail as well; the batch fails as a whole.
                    raise
                if not savepoints:
                    return ([(False, exc)], []) if len(units) == 1 else None
                conn.execute("ROLLBACK TO unit")
                conn.execute("RELEASE unit")
                outcomes.append((False, exc))
            else:
                if savepoints:
                    conn.execute("RELEASE unit")
                outcomes.append((True, value))
                facts.extend(tx.facts)
        return outcomes, facts

    # -- reading -------------------------------------------------------------------

    async def read(self, reader: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``reader`` on a read connection, in one consistent snapshot."""
        if not self._readers:
            raise RuntimeError("the database is not open")
        connection = self._readers[next(self._next_reader)]
        return await _hop(connection, _run_read, sqlite_connection(connection), reader)

    def read_now(self, reader: Callable[[sqlite3.Connection], T]) -> T:
        """Run a small ``reader`` (a few rows by key) on the calling loop's thread.

        It blocks the loop while it runs, which for such a read is less than a hop to
        a reader thread costs: the hop wakes a thread that then takes turns with the
        loop for the GIL at every statement. Anything that may scan: :meth:`read`.
        """
        if self._local is None:
            raise RuntimeError("the database is not open")
        return _run_read(self._local, reader)

    # -- closing -------------------------------------------------------------------

    async def close(self) -> None:
        """Commit what is queued, then close every connection."""
        self._closing = True
        if self._committer is not None:
            self._wake.set()
            await self._committer
            self._committer = None
        for reader in self._readers:
            await reader.close()
        self._readers.clear()
        if self._local is not None:
            self._local.close()
            self._local = None
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        self._lock.release()


def disk_full(exc: BaseException, folder: Path | None = None) -> bool:
    """Whether ``exc`` says the disk (or the database's size limit) is full."""
    if isinstance(exc, sqlite3.Error):
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code == sqlite3.SQLITE_FULL:
            return True
        # A full disk that refused the -shm file's growth is reported as an I/O error.
        if code == sqlite3.SQLITE_IOERR and folder is not None:
            try:
                return shutil.disk_usage(folder).free < LOW_SPACE_BYTES
            except OSError:
                return False
        return False
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


def _end(conn: sqlite3.Connection, statement: str) -> None:
    conn.execute(statement)


def _checkpoint_wal(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _timed_end(conn: sqlite3.Connection, statement: str) -> float:
    """Run ``statement``; the seconds it took."""
    start = time.perf_counter()
    conn.execute(statement)
    return time.perf_counter() - start


def _begin_at_once(conn: sqlite3.Connection) -> bool:
    """BEGIN IMMEDIATE if the write lock is free (the writer's busy timeout is 0)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if exc.sqlite_errorcode == sqlite3.SQLITE_BUSY:
            return False
        raise
    return True


def _begin_waiting(conn: sqlite3.Connection) -> None:
    """BEGIN IMMEDIATE, waiting up to :data:`BUSY_TIMEOUT_MS` for the write lock."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    try:
        conn.execute("BEGIN IMMEDIATE")
    finally:
        conn.execute("PRAGMA busy_timeout = 0")


def _prepare_reader(conn: sqlite3.Connection) -> None:
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only = ON")


def _run_read(conn: sqlite3.Connection, reader: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN")
    try:
        return reader(conn)
    finally:
        conn.execute("COMMIT")


def _check_file(path: Path) -> None:
    """Raise :class:`StorageError` unless ``path`` is missing, empty, or a sound
    Passline database this Passline can open; write nothing, whatever the file is."""
    if not path.exists() or (path.is_file() and path.stat().st_size == 0):
        return
    if path.is_dir():
        raise StorageError(f"{path} is a folder; --db needs a file path.")
    with path.open("rb") as handle:
        header = handle.read(_PAGE_ONE_HEAD)
    if header[: len(_SQLITE_HEADER)] != _SQLITE_HEADER:
        raise StorageError(
            f"{path} is not a SQLite database. Passline left it untouched: "
            "choose another --db path."
        )
    # Any SQLite connection may leave a file beside another program's database (a
    # -shm beside its -wal): what the file's own header says is read first.
    if len(header) == _PAGE_ONE_HEAD and _foreign(*_marks(header)):
        raise StorageError(_NOT_OURS.format(path=path))
    try:
        version, app_id, tables, ok = _inspect(path, marked=_marks(header)[1] == APPLICATION_ID)
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"{path} is damaged or is not a SQLite database ({exc}). "
            "Passline left it untouched: restore a backup or choose another --db path."
        ) from exc
    if _foreign(version, app_id, tables):
        raise StorageError(_NOT_OURS.format(path=path))
    known = len(migrations())
    if version > known:
        raise StorageError(
            f"{path} was written by a newer Passline (schema {version}, this one "
            f"knows {known}). Upgrade Passline to open it."
        )
    if ok != "ok":
        raise StorageError(
            f"{path} failed SQLite's integrity check ({ok}). Passline left it "
            "untouched: restore a backup or choose another --db path."
        )


_NOT_OURS = (
    "{path} is a SQLite database but not a Passline one. Passline left it untouched: "
    "choose another --db path."
)
# The file header (100 bytes) and the head of page 1's b-tree, the schema's root.
_PAGE_ONE_HEAD = 108
_LEAF_TABLE_PAGE = 0x0D
_INTERIOR_TABLE_PAGE = 0x05


def _marks(header: bytes) -> tuple[int, int, bool]:
    """user_version, application_id and whether the schema has entries, as the main
    file says (a -wal may hold later transactions, not yet copied back). A first page
    that is no table page says nothing of tables: SQLite then says what is wrong."""
    version = int.from_bytes(header[60:64], "big")
    app_id = int.from_bytes(header[68:72], "big")
    # A leaf root holds the schema's entries itself; an interior one has children.
    kind = header[100]
    cells = int.from_bytes(header[103:105], "big")
    tables = kind == _INTERIOR_TABLE_PAGE or (kind == _LEAF_TABLE_PAGE and cells > 0)
    return version, app_id, tables


def _foreign(version: int, app_id: int, tables: bool | int) -> bool:
    """Every Passline database has had its application_id since migration 1, set in
    the transaction that made its first tables; a file with neither version nor tables
    is as good as empty and becomes one."""
    return (
        app_id not in (0, APPLICATION_ID)
        or bool(version and app_id != APPLICATION_ID)
        or bool(version == 0 and tables)
    )


def _inspect(path: Path, *, marked: bool) -> tuple[int, int, int, str]:
    """``path``'s user_version, application_id, number of schema entries and integrity,
    read without a write: not even a -wal or -shm file is made.

    Without a -wal file the main file is the whole database, and ``immutable`` reads
    it with no locks and no side files. With one, the read-only connection reads the
    WAL as well, and makes a -shm beside it if there is none: only beside a file
    ``marked`` as Passline's in its header. Another file (its header still that of an
    empty database, its tables only in the WAL) is read from a copy elsewhere.
    """
    wal = path.with_name(path.name + "-wal")
    if not wal.exists():
        return _read_marks(path, "immutable=1")
    if marked:
        return _read_marks(path, "mode=ro")
    with tempfile.TemporaryDirectory(prefix="passline-check-") as folder:
        copy = Path(folder) / path.name
        shutil.copyfile(path, copy)
        shutil.copyfile(wal, copy.with_name(wal.name))
        return _read_marks(copy, "mode=ro")


def _read_marks(path: Path, mode: str) -> tuple[int, int, int, str]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?{mode}", uri=True)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
        # Another program's file is not ours to check, however big.
        ok = "ok" if _foreign(version, app_id, tables) else _integrity(conn)
    finally:
        conn.close()
    return version, app_id, tables, ok


def _integrity(conn: sqlite3.Connection) -> str:
    result: str = conn.execute("PRAGMA integrity_check").fetchone()[0]
    return result
