"""Checks of scalar arguments shared by the resolvers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from strawberry.permission import BasePermission
from strawberry.schema.name_converter import NameConverter
from strawberry.types import get_object_definition

from backend._strawberry import field_arguments
from backend.errors import BadUserInput
from backend.settings import MAX_PAGE, MAX_STRING_CHARS

if TYPE_CHECKING:  # types.py -> permissions.py -> this module
    from backend.api.types import Info


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


def _is_text(value: str) -> bool:
    if value.isascii():
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_unicode(value: str, field: str) -> str:
    """``value`` if it is text: JSON's ``"\\ud800"`` escape makes a lone surrogate, a
    code point no UTF-8 (so no database, log or reply) can hold."""
    if _is_text(value):
        return value
    index = next(i for i, char in enumerate(value) if 0xD800 <= ord(char) <= 0xDFFF)
    raise BadUserInput(
        f"{field} holds U+{ord(value[index]):04X} at character {index}, half of a surrogate "
        "pair and not a character; send the text as valid Unicode",
        field=field,
    )


_fields_of: dict[type, tuple[tuple[str, str], ...]] = {}


def _input_fields(kind: type, names: NameConverter) -> tuple[tuple[str, str], ...]:
    """(Python name, GraphQL name) of each field of an input type; () for anything else.
    Kept (all of this API's schemas name fields alike): looking them up for every
    line of every order cost ~10 µs a line."""
    fields = _fields_of.get(kind)
    if fields is None:
        definition = get_object_definition(kind)
        fields = (
            ()
            if definition is None
            else tuple((field.python_name, names.from_field(field)) for field in definition.fields)
        )
        _fields_of[kind] = fields
    return fields


Path = tuple[str | int, ...]


def _not_text(value: object, names: NameConverter) -> tuple[Path, str] | None:
    """The first string in an argument's value that is not text, with its path (input
    object fields by GraphQL name, list items by index); the path is built only then."""
    if isinstance(value, str):
        return None if _is_text(value) else ((), value)
    if isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _not_text(item, names)) is not None:
                return (index, *found[0]), found[1]
        return None
    for python_name, name in _input_fields(type(value), names):
        if (found := _not_text(getattr(value, python_name, None), names)) is not None:
            return (name, *found[0]), found[1]
    return None


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
        for argument in field_arguments(info):
            found = _not_text(kwargs.get(argument.python_name), names)
            if found is None:
                continue
            path, text = found
            # Paths inside an input object start at its fields, as the resolvers' do.
            if not path or isinstance(path[0], int):
                path = (names.from_argument(argument), *path)
            check_unicode(text, ".".join(map(str, path)))
        return True
