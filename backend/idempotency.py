"""Idempotency keys: a mutation sent again with a used key returns its first result.

The result is stored under ``(operation, key)`` by the unit of work that made the
change it describes, so a key counts as used exactly when that change committed,
and a repeated request writes nothing.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from backend.database import Tx
from backend.errors import BadUserInput
from backend.queries import SQL

T = TypeVar("T")
_REQUEST = "request"


@dataclass(frozen=True)  # no slots: ``Codec[X](...)`` sets __orig_class__
class Codec(Generic[T]):
    """How an operation's result is stored as JSON and read back."""

    dump: Callable[[T], dict[str, Any]]
    load: Callable[[dict[str, Any]], T]


def once(
    tx: Tx,
    operation: str,
    key: str | None,
    work: Callable[[], T],
    codec: Codec[T],
    *,
    request: Mapping[str, Any] | None = None,
) -> T:
    """``work()``, unless ``key`` was used for ``operation``: then its first result.

    ``request`` names what the operation acts on (``{"orderId": ...}``); a key used
    for another request is refused, so that a mistaken key cannot return someone
    else's result. Without a key, ``work`` simply runs.
    """
    if key is None:
        return work()
    asked = dict(request or {})
    found = tx.one(SQL.get_idempotent_result, {"operation": operation, "key": key})
    if found is not None:
        stored: dict[str, Any] = json.loads(found["result"])
        first = stored.pop(_REQUEST, {})
        if first != asked:
            raise BadUserInput(
                f"idempotencyKey {key!r} was already used for {operation} with {first}; "
                "send a new key for each new request",
                field="idempotencyKey",
            )
        return codec.load(stored)
    result = work()
    stored = codec.dump(result)
    if asked:
        stored[_REQUEST] = asked
    tx.execute(
        SQL.put_idempotent_result,
        {
            "operation": operation,
            "key": key,
            "result": json.dumps(stored, separators=(",", ":")),
            "created_at": tx.now.isoformat(),
        },
    )
    return result
