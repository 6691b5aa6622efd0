"""What the event log's search box asks for, as an FTS5 query over ``event_search``.

The index (migration 0004) holds, per event, its type, order number, payload values,
handlers and their attempts' errors, split into words by FTS5's ``unicode61``
tokenizer (case- and accent-insensitive). A search matches the events that have every
word it gives: a word matches the words it begins (``ali`` finds "Alice", ``tray 3``
"tray 3" and "tray 30"). An order number, ``#42`` or a search of only ``42``, matches
the order's number (not order 420, nor every quantity of 42); a search of only a
number of ``PHONE_DIGITS`` digits or more also the words it begins (a phone number).
"""

from __future__ import annotations

from backend.errors import BadUserInput

MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 10  # each word is a prefix scan of the index
PHONE_DIGITS = 6


def fts_query(text: str) -> str:
    """``text`` as an FTS5 query; BadUserInput when it has nothing to search for."""
    if len(text) > MAX_SEARCH_CHARS:
        raise BadUserInput(
            f"search is {len(text)} characters; use at most {MAX_SEARCH_CHARS}", field="search"
        )
    words = [word for word in text.split() if any(c.isalnum() for c in word)]
    if not words:
        raise BadUserInput(
            "search has no letter or digit to look for; type a word or an order number, "
            "or leave search out to see every event",
            field="search",
        )
    if len(words) > MAX_SEARCH_WORDS:
        raise BadUserInput(
            f"search has {len(words)} words; use at most {MAX_SEARCH_WORDS}", field="search"
        )
    return " AND ".join(_term(word, alone=len(words) == 1) for word in words)


def _term(word: str, *, alone: bool) -> str:
    digits = word.removeprefix("#")
    if digits.isascii() and digits.isdigit() and (alone or word.startswith("#")):
        number = f'number : "{digits}"'
        if word.startswith("#") or len(digits) < PHONE_DIGITS:
            return number
        return f'({number} OR "{digits}"*)'
    return _quoted(word) + "*"


def _quoted(value: str) -> str:
    """``value`` as an FTS5 string: one phrase of whatever words the tokenizer finds in
    it ("garlic-bread" -> garlic bread), so no character of it is FTS5 syntax. A NUL
    would end the query's C string inside the quotes ("unterminated string"): it goes."""
    return '"' + value.replace("\x00", "").replace('"', '""') + '"'


def narrowed(query: str, *, type: str | None, handler: str | None) -> str:
    """``query`` also asking the index for the event's ``type`` and ``handler`` filters.

    The SQL still checks them exactly; in the index they are words the matches must
    have too, so that a common word with a rare type is found by intersecting the
    index's lists rather than by checking the type of every event the word is in (at
    500,000 events, 350 ms for a type no event has: bench/RESULTS.md).
    """
    parts = [f"({query})"]
    for column, value in (("body", type), ("deliveries", handler)):
        if value is not None and any(c.isalnum() for c in value):
            parts.append(f"{column} : {_quoted(value)}")
    return " AND ".join(parts)
