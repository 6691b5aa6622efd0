"""An append-only JSON-lines file that keeps at most one record per key, durably.

The sandbox adapters stand in for services that remember what they did (a payment
gateway remembers charges, an SMS provider remembers message ids). Each record is
written with one ``write`` and ``fsync``'d before it counts, so what a caller was told
survives a crash of the process. A write that fails (a full disk) is taken back at
once, so it cannot glue itself to the next record. A torn last line is a write that
never finished and was never acknowledged: it is cut off when the file is opened
again. A line in the middle that is not a record is skipped (keeping a whole record
at its end, which is how an older Passline's failed write and the next one looked).
Both are logged with what was dropped.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

from handlers.adapters._disk import DiskPace

Record = dict[str, Any]

log = logging.getLogger(__name__)

SHOWN_BYTES = 200  # of a dropped line, in the log


class Journal:
    """Records of ``path``, indexed by their ``key_field``; one process owns the file."""

    def __init__(self, path: Path, key_field: str) -> None:
        self.path = path
        self.key_field = key_field
        self._index: dict[str, Record] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        self._pace = DiskPace()
        # Only read here: the folder is made by the first write, so that a journal made
        # for a database the backend then refuses leaves nothing beside that file.
        for record in self._load():
            self._index.setdefault(str(record[key_field]), record)

    def get(self, key: str) -> Record | None:
        return self._index.get(key)

    def records(self) -> list[Record]:
        """Every record, in the order they were written."""
        return list(self._index.values())

    async def once(self, key: str, produce: Callable[[], Awaitable[Record]]) -> Record:
        """The record of ``key``; made by ``produce`` and written first if there is none.

        Callers for the same key wait for each other, so ``produce`` runs at most once
        per key unless it raises (then nothing is written and the next caller tries).
        """
        async with self._hold(key):
            found = self._index.get(key)
            if found is not None:
                return found
            record = await produce()
            record[self.key_field] = key
            # Inline while the disk is quick, else off the loop (_disk.py).
            await self._pace.run(lambda: self._append(record))
            self._index[key] = record
            return record

    @asynccontextmanager
    async def _hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    def _load(self) -> list[Record]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        end = data.rfind(b"\n") + 1
        if end < len(data):
            with self.path.open("r+b") as handle:
                handle.truncate(end)
                os.fsync(handle.fileno())
            log.warning(
                "%s: cut off a torn last line, a write that never finished (nothing was "
                "acknowledged for it): %s",
                self.path,
                _shown(data[end:]),
            )
        records = []
        for number, line in enumerate(data[:end].splitlines(), start=1):
            if not line.strip():
                continue
            record = self._parse(line)
            if record is None:
                record = self._salvage(line)
                log.warning(
                    "%s, line %d, is not a record and was skipped%s: %s",
                    self.path,
                    number,
                    "" if record is None else " (the whole record at its end is kept)",
                    _shown(line),
                )
            if record is not None:
                records.append(record)
        return records

    def _parse(self, line: bytes) -> Record | None:
        try:
            record = json.loads(line)
        except ValueError:
            return None
        if not isinstance(record, dict) or self.key_field not in record:
            return None
        return record

    def _salvage(self, line: bytes) -> Record | None:
        """A whole record at the end of ``line``: a failed write's bytes glued to the
        next record's, as a write that was not taken back left them."""
        start = line.find(b"{", 1)
        while start != -1:
            record = self._parse(line[start:])
            if record is not None:
                return record
            start = line.find(b"{", start + 1)
        return None

    def _append(self, record: Record) -> None:
        data = (json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n").encode()
        created = not self.path.exists()
        if created:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            size = os.lseek(fd, 0, os.SEEK_END)
            try:
                written = 0
                while written < len(data):  # a full disk may take part of it
                    written += os.write(fd, data[written:])
                os.fsync(fd)
            except BaseException:
                # Half a record would glue itself to the next one: take it back.
                with suppress(OSError):
                    os.ftruncate(fd, size)
                raise
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)


def _shown(data: bytes) -> str:
    text = repr(data[:SHOWN_BYTES])
    return text if len(data) <= SHOWN_BYTES else f"{text}... ({len(data)} bytes)"


def fsync_dir(path: Path) -> None:
    """Make a new directory entry in ``path`` durable (a no-op where unsupported)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
