"""The process's open-files limit: every WebSocket subscriber holds a descriptor.

The soft limit is often 1,024 while the hard limit allows far more; a backend left at
1,024 refuses its thousandth subscriber with "too many open files". At start the soft
limit is raised to the hard limit, and the log says what the backend can hold.
"""

from __future__ import annotations

import resource

# Descriptors the backend needs besides its connections (database, logs, sockets).
RESERVED_DESCRIPTORS = 64
# Below this many, the log warns: room for 10,000 subscribers and then some.
ENOUGH_DESCRIPTORS = 16_384


def raise_open_files_limit() -> tuple[bool, str]:
    """Raise the soft open-files limit to the hard limit: whether the backend has room
    enough, and one line for the log that says how it went (and what to do if not)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft in (resource.RLIM_INFINITY, hard):
        advice = _advice(soft)
        return not advice, f"open files: limit {_count(soft)}{advice}"
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ValueError, OSError) as exc:
        return False, (
            f"open files: cannot raise the limit from {_count(soft)} to {_count(hard)} ({exc})"
            + _advice(soft)
        )
    return True, f"open files: limit raised from {_count(soft)} to {_count(hard)}"


def _count(limit: int) -> str:
    return "unlimited" if limit == resource.RLIM_INFINITY else f"{limit:,}"


def _advice(soft: int) -> str:
    if soft == resource.RLIM_INFINITY or soft >= ENOUGH_DESCRIPTORS:
        return ""
    room = max(0, soft - RESERVED_DESCRIPTORS)
    return (
        f"; at most about {room:,} WebSocket connections: raise the hard limit "
        "(ulimit -Hn, LimitNOFILE= in a systemd unit) to serve more"
    )
