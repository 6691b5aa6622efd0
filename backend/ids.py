"""Time-ordered ids (UUIDv7, RFC 9562) for rows that are keyed and indexed by id.

Random UUIDv4 keys land on a random page of every index they are in, so each order
dirtied pages all over the file; ids that grow with time append to the same pages.
Python 3.11 has no ``uuid.uuid7``.
"""

from __future__ import annotations

import os
import time
import uuid


def uuid7() -> str:
    """A new UUIDv7: 48 bits of Unix milliseconds, then 74 random bits."""
    millis = time.time_ns() // 1_000_000
    random = int.from_bytes(os.urandom(10), "big")
    value = (millis & (1 << 48) - 1) << 80
    value |= 0x7 << 76  # version
    value |= (random >> 68 & 0xFFF) << 64  # 12 random bits
    value |= 0b10 << 62  # variant
    value |= random & (1 << 62) - 1  # 62 random bits
    return str(uuid.UUID(int=value))
