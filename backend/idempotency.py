"""Idempotency keys: a mutation sent again with a used key returns its first result.

A key belongs to its caller and to its request. :meth:`IdempotencyKey.of` gives the
key its caller's scope, and :func:`once` fingerprints the request, so the same key
text from another caller is another key (it does its own work), and the same key
from the same caller for a different request is refused.

The result is stored under ``(scope, operation, key)`` by the unit of work that made
the change it describes, so a key counts as used exactly when that change committed,
and a repeated request writes nothing.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from backend.auth import Principal, Role
from backend.database import Tx
from backend.errors import BadUserInput
from backend.sql_blocks import SQL

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """The key a caller sent, in the scope of who sent it."""

    scope: str
    text: str

    @overload
    @classmethod
    def of(cls, principal: Principal, text: str) -> IdempotencyKey: ...
    @overload
    @classmethod
    def of(cls, principal: Principal, text: None) -> None: ...
    @overload
    @classmethod
    def of(cls, principal: Principal, text: str | None) -> IdempotencyKey | None: ...
    @classmethod
    def of(cls, principal: Principal, text: str | None) -> IdempotencyKey | None:
        """``text`` as ``principal``'s key; None without a key.

        The scope is the caller's role and identity:

        - ``staff``: one staff token, so one identity; the role is the scope.
        - ``customer``: the identity is the order its access token belongs to.
        - ``handler``: in-process only; each delivery sends its own key
          (``<event id>:<handler>``), so the key itself names the delivery.
        - ``public``: every anonymous caller (the kiosks, the web page) shares one role
          with no identity, so the role is the scope. Two kiosks sending the same key
          therefore share it: with the same request, the second gets the first's order
          *with its accessToken*. That is right, not a leak: a kiosk that retries after
          a lost answer must get the token of the order it placed, and only the key's
          holder can replay it — an anonymous key is a secret, so clients make it
          unguessable (a UUID). With another request the key is refused.
        """
        if text is None:
            return None
        if principal.role is Role.CUSTOMER:
            return cls(f"{Role.CUSTOMER.value}:{principal.order_id}", text)
        return cls(principal.role.value, text)


@dataclass(frozen=True)  # no slots: ``Codec[X](...)`` sets __orig_class__
class Codec(Generic[T]):
    """How an operation's result is stored as JSON and read back."""

    dump: Callable[[T], dict[str, Any]]
    load: Callable[[dict[str, Any]], T]


def fingerprint(request: Mapping[str, Any]) -> str:
    """A digest of everything ``request`` asks; equal requests give equal digests.

    Only the digest is kept: the request may carry a customer's name, phone and
    address, which the idempotency table has no need to hold a second time.
    """
    text = json.dumps(request, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: object) -> object:
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot fingerprint a {type(value).__name__}")


def used(conn: sqlite3.Connection, operation: str, key: IdempotencyKey | None) -> bool:
    """True when ``key`` already did ``operation``: sent again, it makes nothing new
    (:func:`once` returns its first result, or refuses another request)."""
    if key is None:
        return False
    where = {"scope": key.scope, "operation": operation, "key": key.text}
    return conn.execute(SQL.get_idempotent_result, where).fetchone() is not None


def once(
    tx: Tx,
    operation: str,
    key: IdempotencyKey | None,
    work: Callable[[], T],
    codec: Codec[T],
    *,
    request: Mapping[str, Any],
) -> T:
    """``work()``, unless ``key`` was used for ``operation``: then its first result.

    ``request`` is everything the operation was asked (every argument but the key);
    a key used for another request is refused, so that a mistaken key cannot return
    another request's result. Without a key, ``work`` simply runs.
    """
    if key is None:
        return work()
    asked = fingerprint(request)
    where = {"scope": key.scope, "operation": operation, "key": key.text}
    found = tx.one(SQL.get_idempotent_result, where)
    if found is not None:
        # NULL: stored before requests were fingerprinted (migration 0003 kept only the
        # handlers' keys, each of which names one delivery of one order).
        if found["request"] is not None and found["request"] != asked:
            raise BadUserInput(
                f"idempotencyKey {key.text!r} was already used for a different {operation} "
                "request; send a new key for each new request",
                field="idempotencyKey",
            )
        stored: dict[str, Any] = json.loads(found["result"])
        return codec.load(stored)
    result = work()
    tx.execute(
        SQL.put_idempotent_result,
        {
            **where,
            "request": asked,
            "result": json.dumps(codec.dump(result), separators=(",", ":")),
            "created_at": tx.now.isoformat(),
        },
    )
    return result
