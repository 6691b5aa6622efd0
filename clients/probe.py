"""What listens on an address already: this database's Passline, another one, or another
program. The dashboard asks before it starts an embedded backend there (``main.py``)."""

from __future__ import annotations

import socket

from clients.graphql import GraphQLError, NotGraphQL, Unreachable, execute_sync

CONNECT_SECONDS = 1.0
ANSWER_SECONDS = 5.0


def already_running(
    host: str, port: int, url: str, token: str | None
) -> tuple[str, str] | str | None:
    """None (nothing listens on ``host:port``), ``(url, token)`` (a Passline that takes
    ``token``, the staff token of the database in hand: open a window on it), or why
    another backend cannot start there."""
    try:
        with socket.create_connection((host, port), timeout=CONNECT_SECONDS):
            pass
    except OSError:
        return None
    beside = (
        f"to run this one beside it, pass another --port (e.g. --port {port + 1}, "
        "or --port 0 for any free port)"
    )
    other_program = f"another program listens on {host}:{port}; {beside}"
    try:
        execute_sync(url, "{ handlers { name } }", token=token, timeout=ANSWER_SECONDS)
    except (Unreachable, NotGraphQL):
        return other_program
    except GraphQLError:
        return (
            f"another Passline, on a different database, is running on {url}; {beside}, "
            "or open a window on it with --connect"
        )
    return (url, token) if token else other_program
