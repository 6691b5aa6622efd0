"""Parsed and validated documents kept for requests that repeat them, bounded in bytes.

strawberry's ParserCache and ValidationCache keep 256 entries whatever their size, and
a document that passes the token limit can still be a megabyte (a long comment or
string is one token): 256 of them held ~1 GB. Here an entry is charged an estimate of
what it holds, the cache evicts the least recently used past ``DOCUMENT_CACHE_BYTES``,
and a document over ``DOCUMENT_CACHE_MAX_CHARS`` is not kept at all (parsing it again
costs little next to holding it; repeated documents are small ones).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import DocumentNode, GraphQLError, parse
from strawberry.extensions import SchemaExtension

from backend._strawberry import core_schema, validate_document
from backend.api.limits import BudgetSpent
from backend.errors import ErrorCode
from backend.settings import DOCUMENT_CACHE_BYTES, DOCUMENT_CACHE_MAX_CHARS

# Bytes a cached entry holds per character of its document: the query string itself
# plus its syntax tree (and the tokens it keeps linked), measured with tracemalloc on the
# dashboard's and handlers' documents: 68 to 110 bytes a character; 128 are charged.
BYTES_PER_CHAR = 128


@dataclass(slots=True)
class _Entry:
    document: DocumentNode
    errors: list[GraphQLError] | None = None  # None: not validated yet


class DocumentCache:
    """An LRU of parsed (and validated) documents, keyed by the query text."""

    def __init__(
        self, max_bytes: int = DOCUMENT_CACHE_BYTES, max_chars: int = DOCUMENT_CACHE_MAX_CHARS
    ) -> None:
        self.max_bytes = max_bytes
        self.max_chars = max_chars
        self.bytes = 0
        self._entries: OrderedDict[str, _Entry] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, query: object) -> bool:
        return query in self._entries

    def get(self, query: str) -> _Entry | None:
        entry = self._entries.get(query)
        if entry is not None:
            self._entries.move_to_end(query)
        return entry

    def put(self, query: str, document: DocumentNode) -> _Entry:
        entry = _Entry(document)
        if len(query) > self.max_chars or query in self._entries:
            return entry
        self._entries[query] = entry
        self.bytes += len(query) * BYTES_PER_CHAR
        while self.bytes > self.max_bytes:
            oldest, _ = self._entries.popitem(last=False)
            self.bytes -= len(oldest) * BYTES_PER_CHAR
        return entry


class CachedDocuments(SchemaExtension):
    """Parses and validates through a ``DocumentCache`` (one per schema: the cached
    validation is that schema's, with its rules)."""

    def __init__(self, cache: DocumentCache, max_chars: int | None = None) -> None:
        super().__init__()
        self.cache = cache
        self.max_chars = max_chars  # None: any size (the trusted, in-process schema)
        self.entry: _Entry | None = None

    def on_operation(self) -> Iterator[None]:
        yield
        entry = self.entry
        if entry is not None and self.execution_context.query not in self.cache:
            _unlink_tokens(entry.document)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        query = context.query
        if query is not None and self.max_chars is not None and len(query) > self.max_chars:
            # Lexing runs in Python a character at a time: a megabyte document held the
            # loop for up to 0.8 s before the token limit could say anything.
            raise GraphQLError(
                f"the document is {len(query):,} characters long, more than the "
                f"{self.max_chars:,} allowed; send a smaller document (pass data in "
                f"variables)",
                extensions={"code": ErrorCode.LIMIT_EXCEEDED.value},
            )
        if query is not None:
            entry = self.cache.get(query)
            if entry is None:
                # A syntax error raises here and strawberry reports it; nothing is kept.
                entry = self.cache.put(query, parse(query, **context.parse_options))
            self.entry = entry
            context.graphql_document = entry.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        entry = self.entry
        if entry is not None and context.graphql_document is entry.document:
            if entry.errors is None:
                errors = validate_document(
                    core_schema(context.schema), entry.document, context.validation_rules
                )
                if not any(isinstance(error, BudgetSpent) for error in errors):
                    entry.errors = errors
            else:
                errors = entry.errors
            context.pre_execution_errors = errors
        yield


def _unlink_tokens(document: DocumentNode) -> None:
    """Break the token chain of a document that is not kept.

    graphql-core links a document's tokens both ways (``prev``/``next``), a reference
    cycle that only the garbage collector frees: a megabyte document (a long comment
    or string is one token) then outlives its request until the next collection, which
    in the backend's tuned collector (embedded.tune_collector) is hundreds of such
    requests later. Unlinked, it goes when its request does.
    """
    token = document.loc.start_token if document.loc is not None else None
    while token is not None:
        token.prev, token.next, token = None, None, token.next
