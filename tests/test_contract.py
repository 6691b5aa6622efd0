"""The contract in docs/ is the code's: the printed schema, and the UI's copies of it.

``docs/schema.graphql`` is what outside clients code against; it must be exactly what
the code serves. The dashboard may not import the backend (it is a GraphQL client
like any other), so it keeps its own lists of statuses, event types and staff
actions; these tests hold each copy to the schema and the backend's tables.
"""

from __future__ import annotations

import difflib

from tools.schema import REGENERATE, SCHEMA_FILE, printed


def test_checked_in_schema_is_the_one_the_code_serves() -> None:
    expected = printed()
    found = SCHEMA_FILE.read_text(encoding="utf-8")
    if found != expected:
        diff = "".join(
            difflib.unified_diff(
                found.splitlines(keepends=True),
                expected.splitlines(keepends=True),
                "docs/schema.graphql (checked in)",
                "printed from the code",
                n=1,
            )
        )
        raise AssertionError(f"docs/schema.graphql is out of date; run {REGENERATE}\n{diff}")
