"""Checks of scalar arguments shared by the resolvers."""

from __future__ import annotations

from backend.errors import BadUserInput
from backend.settings import MAX_PAGE, MAX_STRING_CHARS


def check_first(first: int) -> int:
    if not 0 <= first <= MAX_PAGE:
        raise BadUserInput(f"first must be between 0 and {MAX_PAGE}", field="first")
    return first


def check_id(value: str, field: str) -> str:
    if len(value) > MAX_STRING_CHARS:
        raise BadUserInput(f"{field} is too long to be an id", field=field)
    return value


def parse_cursor(value: str | None, field: str) -> int:
    """A cursor is the decimal string this API handed out; None starts from the beginning."""
    if value is None:
        return 0
    # isascii: str.isdigit() also accepts digits such as "²" that int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise BadUserInput(
            f"{field} {value[:40]!r} is not a cursor of this API; pass back a cursor it returned",
            field=field,
        )
    return int(value)
