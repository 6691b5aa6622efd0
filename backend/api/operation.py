"""Which operation of a document a request runs.

strawberry runs the first operation of a document when the request names none. The
GraphQL spec (GetOperation) and graphql-ws's reference server refuse instead: with
several operations in a document, the request must say which in ``operationName``.
"""

from __future__ import annotations

import re

from graphql import GraphQLError, OperationDefinitionNode, parse

from backend.settings import MAX_QUERY_TOKENS

# Several operations in one document each start with one of these (an anonymous one
# may only stand alone, which validation reports); fewer than two, nothing to check.
_OPERATION_KEYWORD = re.compile(r"\b(?:query|mutation|subscription)\b")
_NAMES_SHOWN = 5


def unchosen_operation(query: object, operation_name: object) -> str | None:
    """Why a request whose document has several operations did not pick one, or None."""
    if operation_name is not None or not isinstance(query, str):
        return None
    keywords = _OPERATION_KEYWORD.finditer(query)
    if next(keywords, None) is None or next(keywords, None) is None:
        return None
    try:
        document = parse(query, no_location=True, max_tokens=MAX_QUERY_TOKENS)
    except GraphQLError:
        return None  # the schema reports it, with its location
    names = [
        definition.name.value if definition.name else "(anonymous)"
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
    ]
    if len(names) < 2:
        return None
    shown = ", ".join(names[:_NAMES_SHOWN]) + (", …" if len(names) > _NAMES_SHOWN else "")
    return (
        f"the document has {len(names)} operations ({shown}); say which one to run in operationName"
    )
