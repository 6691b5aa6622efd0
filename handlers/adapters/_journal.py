"""An append-only JSON-lines file that keeps at most one record per key, durably.

The sandbox adapters stand in for services that remember what they did (a payment
gateway remembers charges, an SMS provider remembers message ids). Each record is
written with one ``write`` and ``fsync``'d before it counts, so what a caller was told
survives a crash of the process; a torn last line is a write that never finished and
was never acknowledged, so it is dropped when the file is opened again.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

Record = dict[str, Any]


class Journal:
    """Records of ``path``, indexed by their ``key_field``; one process owns the file."""

    def __init__(self, path: Path, key_field: str) -> None:
        self.path = path
        self.key_field = key_field
        self._index: dict[str, Record] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._waiting: dict[str, int] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
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
            # fsync takes milliseconds: keep it off the event loop.
            await asyncio.to_thread(self._append, record)
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
        records = []
        for number, line in enumerate(data[:end].splitlines(), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise ValueError(
                    f"{self.path}, line {number}, is not a JSON record ({exc}); "
                    "repair or delete that line, then start again"
                ) from exc
            if not isinstance(record, dict) or self.key_field not in record:
                raise ValueError(
                    f"{self.path}, line {number}, has no {self.key_field!r}; "
                    "repair or delete that line, then start again"
                )
            records.append(record)
        return records

    def _append(self, record: Record) -> None:
        line = json.dumps(record, separators=(",", ":"), sort_keys=True) + "\n"
        created = not self.path.exists()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        if created:
            fsync_dir(self.path.parent)


def fsync_dir(path: Path) -> None:
    """Make a new directory entry in ``path`` durable (a no-op where unsupported)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
