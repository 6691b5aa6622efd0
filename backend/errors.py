"""The backend's root exception and its expected failures.

Each expected failure carries the stable ``extensions.code`` of the public API
contract; the GraphQL layer passes them through unmasked. Anything else that
escapes a resolver is masked as an internal error and logged with an id.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

DISK_FULL_MESSAGE = "the disk is full: free space, nothing was saved"


class ErrorCode(StrEnum):
    """The ``extensions.code`` values of the API contract."""

    UNAUTHENTICATED = "UNAUTHENTICATED"  # no valid token for what was asked
    FORBIDDEN = "FORBIDDEN"  # a valid token whose role may not do this
    BAD_USER_INPUT = "BAD_USER_INPUT"  # the request itself is wrong; see ``field``
    NOT_FOUND = "NOT_FOUND"  # an id that names nothing
    INVALID_TRANSITION = "INVALID_TRANSITION"  # the order's status does not allow it
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"  # too large, too deep, too many
    STORAGE_FULL = "STORAGE_FULL"  # the disk is full: nothing was saved; retry once freed


class PasslineError(Exception):
    """An expected failure, reported to the client as it is."""

    code: ErrorCode = ErrorCode.BAD_USER_INPUT

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def extensions(self) -> dict[str, object]:
        # graphql-core copies an original error's ``extensions`` into the response.
        extensions: dict[str, object] = {"code": self.code.value}
        if self.field is not None:
            extensions["field"] = self.field
        return extensions


class Unauthenticated(PasslineError):
    code = ErrorCode.UNAUTHENTICATED


class Forbidden(PasslineError):
    code = ErrorCode.FORBIDDEN


class BadUserInput(PasslineError):
    code = ErrorCode.BAD_USER_INPUT


class NotFound(PasslineError):
    code = ErrorCode.NOT_FOUND


class InvalidTransition(PasslineError):
    code = ErrorCode.INVALID_TRANSITION


class LimitExceeded(PasslineError):
    code = ErrorCode.LIMIT_EXCEEDED


class RateLimited(LimitExceeded):
    """Too many requests of one kind from one client address; ``retryAfterSeconds``
    in the extensions says when one more is accepted."""

    def __init__(self, message: str, retry_after_seconds: int) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds

    @property
    def extensions(self) -> dict[str, object]:
        return {**super().extensions, "retryAfterSeconds": self.retry_after_seconds}


class StorageFull(PasslineError):
    """The disk holding Passline's data is full: nothing of the request was saved."""

    code = ErrorCode.STORAGE_FULL

    def __init__(
        self, message: str = f"{DISK_FULL_MESSAGE}; the same request works once there is room"
    ) -> None:
        super().__init__(message)


class StorageError(Exception):
    """The database file cannot be used (not Passline's, damaged, or too new)."""


class HandlersConfigError(Exception):
    """The handlers configuration file (``--handlers-config``) cannot be used.

    ``entry`` names the offending ``[[webhook]]`` entry (None: the file as a whole);
    the message says what is wrong and how to fix it.
    """

    def __init__(self, path: Path, problem: str, entry: str | None = None) -> None:
        where = f"{path}" if entry is None else f"{path}, {entry}"
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.entry = entry
        self.problem = problem
