"""Which variables of a subscription only say where it resumes (api/cursors.py)."""

from __future__ import annotations

from backend.api.cursors import _remembered, cursor_variables
from backend.settings import DOCUMENT_CACHE_MAX_CHARS

CHANGES = "subscription C($after: Int) { orderChanges(afterSeq: $after) { seq } }"
LOG = (
    "subscription L($from: String, $types: [String!]) "
    "{ eventLog(after: $from, types: $types) { cursor } }"
)


def test_the_cursor_argument_s_variable_is_the_cursor() -> None:
    assert cursor_variables(CHANGES, None) == {"after"}
    assert cursor_variables(LOG, "L") == {"from"}  # not the filter


def test_a_variable_used_elsewhere_too_is_not_only_a_cursor() -> None:
    twice = (
        "subscription T($after: Int) "
        "{ orderChanges(afterSeq: $after) { seq order { items(first: $after) { name } } } }"
    )
    assert cursor_variables(twice, None) == frozenset()
    in_fragment = (
        "subscription F($after: Int) { orderChanges(afterSeq: $after) { ...Seq } }"
        " fragment Seq on OrderChange { seq extra: seq @include(if: $after) }"
    )
    assert cursor_variables(in_fragment, None) == frozenset()


def test_documents_without_a_cursor_variable_have_none() -> None:
    assert cursor_variables("subscription { orderChanges(afterSeq: 5) { seq } }", None) == set()
    assert cursor_variables("subscription($id: ID!) { order(id: $id) { id } }", None) == set()
    assert cursor_variables("query Q($after: Int) { orders { id } }", None) == set()
    assert cursor_variables("subscription { orderChanges(", None) == set()  # does not parse
    assert cursor_variables(CHANGES, "NotThere") == set()


def test_a_large_document_is_read_each_time_not_remembered() -> None:
    """What is remembered is bounded in bytes: 256 documents of at most
    DOCUMENT_CACHE_MAX_CHARS each; a larger one is not kept."""
    padding = " " * DOCUMENT_CACHE_MAX_CHARS
    large = CHANGES + padding
    before = _remembered.cache_info()
    assert cursor_variables(large, None) == {"after"}
    assert cursor_variables(large, None) == {"after"}
    after = _remembered.cache_info()
    assert (after.hits, after.misses, after.currsize) == (
        before.hits,
        before.misses,
        before.currsize,
    )
    assert cursor_variables(CHANGES + " ", None) == {"after"}
    assert _remembered.cache_info().misses == before.misses + 1
