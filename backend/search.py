"""What the event log's search box asks for, as an FTS5 query over ``event_search``.

The index (migration 0004) holds, per event, its type, order number, payload values,
handlers and their attempts' errors, split into words by FTS5's ``unicode61``
tokenizer (case- and accent-insensitive). A search matches the events that have every
word it gives: a word matches the words it begins (``ali`` finds "Alice"); a number
(``42`` or ``#42``) matches the order number, not order 420 nor every quantity of 42,
and one of ``PHONE_DIGITS`` digits or more also the payload's words it begins (a phone
number, a payment reference).
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
    return " ".join(_term(word) for word in words)


def _term(word: str) -> str:
    # A quoted string is one phrase of whatever words the tokenizer finds in it
    # ("garlic-bread" -> garlic bread), so no character of it is FTS5 syntax.
    digits = word.removeprefix("#")
    if digits.isascii() and digits.isdigit():
        number = f'number : "{digits}"'
        if word.startswith("#") or len(digits) < PHONE_DIGITS:
            return number
        return f'({number} OR "{digits}"*)'
    return '"' + word.replace('"', '""') + '"*'
