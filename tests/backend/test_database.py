"""The SQLite file: migrations, refusal of foreign or damaged files, atomic units of work."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path

import pytest

from backend import menu, orders
from backend._aiosqlite import sqlite_connection
from backend.auth import STAFF
from backend.commit_place import CommitPlace
from backend.database import APPLICATION_ID, Database, Tx
from backend.errors import BadUserInput, StorageError, StorageFull
from backend.events import EventRecord, LogEntry
from backend.idempotency import IdempotencyKey
from backend.settings import resource_path
from backend.sql_blocks import SQL, migrations
from backend.states import Channel, Fulfillment

# The store fans events out to whatever handlers subscribe; these tests name one.
SUBSCRIBERS = {"order_placed": ("validate_order",)}

REQUEST = orders.OrderRequest(
    lines=(orders.LineRequest("margherita", 2), orders.LineRequest("cola", 1, "no ice")),
    channel=Channel.COUNTER,
    fulfillment=Fulfillment.TAKEAWAY,
)


def seed(tx: Tx) -> int:
    return menu.seed(tx, resource_path("menu.json"))


@pytest.fixture
async def db(db_path: Path) -> AsyncIterator[Database]:
    database = Database(db_path, subscribers=SUBSCRIBERS)
    await database.open()
    await database.write(seed)
    yield database
    await database.close()


@pytest.fixture
async def publishing(db_path: Path) -> AsyncIterator[tuple[Database, list[object]]]:
    """A seeded database, and the facts its commits publish, in order."""
    published: list[object] = []
    database = Database(db_path, subscribers=SUBSCRIBERS, on_commit=published.extend)
    await database.open()
    await database.write(seed)
    yield database, published
    await database.close()


def bad(tx: Tx) -> None:
    """A unit that writes an order, then refuses (as a unit with bad input does)."""
    orders.place_order(tx, REQUEST)
    raise BadUserInput("no")


def count(path: Path, table: str) -> int:
    with sqlite3.connect(path) as conn:
        value: int = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return value


def names(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


def pragma(path: Path, name: str) -> object:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"PRAGMA {name}").fetchone()[0]


async def test_new_database_is_migrated_in_wal_with_the_seed_menu(db: Database) -> None:
    assert db.created
    assert pragma(db.path, "user_version") == len(migrations())
    assert pragma(db.path, "application_id") == APPLICATION_ID
    assert pragma(db.path, "journal_mode") == "wal"
    items = await db.read(menu.list_menu)
    assert len(items) >= 30
    assert len({item.category for item in items}) >= 5


async def test_reopening_keeps_data_and_does_not_migrate_again(db_path: Path) -> None:
    first = Database(db_path, subscribers=SUBSCRIBERS)
    await first.open()
    await first.write(seed)
    placed = await first.write(lambda tx: orders.place_order(tx, REQUEST))
    await first.close()
    again = Database(db_path, subscribers=SUBSCRIBERS)
    await again.open()
    try:
        assert not again.created
        assert await again.write(seed) == 0  # the menu is not seeded twice
        found = await again.read(lambda conn: orders.load_order(conn, placed.id))
        assert found == placed
    finally:
        await again.close()


async def test_writer_runs_with_full_sync_and_foreign_keys(db: Database) -> None:
    settings = await db.write(
        lambda tx: (tx.scalar("PRAGMA synchronous"), tx.scalar("PRAGMA foreign_keys"))
    )
    assert settings == (2, 1)  # FULL, ON


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"order list\n1 x pizza\n", "not a SQLite database"),
        (b"SQLite format 3\x00" + b"\x00" * 200, "damaged"),
    ],
)
async def test_foreign_or_damaged_file_is_refused_and_left_alone(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "passline.db"
    path.write_bytes(content)
    database = Database(path, subscribers=SUBSCRIBERS)
    with pytest.raises(StorageError, match=message):
        await database.open()
    await database.close()
    assert path.read_bytes() == content


@pytest.mark.parametrize("journal_mode", ["delete", "wal"])
async def test_another_programs_sqlite_database_is_refused_without_a_write(
    tmp_path: Path, journal_mode: str
) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA journal_mode = {journal_mode}")
    with conn:
        conn.execute("CREATE TABLE recipes (name TEXT)")
    conn.close()
    before = path.read_bytes()
    database = Database(path, subscribers=SUBSCRIBERS)
    with pytest.raises(StorageError, match="not a Passline one"):
        await database.open()
    await database.close()
    assert path.read_bytes() == before  # its journal mode and change counter with it
    assert names(tmp_path) == ["other.db"]  # no -wal or -shm left beside it


async def test_a_passline_database_whose_schema_is_only_in_its_wal_still_opens(
    tmp_path: Path,
) -> None:
    """Killed before its first checkpoint, a database's main file still has the header
    of an empty one and its -wal all of Passline's schema: the check reads it (from a
    copy elsewhere, as it would another program's) and lets it open."""
    running = tmp_path / "running.db"
    conn = sqlite3.connect(running, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA wal_autocheckpoint = 0")
    for _, script in migrations():
        conn.executescript("BEGIN IMMEDIATE;\n" + script + "\nCOMMIT;")
    path = tmp_path / "killed" / "passline.db"
    path.parent.mkdir()
    for suffix in ("", "-wal"):
        path.with_name(path.name + suffix).write_bytes(
            running.with_name(running.name + suffix).read_bytes()
        )
    conn.close()
    assert path.read_bytes()[60:72] == bytes(12)  # user_version and application_id: 0
    database = Database(path, subscribers=SUBSCRIBERS)
    await database.open()
    await database.close()
    assert pragma(path, "user_version") == len(migrations())
    assert pragma(path, "application_id") == APPLICATION_ID


async def test_a_file_of_another_application_id_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA application_id = 42")
    conn.close()
    database = Database(path, subscribers=SUBSCRIBERS)
    with pytest.raises(StorageError, match="not a Passline one"):
        await database.open()
    await database.close()


async def test_a_newer_schema_is_refused(db_path: Path) -> None:
    database = Database(db_path, subscribers=SUBSCRIBERS)
    await database.open()
    await database.close()
    with sqlite3.connect(db_path) as conn:
        conn.execute("PRAGMA user_version = 99")
    database = Database(db_path, subscribers=SUBSCRIBERS)
    with pytest.raises(StorageError, match="newer Passline"):
        await database.open()
    await database.close()


async def test_failure_before_commit_leaves_no_order_event_or_delivery(db: Database) -> None:
    def place_then_fail(tx: Tx) -> None:
        orders.place_order(tx, REQUEST, IdempotencyKey.of(STAFF, "k-1"))
        assert tx.scalar("SELECT count(*) FROM orders") == 1  # the state write happened
        raise RuntimeError("injected failure before commit")

    with pytest.raises(RuntimeError, match="injected"):
        await db.write(place_then_fail)
    for table in ("orders", "order_items", "events", "deliveries", "event_log", "idempotency_keys"):
        assert count(db.path, table) == 0, table


async def test_a_failing_unit_does_not_spoil_the_units_committed_with_it(db: Database) -> None:
    results = await asyncio.gather(
        db.write(lambda tx: orders.place_order(tx, REQUEST)),
        db.write(bad),
        db.write(lambda tx: orders.place_order(tx, REQUEST)),
        return_exceptions=True,
    )
    assert isinstance(results[1], BadUserInput)
    assert [type(r) for r in (results[0], results[2])] == [orders.Order, orders.Order]
    assert count(db.path, "orders") == 2
    assert count(db.path, "events") == 2


async def test_commit_publishes_facts_only_for_committed_units(
    publishing: tuple[Database, list[object]],
) -> None:
    database, published = publishing
    with pytest.raises(BadUserInput):
        await database.write(bad)
    assert published == []
    order = await database.write(lambda tx: orders.place_order(tx, REQUEST))
    events = [fact for fact in published if isinstance(fact, EventRecord)]
    assert [event.order_id for event in events] == [order.id]
    assert [entry.event for entry in published if isinstance(entry, LogEntry)] == events


async def test_a_write_s_caller_resumes_before_what_its_commit_wakes(db_path: Path) -> None:
    """The answer to a write goes out ahead of the subscriptions its commit wakes: at a
    rush, placeOrder's answer waited for every screen's execution of the new order
    (5.3 ms from its commit, p50, against 2.7 ms now), and the customer's page opened
    that much later."""
    turns: list[str] = []

    def wake_readers(facts: list[object]) -> None:  # as a feed wakes its readers
        if facts:
            asyncio.get_running_loop().call_soon(turns.append, "a reader woken by the commit")

    database = Database(db_path, subscribers=SUBSCRIBERS, on_commit=wake_readers)
    await database.open()
    try:
        await database.write(seed)
        await database.write(lambda tx: orders.place_order(tx, REQUEST))
        turns.append("the write's caller")
        await asyncio.sleep(0)  # the reader's turn comes
        assert turns[-2:] == ["the write's caller", "a reader woken by the commit"]
    finally:
        await database.close()


async def test_units_run_on_the_loop_and_a_slow_disk_s_commit_waits_off_it(
    db: Database,
) -> None:
    """On the writer's thread, the units took turns with a busy loop for the GIL after
    every statement. A quick COMMIT runs on the loop too (a hop cost more); once the
    disk is slow, the COMMIT's wait for it would stall every request, so it moves to the
    writer's thread."""
    assert db._writer is not None
    statements: list[tuple[str, int]] = []
    sqlite_connection(db._writer).set_trace_callback(
        lambda sql: statements.append((sql.split()[0], threading.get_ident()))
    )
    loop_thread = threading.get_ident()
    db.commit_place.average = 0.0  # the disk has been quick
    await db.write(lambda tx: orders.place_order(tx, REQUEST))
    threads = {verb: thread for verb, thread in statements}
    assert {"BEGIN", "INSERT", "COMMIT"} <= threads.keys()
    assert threads["BEGIN"] == threads["INSERT"] == threads["COMMIT"] == loop_thread

    statements.clear()
    db.commit_place.average = 0.050  # commits took 50 ms lately: a slow disk
    await db.write(lambda tx: orders.place_order(tx, REQUEST))
    threads = {verb: thread for verb, thread in statements}
    assert threads["BEGIN"] == threads["INSERT"] == loop_thread
    assert threads["COMMIT"] != loop_thread
    assert count(db.path, "orders") == 2


async def test_the_committer_checkpoints_the_wal_so_it_does_not_grow(db: Database) -> None:
    """SQLite's own checkpoint (in the COMMIT that crossed 1,000 pages) is off; the
    committer's passive ones keep the WAL from growing with every write."""
    db.commit_place.checkpoint_seconds = 0.0  # after every commit
    wal = db.path.with_name(db.path.name + "-wal")
    blob = "x" * 400_000  # ~100 pages a unit

    def unit(tx: Tx, n: int) -> None:
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"blob{n % 2}", blob))

    for n in range(30):  # ~3,000 pages in all
        await db.write(partial(unit, n=n))
    assert wal.stat().st_size < 2_000_000  # two transactions' worth, not thirty
    db.commit_place.checkpoint_seconds = 3600.0
    for n in range(30):
        await db.write(partial(unit, n=n))
    assert wal.stat().st_size > 8_000_000  # without checkpoints, every write stays in it


