"""How errors leave the API: expected ones with their contract code, the rest masked.

Request errors (syntax, unknown fields, bad variables, limits) get a code too, so a
client can always branch on ``extensions.code``. An unexpected exception in a
resolver is logged with an id and replaced by "internal error" with that id.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from graphql import GraphQLError, OperationDefinitionNode, OperationType, ValidationRule

from backend.errors import ErrorCode, PasslineError

log = logging.getLogger("passline.api")

INTERNAL_ERROR = "INTERNAL_SERVER_ERROR"
# Messages of strawberry's limiter extensions and graphql-core's parser and
# introspection limits.
_LIMIT_MESSAGES = re.compile(
    r"exceeds maximum operation depth|more than \d+ tokens|aliases found\. Allowed"
    r"|maximum introspection depth exceeded",
    re.IGNORECASE,
)
_LIMIT_ADVICE = "; send a smaller document (less nesting, fewer fields or aliases)"


def shape_error(error: GraphQLError) -> None:
    """Give ``error`` its contract code, masking it in place if it was unexpected."""
    original = error.original_error
    if isinstance(original, PasslineError):
        return
    extensions = dict(error.extensions or {})
    if original is None or error.path is None:
        # Not an exception from a resolver: the request itself is wrong.
        limit = _LIMIT_MESSAGES.search(error.message)
        code = ErrorCode.LIMIT_EXCEEDED if limit else ErrorCode.BAD_USER_INPUT
        extensions.setdefault("code", code.value)
        error.extensions = extensions
        # Validation errors are cached and shaped again on every request that repeats them.
        if limit and not error.message.endswith(_LIMIT_ADVICE):
            error.message = error.message.rstrip(".") + _LIMIT_ADVICE
        return
    error_id = uuid.uuid4().hex[:12]
    log.error(
        "internal error %s at %s", error_id, ".".join(map(str, error.path)), exc_info=original
    )
    error.message = f"internal error (id {error_id}); the details are in the server log"
    error.extensions = {"code": INTERNAL_ERROR, "id": error_id}
    error.original_error = None


class OneMutationPerRequest(ValidationRule):
    """A request that errors must change nothing, so a mutation document holds one field."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        if node.operation is OperationType.MUTATION and len(node.selection_set.selections) > 1:
            self.report_error(
                GraphQLError(
                    "send one mutation field per request, so that a failure changes "
                    "nothing; split this document into several requests",
                    node,
                )
            )
