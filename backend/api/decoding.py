"""Reading the JSON a client sends: an HTTP body or a WebSocket message.

``json.loads`` alone fails on hostile input in ways no caller expects: bytes that are
not UTF-8 raise ``UnicodeDecodeError``, deep nesting ``RecursionError`` and an integer
of more than 4,300 digits a plain ``ValueError``. Each reached the client as a 500
(or a dropped WebSocket). Here every one is an :class:`Unreadable` that says what was
wrong, and the nesting has a limit of its own, the same however deep the stack is.
"""

from __future__ import annotations

import json
import re
import sys

from backend.errors import ErrorCode

# Arrays and objects inside each other; a request to this API needs five or six.
MAX_JSON_DEPTH = 32

_SEND_JSON = 'send {"query": "...", "variables": {...}} as UTF-8 JSON'


class Unreadable(Exception):
    """A client's JSON that cannot be used; ``message`` says why and what to send."""

    def __init__(self, message: str, code: ErrorCode = ErrorCode.BAD_USER_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _not_a_number(constant: str) -> object:
    # json.loads takes NaN and Infinity, which are not JSON and not numbers GraphQL has.
    raise Unreadable(f"{constant} is not a JSON number; {_SEND_JSON}")


def _too_deep() -> Unreadable:
    return Unreadable(
        f"the JSON nests arrays and objects more than {MAX_JSON_DEPTH} levels deep; "
        "send a flatter request",
        ErrorCode.LIMIT_EXCEEDED,
    )


# A JSON string (its escapes included), and the brackets that open and close nesting.
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


def _too_deep_text(text: str) -> bool:
    """Whether ``text`` nests arrays and objects deeper than MAX_JSON_DEPTH, read before
    parsing: ``json.loads`` would recurse as deep as the text nests, up to the
    interpreter's recursion limit, where anything that runs meanwhile (a garbage
    collector's callback) fails too."""
    depth = 0
    for bracket in _BRACKET.finditer(_STRING.sub("", text)):
        depth += 1 if bracket.group() in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            return True
    return False


def decode(data: str | bytes) -> object:
    """The JSON value in ``data`` (bytes must be UTF-8), or :class:`Unreadable`."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Unreadable(
                f"the body is not UTF-8 text (byte {exc.start} is 0x{data[exc.start]:02x}); "
                + _SEND_JSON
            ) from exc
    else:
        text = data
    # Counting brackets is cheap, and only a body with many can nest too deep.
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH and _too_deep_text(text):
        raise _too_deep()
    try:
        value = json.loads(text, parse_constant=_not_a_number)
    except json.JSONDecodeError as exc:
        raise Unreadable(f"the JSON is not valid: {exc}; {_SEND_JSON}") from exc
    except RecursionError as exc:
        raise _too_deep() from exc
    except ValueError as exc:  # int(): more digits than sys.get_int_max_str_digits()
        raise Unreadable(
            f"a number in the JSON has more than {sys.get_int_max_str_digits()} digits; "
            "send numbers this API can use (an Int is at most 10 digits)",
            ErrorCode.LIMIT_EXCEEDED,
        ) from exc
    return value
