"""Checks of scalar arguments shared by the resolvers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types.base import get_object_definition

from backend.api.types import Info
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


def check_unicode(value: str, field: str) -> str:
    """``value`` if it is text: JSON's ``"\\ud800"`` escape makes a lone surrogate, a
    code point no UTF-8 (so no database, log or reply) can hold."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BadUserInput(
            f"{field} holds U+{ord(value[exc.start]):04X} at character {exc.start}, half of "
            "a surrogate pair and not a character; send the text as valid Unicode",
            field=field,
        ) from exc
    return value


def _strings(value: object, path: str, names: Any) -> Iterator[tuple[str, str]]:
    """Every string in an argument's value with its ``field`` path (input object fields
    by their GraphQL names, list items by index)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}.{index}", names)
    elif (definition := get_object_definition(value)) is not None:
        for field in definition.fields:
            name = names.from_field(field)
            inner = getattr(value, field.python_name, None)
            yield from _strings(inner, f"{path}.{name}" if path else name, names)


class TextArguments(BasePermission):
    """Every string argument of a root field is text, checked before its resolver runs.

    One place for all of them (variables and literals, IDs and free text, nested in
    input objects): a lone surrogate reached the database and came back as a masked
    internal error. It rides on the permission hook because that is what every root
    field already carries (``GUARDED``), with the arguments already coerced; only root
    fields take arguments in this schema. A field is named as in any BAD_USER_INPUT:
    the argument (``orderId``), or the path inside an input object (``items.0.notes``).
    """

    message = "an argument is not text"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        names = info.schema.config.name_converter
        for argument in info._field.arguments:
            value = kwargs.get(argument.python_name)
            # Paths inside an input object start at its fields, as the resolvers' do.
            root = "" if get_object_definition(value) is not None else names.from_argument(argument)
            for field, text in _strings(value, root, names):
                check_unicode(text, field)
        return True
