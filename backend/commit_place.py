"""Where the writer's COMMIT runs: on the loop's thread while the disk is quick.

A COMMIT is a write of a few pages and one ``fsync`` of the WAL: ~0.4 ms on an SSD.
Sent to the writer connection's thread, it cost the loop more than that at a rush:
the hop there and back, and two turns of a busy loop before the units' callers
resumed (~7 ms a write, three writes on every order's way to the kitchen). So it runs
inline while recent commits were quick, and on the writer's thread once the disk is
slow (a spinning disk, a disk others are busy with), where the loop goes on meanwhile.

SQLite's own checkpoints are turned off on the writer (``wal_autocheckpoint = 0``): the
COMMIT that crossed 1,000 WAL pages copied them all into the database file and
``fsync``-ed it, tens of milliseconds the loop would stall for. The committer asks for
a passive checkpoint on the writer's thread instead, at most once a
:data:`CHECKPOINT_SECONDS`, between two transactions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

INLINE_BELOW_SECONDS = 0.002  # a COMMIT quicker than this (recent average) runs inline
CHECKPOINT_SECONDS = 1.0  # a passive checkpoint at most this often, while writes come
_WEIGHT = 0.2  # of the latest COMMIT in the running average


@dataclass(slots=True)
class CommitPlace:
    """The running average of COMMIT times, and when the WAL was last checkpointed."""

    inline_below: float = INLINE_BELOW_SECONDS
    checkpoint_seconds: float = CHECKPOINT_SECONDS
    average: float = 0.0  # seconds; 0 until a COMMIT was timed
    _written_since_checkpoint: bool = False
    _last_checkpoint: float = field(default_factory=time.monotonic)

    @property
    def inline(self) -> bool:
        """Whether the next COMMIT runs on the loop's thread."""
        return self.average < self.inline_below

    def committed(self, seconds: float) -> None:
        """A COMMIT took ``seconds`` (wherever it ran)."""
        self.average += (seconds - self.average) * _WEIGHT
        self._written_since_checkpoint = True

    def checkpoint_due(self) -> bool:
        """Whether the WAL is to be checkpointed now; if so, it counts as done."""
        now = time.monotonic()
        if not self._written_since_checkpoint:
            return False
        if now - self._last_checkpoint < self.checkpoint_seconds:
            return False
        self._written_since_checkpoint = False
        self._last_checkpoint = now
        return True