def test_commits_move_off_the_loop_while_the_disk_is_slow_and_back_once_it_is_quick() -> None:
    place = CommitPlace()
    assert place.inline
    place.committed(0.0004)
    assert place.inline
    place.committed(0.030)  # one slow fsync
    assert not place.inline
    for _ in range(20):
        place.committed(0.0004)
    assert place.inline


def test_a_checkpoint_is_due_only_after_a_write_and_its_interval() -> None:
    place = CommitPlace(checkpoint_seconds=0.0)
    assert not place.checkpoint_due()  # nothing written yet
    place.committed(0.001)
    assert place.checkpoint_due()
    assert not place.checkpoint_due()  # done: nothing written since
    slow = CommitPlace(checkpoint_seconds=3600.0)
    slow.committed(0.001)
    assert not slow.checkpoint_due()


async def test_another_program_holding_the_write_lock_does_not_stall_the_loop(
    db: Database,
) -> None:
    """Then BEGIN waits for the lock on the writer's thread, and the write goes on after."""
    other = sqlite3.connect(db.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        write = asyncio.ensure_future(db.write(lambda tx: orders.place_order(tx, REQUEST)))
        ticks = 0
        while ticks < 20:  # the loop turns, and reads go on, while the write waits
            await asyncio.sleep(0.005)
            ticks += 1
            assert db.read_now(lambda conn: conn.execute("SELECT 1").fetchone()[0]) == 1
        assert not write.done()
    finally:
        other.execute("ROLLBACK")
        other.close()
    order = await write
    assert await db.read(lambda conn: orders.load_order(conn, order.id)) is not None


async def test_a_commit_that_fails_writes_nothing_and_the_next_commit_works(
    publishing: tuple[Database, list[object]],
) -> None:
    """A COMMIT can fail on its own (here a deferred foreign key; also a full disk)."""
    database, published = publishing

    def place_with_a_dangling_payment(tx: Tx) -> None:
        orders.place_order(tx, REQUEST)
        tx.execute("PRAGMA defer_foreign_keys = ON")
        tx.execute(
            "INSERT INTO payments (id, order_id, amount_cents, method, created_at) "
            "VALUES ('p-1', 'no-such-order', 100, 'CASH', '2026-01-01T00:00:00+00:00')"
        )

    with pytest.raises(sqlite3.IntegrityError, match="FOREIGN KEY"):
        await database.write(place_with_a_dangling_payment)
    assert published == []
    assert count(database.path, "orders") == count(database.path, "payments") == 0
    await database.write(lambda tx: orders.place_order(tx, REQUEST))
    assert count(database.path, "orders") == 1


def set_max_pages(tx: Tx, pages: int | None) -> int:
    """Cap the file at ``pages`` (None: at the pages it has now), as a full disk would."""
    if pages is None:
        pages = int(tx.scalar("PRAGMA page_count"))
    value: int = tx.scalar(f"PRAGMA max_page_count = {pages}")
    return value


async def test_a_full_disk_refuses_every_unit_of_the_batch_and_keeps_the_database_usable(
    publishing: tuple[Database, list[object]],
) -> None:
    """SQLite's max_page_count makes its own genuine SQLITE_FULL, as a full disk does."""
    database, published = publishing
    kept = await database.write(lambda tx: orders.place_order(tx, REQUEST))
    published.clear()
    await database.write(partial(set_max_pages, pages=None))

    def big_order(tx: Tx) -> orders.Order:
        order = orders.place_order(tx, REQUEST)
        tx.execute(SQL.put_meta, {"key": f"filler-{order.id}", "value": "x" * 20_000})
        return order

    results = await asyncio.gather(
        *(database.write(big_order) for _ in range(5)), return_exceptions=True
    )
    assert all(isinstance(result, StorageFull) for result in results), results
    error = results[0]
    assert isinstance(error, StorageFull)
    assert error.extensions == {"code": "STORAGE_FULL"}
    assert error.message.startswith("the disk is full: free space, nothing was saved")
    assert published == []
    assert count(database.path, "orders") == 1

    await database.write(partial(set_max_pages, pages=1_000_000))  # space is freed
    again = await database.write(big_order)
    assert count(database.path, "orders") == 2
    ids = await database.read(
        lambda conn: [row[0] for row in conn.execute("SELECT id FROM orders")]
    )
    assert sorted(ids) == sorted([kept.id, again.id])


async def test_close_commits_what_is_queued(db_path: Path) -> None:
    database = Database(db_path, subscribers=SUBSCRIBERS)
    await database.open()
    await database.write(seed)
    pending = [
        asyncio.ensure_future(database.write(lambda tx: orders.place_order(tx, REQUEST)))
        for _ in range(20)
    ]
    await asyncio.sleep(0)
    await database.close()
    assert all(task.done() and task.exception() is None for task in pending)
    assert count(db_path, "orders") == 20


async def test_read_now_sees_every_commit_and_cannot_write(db: Database) -> None:
    for _ in range(3):
        order = await db.write(lambda tx: orders.place_order(tx, REQUEST))
        # Acknowledged means visible: no read may lag behind a commit it was told of.
        assert db.read_now(partial(orders.load_order, order_id=order.id)) == order
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        db.read_now(lambda conn: conn.execute("DELETE FROM orders"))
    assert count(db.path, "orders") == 3
    await db.close()
    with pytest.raises(RuntimeError, match="not open"):
        db.read_now(menu.list_menu)


async def test_a_batch_run_again_after_a_failure_publishes_each_fact_once(
    publishing: tuple[Database, list[object]],
) -> None:
    database, published = publishing
    writes = [lambda tx: orders.place_order(tx, REQUEST), bad] * 3
    # Queued in one tick: committed in one transaction, which the failures roll back
    # once, before the batch runs again with a savepoint per unit.
    results = await asyncio.gather(*map(database.write, writes), return_exceptions=True)
    placed = [r for r in results if isinstance(r, orders.Order)]
    assert len(placed) == 3 and sum(isinstance(r, BadUserInput) for r in results) == 3
    events = [fact for fact in published if isinstance(fact, EventRecord)]
    assert sorted(e.order_id or "" for e in events) == sorted(o.id for o in placed)
    assert count(database.path, "orders") == 3
    assert count(database.path, "events") == 3


def before_prep_times(path: Path) -> None:
    """A database as Passline left it before prep times, with a menu of a category the
    seed does not have and an order on it."""
    scripts = migrations()
    mine = next(i for i, (_n, script) in enumerate(scripts) if "prep_seconds" in script)
    with sqlite3.connect(path, isolation_level=None) as conn:
        for _number, script in scripts[:mine]:
            conn.executescript("BEGIN;\n" + script + "\nCOMMIT;")
        conn.executemany(
            "INSERT INTO menu_items (id, name, category, price_cents, position) "
            "VALUES (?, ?, ?, 100, ?)",
            [
                ("margherita", "Margherita", "Pizza", 1),
                ("cola", "Cola", "Drinks", 2),
                ("oysters", "Oysters", "Raw bar", 3),
            ],
        )
        at = "2026-01-01T12:00:00+00:00"
        conn.execute(
            "INSERT INTO orders (id, number, status, channel, fulfillment, total_cents, "
            "created_at, updated_at) VALUES ('o1', 1, 'IN_KITCHEN', 'COUNTER', 'TAKEAWAY', "
            "300, ?, ?)",
            (at, at),
        )
        conn.executemany(
            "INSERT INTO order_items (order_id, line, menu_item_id, name, quantity, "
            "unit_price_cents) VALUES ('o1', ?, ?, ?, 1, 100)",
            [(0, "margherita", "Margherita"), (1, "cola", "Cola"), (2, "oysters", "Oysters")],
        )
    conn.close()


async def test_the_upgrade_gives_every_item_and_order_line_a_prep_time(db_path: Path) -> None:
    before_prep_times(db_path)
    database = Database(db_path, subscribers=SUBSCRIBERS)
    await database.open()
    try:
        assert pragma(db_path, "user_version") == len(migrations())
        items = {item.id: item.prep_seconds for item in await database.read(menu.list_menu)}
        assert items == {"margherita": 720, "cola": 60, "oysters": 600}  # by category
        order = await database.read(lambda conn: orders.load_order(conn, "o1"))
        assert order is not None
        assert [line.prep_seconds for line in order.items] == [720, 60, 600]
        # The database holds a prep time to the API's bounds.
        with pytest.raises(sqlite3.IntegrityError):
            await database.write(
                lambda tx: tx.execute("UPDATE menu_items SET prep_seconds = 0 WHERE id = 'cola'")
            )
    finally:
        await database.close()
