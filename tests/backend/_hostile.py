"""Hypothesis strategies for what a hostile or broken client sends (issue #11).

JSON is built as text, not with ``json.dumps``, so that it can hold what a real
client can send and Python's encoder refuses: integers of thousands of digits,
``NaN``, lone surrogates as ``\\ud800`` escapes, nesting thousands deep.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import hypothesis_graphql
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from backend.api.schema import build_schema
from backend.settings import REQUEST_LOOP_BUDGET_SECONDS

# Bounded runs for `make test`: every property file stays well under 30 s. For a longer
# hunt: PASSLINE_PROPERTY_EXAMPLES=2000 (each file passed 1,000-1,500 when written).
BOUNDED = settings(
    max_examples=int(os.environ.get("PASSLINE_PROPERTY_EXAMPLES", "150")),
    deadline=None,  # a real server on a shared machine; the test's timeout bounds it
    database=None,  # no .hypothesis folder in the tree
    print_blob=True,  # a failure prints how to @reproduce_failure it
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# How long any answer may take: a request holds the loop for its budget at most (past
# it: LIMIT_EXCEEDED), plus a margin for a loaded two-core machine. Well under the
# clients' 10 s timeout, so that a request that hangs fails here, as a hang.
ANSWER_SECONDS = REQUEST_LOOP_BUDGET_SECONDS + 2.0


@contextmanager
def answered_in_time(what: object) -> Iterator[None]:
    """Assert that the block (one request and its answer) ends within ANSWER_SECONDS."""
    start = time.perf_counter()
    yield
    elapsed = time.perf_counter() - start
    assert elapsed < ANSWER_SECONDS, f"answered in {elapsed:.1f} s: {what!r:.300}"


@dataclass(frozen=True, slots=True)
class Raw:
    """JSON text put into a message as it is."""

    text: str


def encode(value: Any) -> str:
    """``value`` as JSON text, :class:`Raw` parts as they are, strings ASCII-escaped."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{encode(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(encode(item) for item in value) + "]"
    return json.dumps(value)  # str (a lone surrogate becomes "\ud800"), int, float, bool, None


# Text as JSON can carry it: any character, and now and then half of a surrogate pair.
texts = st.text(
    st.one_of(st.characters(), st.characters(categories=["Cs"])), max_size=40
) | st.sampled_from(["", " ", "margherita", "cola", "x" * 501, "\x00", "🍕", "\ud83c"])

huge_numbers = st.one_of(
    st.sampled_from([4_300, 4_301, 5_000, 20_000]).map(lambda n: Raw("9" * n)),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "-0", "1.5", "2147483648"]).map(Raw),
)
numbers = st.integers() | st.floats(allow_nan=False, allow_infinity=False) | huge_numbers


def _nested(depth: int, kind: str) -> Raw:
    if kind == "array":
        return Raw("[" * depth + "]" * depth)
    return Raw('{"a":' * depth + "1" + "}" * depth)


deep = st.builds(_nested, st.integers(20, 3_000), st.sampled_from(["array", "object"]))

scalars = st.none() | st.booleans() | numbers | texts
trees = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
json_values = st.one_of(trees, trees, trees, deep)  # deep one time in four


def raw_json(value: Any) -> bytes:
    return encode(value).encode("ascii")


# Documents a client might send: real ones, broken ones, several operations, any text.
DOCUMENTS = [
    "{ menu { id name available } }",
    "query($n: Int) { orders(first: $n) { id } }",
    "mutation($id: ID!) { markReady(orderId: $id) { id } }",
    "mutation($id: ID!, $r: String!) { cancelOrder(orderId: $id, reason: $r) { id } }",
    "subscription { orderChanges { seq } }",
    "query A { menu { id } } query B { menu { name } }",
    "{ menu { id ",
    "{ menu { " + "__typename " * 2_100 + "} }",
    "{ __schema { types { name } } }",
    "",
]
# Documents built from the schema: every query and mutation field with any arguments.
schema_documents = hypothesis_graphql.from_schema(str(build_schema()))
documents = st.sampled_from(DOCUMENTS) | schema_documents | texts

# A request body: most often the right keys with values of the right type (any
# variables), else the right keys with any values, or not an object at all.
requests = st.fixed_dictionaries(
    {"query": documents},
    optional={
        "variables": st.dictionaries(st.sampled_from(["n", "id", "r", "a"]), json_values),
        "operationName": st.sampled_from(["A", "B"]) | texts,
    },
)
bodies = st.one_of(
    requests,
    requests,
    requests,
    st.fixed_dictionaries(
        {"query": documents},
        optional={
            "variables": json_values,
            "operationName": st.none() | texts | json_values,
            "extensions": json_values,
        },
    ),
    st.fixed_dictionaries({"query": json_values, "variables": json_values}),
    json_values,
).map(raw_json)


def _spoil(body: bytes, at: int, junk: bytes) -> bytes:
    index = at % (len(body) + 1)
    return body[:index] + junk + body[index:]


# Bytes on the wire: the body as UTF-8, in another encoding, with bytes UTF-8 does not
# allow, or no JSON at all.
wire_bodies = st.one_of(
    bodies,
    bodies,
    bodies,
    st.builds(
        _spoil, bodies, st.integers(0, 10_000), st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"])
    ),
    bodies.map(lambda body: body.decode("ascii").encode("utf-16")),
    st.binary(max_size=200),
)
