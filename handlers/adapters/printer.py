"""The sandbox of the kitchen's ticket printer: one ticket per key, never two."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from handlers.adapters._disk import DiskPace
from handlers.adapters._journal import fsync_dir


class SandboxPrinter:
    """Writes each ticket as ``<order number>-<hash of the key>.txt`` into ``folder``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pace = DiskPace()

    async def print_ticket(self, order_number: int, text: str, key: str) -> str:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        path = self.folder / f"{order_number}-{digest}.txt"
        await self._pace.run(lambda: _write_once(path, text))
        return str(path)


def _write_once(path: Path, text: str) -> None:
    """Write ``path`` whole and durably, unless it exists: a reader never sees half a ticket."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with partial.open("w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        # A full disk would otherwise keep half a ticket's temporary file for ever.
        partial.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
