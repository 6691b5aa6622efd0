"""The variables of a subscription that only say where it resumes.

``orderChanges(afterSeq:)`` and ``eventLog(after:)`` take a cursor: each dashboard
sends its own (the last change it has), so subscribers of the same document differ in
it and nothing else. A shared stream (api/streams.py) does not need it: a subscriber
catches up from its cursor on its own execution, then joins the shared one, whichever
cursor that was started with (the first subscriber's own execution, past its
cursor). So the cursor is left out of what subscribers share by.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from graphql import (
    FieldNode,
    GraphQLError,
    OperationType,
    VariableNode,
    get_operation_ast,
    parse,
    visit,
)
from graphql.language import Visitor

from backend.settings import DOCUMENT_CACHE_MAX_CHARS, MAX_QUERY_TOKENS

# The argument of each subscription field that says where to resume.
CURSOR_ARGUMENTS = {"orderChanges": "afterSeq", "eventLog": "after"}
# Distinct documents remembered, each of at most DOCUMENT_CACHE_MAX_CHARS with its
# operation name (as the document cache, api/documents.py): 4 MiB of keys in ASCII,
# 16 MiB at the very worst (4 bytes a character); a larger one is read each time.
_DOCUMENTS = 256


def cursor_variables(query: str, operation_name: str | None) -> frozenset[str]:
    """The variables that only give the cursor argument of ``query``'s subscription field.

    A variable used anywhere else as well is not only a cursor, and a document that
    does not parse (its own execution says why) has none."""
    if len(query) + len(operation_name or "") > DOCUMENT_CACHE_MAX_CHARS:
        return _cursor_variables(query, operation_name)
    return _remembered(query, operation_name)


def _cursor_variables(query: str, operation_name: str | None) -> frozenset[str]:
    try:
        document = parse(query, no_location=True, max_tokens=MAX_QUERY_TOKENS)
    except GraphQLError:
        return frozenset()
    operation = get_operation_ast(document, operation_name)
    if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
        return frozenset()
    found = set()
    for selection in operation.selection_set.selections:
        if not isinstance(selection, FieldNode):
            continue
        wanted = CURSOR_ARGUMENTS.get(selection.name.value)
        for argument in selection.arguments or ():
            if argument.name.value == wanted and isinstance(argument.value, VariableNode):
                found.add(argument.value.name.value)
    if not found:
        return frozenset()
    uses = _VariableUses()
    visit(document, uses)
    defined = Counter(
        definition.variable.name.value for definition in operation.variable_definitions or ()
    )
    # Each definition names its variable once; the cursor argument is the one use left.
    return frozenset(name for name in found if uses.count[name] - defined[name] == 1)


_remembered = lru_cache(maxsize=_DOCUMENTS)(_cursor_variables)


class _VariableUses(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.count: Counter[str] = Counter()

    def enter_variable(self, node: VariableNode, *_: object) -> None:
        self.count[node.name.value] += 1
