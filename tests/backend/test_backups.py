"""Backups on a running backend: online, checked, at shutdown; ``backupStatus``; ``--restore``."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

import main
from backend.backups import BackupError, check_copy, list_backups, make_backup
from backend.database import Tx
from backend.embedded import Backend
from backend.sql_blocks import SQL
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import GraphQLHTTP

BALLAST_BYTES = 48 * 1024 * 1024  # makes a backup take long enough to place orders during it


def wait_for_backup(backend: Backend, after: datetime | None = None) -> datetime:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        made = backend.backups.status.last_good_at
        if made is not None and (after is None or made > after):
            return made
        time.sleep(0.01)
    raise AssertionError(f"no backup was made: {backend.backups.status}")


def orders_in(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        return [row[0] for row in conn.execute("SELECT number FROM orders ORDER BY number")]


def backups_of(folder: Path) -> list[Path]:
    return [backup.path for backup in list_backups(folder, "passline")]


async def test_a_backup_is_made_while_orders_are_answered(
    backend: Backend, staff: GraphQLHTTP, tmp_path: Path
) -> None:
    wait_for_backup(backend)  # the one at start, on a database never backed up

    def ballast(tx: Tx) -> None:
        tx.execute(SQL.put_meta, {"key": "ballast", "value": "x" * BALLAST_BYTES})

    await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(backend.db.write(ballast), backend.loop)
    )
    for _ in range(3):
        await staff.place(channel="COUNTER")
    answered: list[tuple[float, float]] = []  # each order's request: sent, answered
    under_way = asyncio.Event()

    async def keep_ordering(stop: asyncio.Event) -> None:
        while not stop.is_set():
            sent = time.monotonic()
            await staff.place(channel="COUNTER")
            answered.append((sent, time.monotonic()))
            under_way.set()

    stop = asyncio.Event()
    ordering = asyncio.create_task(keep_ordering(stop))
    await under_way.wait()
    began = time.monotonic()
    backup = await asyncio.wrap_future(
        asyncio.run_coroutine_threadsafe(backend.backups.back_up(), backend.loop)
    )
    ended = time.monotonic()
    stop.set()
    await ordering
    assert backup is not None, backend.backups.status
    during = [1 for sent, done in answered if began < sent and done < ended]
    assert len(during) >= 3, f"{len(during)} orders answered during a {ended - began:.2f} s backup"
    check_copy(backup.path)
    copied = orders_in(backup.path)
    assert copied[:3] == [1, 2, 3] and copied == list(range(1, len(copied) + 1))
    with sqlite3.connect(backup.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_a_clean_shutdown_makes_a_backup_with_the_last_orders(db_path: Path) -> None:
    with running(db_path) as backend:
        wait_for_backup(backend)
        place(backend, 2)
    assert orders_in(backups_of(db_path.parent / "backups")[-1]) == [1, 2]


def test_the_next_start_removes_what_a_killed_backup_left(tmp_path: Path) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    leftovers = [
        folder / ".passline-20261206-010000Z.db.partial",
        folder / ".passline-20261206-010000Z.db.partial-journal",
    ]
    for path in leftovers:
        path.write_bytes(b"half a copy")
    mine = folder / "notes.txt"
    mine.write_text("not Passline's")
    with running(tmp_path / "passline.db", backup_dir=folder) as backend:
        wait_for_backup(backend)
    assert not any(path.exists() for path in leftovers)
    assert mine.read_text() == "not Passline's"
    assert len(backups_of(folder)) >= 1


async def test_backup_status_is_for_staff(
    backend: Backend, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    made = wait_for_backup(backend)
    status = (await staff.data("{ backupStatus { lastGoodAt folder lastError } }"))["backupStatus"]
    assert datetime.fromisoformat(status["lastGoodAt"]) == made
    assert status["folder"] == str(backend.settings.backup_folder)
    assert status["lastError"] is None
    error = await public.error("{ backupStatus { lastGoodAt } }")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


def place(backend: Backend, count: int) -> None:
    import httpx

    with httpx.Client(headers={"Authorization": f"Bearer {STAFF_TOKEN}"}) as http:
        for _ in range(count):
            query = (
                "mutation { placeOrder(input: {channel: COUNTER, fulfillment: DINE_IN, table: 4,"
                ' items: [{menuItemId: "burger", quantity: 1}]}) { order { number } } }'
            )
            assert "errors" not in http.post(backend.url, json={"query": query}).json()


# -- --restore ---------------------------------------------------------------------------


def restore(backup: Path, db_path: Path) -> int:
    return main.main(["--restore", str(backup), "--db", str(db_path)])


def backup_now(backend: Backend, tmp_path: Path) -> Path:
    """A backup made now, copied out of the folder: the shutdown backup, in the same
    hour, makes it one the retention policy no longer keeps."""
    made = backend.call(backend.backups.back_up())
    assert made is not None, backend.backups.status
    saved = tmp_path / made.path.name
    shutil.copy(made.path, saved)
    return saved


def test_restore_puts_the_data_back_as_it_was_at_the_backup(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running(db_path) as backend:
        place(backend, 2)
        made = backup_now(backend, tmp_path)
        place(backend, 3)
    assert orders_in(db_path) == [1, 2, 3, 4, 5]
    assert restore(made, db_path) == 0
    out = capsys.readouterr().out
    aside = next(db_path.parent.glob("passline-before-restore-*Z.db"))
    assert f"restored {made} into {db_path}" in out and str(aside) in out
    assert orders_in(aside) == [1, 2, 3, 4, 5]  # kept, not deleted
    with running(db_path) as backend:
        place(backend, 1)
    assert orders_in(db_path) == [1, 2, 3]


def test_restore_is_refused_while_a_backend_runs(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running(db_path) as backend:
        place(backend, 1)
        made = backup_now(backend, tmp_path)
        place(backend, 1)
        assert restore(made, db_path) == 2
        err = capsys.readouterr().err
        assert "a Passline backend is running on" in err and "Nothing was changed" in err
        place(backend, 1)
    assert orders_in(db_path) == [1, 2, 3]
    assert not list(db_path.parent.glob("*before-restore*"))


def test_a_backend_does_not_start_while_a_restore_holds_the_database(db_path: Path) -> None:
    from backend.errors import StorageError
    from backend.lockfile import LockFile

    with LockFile(db_path) as lock:
        assert lock.acquire(exclusive=True)
        with pytest.raises(StorageError, match="being restored"), running(db_path):
            pass


def _foreign(path: Path) -> None:
    path.unlink()
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    data[3 * page : 4 * page] = b"\xa5" * page  # a page of the tables in the middle
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("spoil", "said"),
    [
        (lambda path: path.write_text("shopping list\n"), "not a SQLite database"),
        (_foreign, "not a Passline one"),
        (_corrupt, ""),
        (lambda path: path.unlink(), "does not exist"),
    ],
    ids=["text file", "another program's database", "corrupt", "missing"],
)
def test_restore_refuses_a_file_that_is_not_a_sound_passline_backup(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], spoil: object, said: str
) -> None:
    with running(db_path) as backend:
        place(backend, 2)
        made = backup_now(backend, tmp_path)
    bad = tmp_path / "bad.db"
    bad.write_bytes(made.read_bytes())
    spoil(bad)  # type: ignore[operator]
    before = db_path.read_bytes()
    assert restore(bad, db_path) == 2
    err = capsys.readouterr().err
    assert err.startswith("passline: cannot restore: ") and said in err, err
    assert "Nothing was changed" in err
    assert db_path.read_bytes() == before
    assert not list(db_path.parent.glob("*before-restore*"))
    if said == "":  # the corrupt copy: SQLite's checks said what is wrong
        with pytest.raises(BackupError, match=r"integrity check|damaged"):
            check_copy(bad)


def test_the_next_backup_is_due_an_interval_after_the_last_good_one(db_path: Path) -> None:
    with running(db_path) as backend:
        made = wait_for_backup(backend)  # none before: made at start
        due = backend.backups._due_in()
        assert backend.backups.interval - 5 < due <= backend.backups.interval
    # Started again within the hour: the copy from the last run counts, none is made.
    with running(db_path) as backend:
        assert backend.backups.status.last_good_at is not None
        assert backend.backups.status.last_good_at >= made
        assert backend.backups._due_in() > backend.backups.interval - 5


def test_a_backup_that_fails_its_integrity_check_leaves_nothing_behind(
    db_path: Path, tmp_path: Path
) -> None:
    """The online copy takes pages as they are: a database damaged in the middle gives
    a damaged copy, which the check refuses; neither it nor its partial file stays."""
    with running(db_path) as backend:
        place(backend, 2)
    _corrupt(db_path)
    folder = tmp_path / "checked"  # not the shutdown's own backup folder
    with pytest.raises(BackupError, match=r"integrity check|damaged"):
        make_backup(db_path, folder, datetime.now(UTC))
    assert list(folder.iterdir()) == []
    assert list_backups(folder, db_path.stem) == []
