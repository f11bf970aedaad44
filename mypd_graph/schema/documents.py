"""Parsed and validated documents cached by their hash, and persisted queries (Apollo's APQ).

Clients send the same few documents over and over; parsing, the document bounds of
:mod:`.limits` and graphql-core's validation cost about as much as executing a small query. A
document that passed all three is kept, by the SHA-256 of its text, in a bounded LRU cache of the
schema (:class:`DocumentCache`), and the next request with the same text skips them. Only
documents that passed are kept: a refused document is checked again, and refused again, on every
send. What depends on the request is still checked on every request: the variables' text (NUL
bytes, lone surrogates), the operation type allowed by the HTTP method, and every access rule,
which lives in the resolvers and the services, not in the document.

Persisted queries follow Apollo's automatic persisted queries protocol: a request whose
``extensions.persistedQuery`` is ``{"version": 1, "sha256Hash": "<hex>"}`` may leave out its
``query``. When the hash names a document of the cache it runs; otherwise the answer is the
``PersistedQueryNotFound`` error (HTTP 200) and the client sends the document again with its hash,
which registers it once it passes. The cache is per process, so with several workers a client may
be told ``PersistedQueryNotFound`` once per worker.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from weakref import WeakKeyDictionary

import strawberry
from graphql import DocumentNode
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.extensions import SchemaExtension

from mypd_graph.schema.limits import DocumentLimits, check_document, check_literals, check_variables

MAX_DOCUMENTS = 512  # distinct documents kept per process; a client app sends a few dozen
MAX_TEXT = 8_000_000  # characters of document text kept in all (their trees grow with the text)
MAX_DOCUMENT_TEXT = 65_536  # a longer document is checked on every send, never kept
NOT_FOUND = "PersistedQueryNotFound"
NOT_FOUND_CODE = "PERSISTED_QUERY_NOT_FOUND"


def document_hash(query: str) -> str:
    """The key of a document: the hex SHA-256 of its text, as APQ clients compute it."""
    return hashlib.sha256(query.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class CachedDocument:
    query: str
    document: DocumentNode


class DocumentCache:
    """Documents that passed parsing, the bounds and validation, by hash; least recently used
    dropped past ``max_documents`` or ``max_text`` characters in all, and none longer than
    ``max_document_text`` kept. One per schema: validation depends on the schema's rules."""

    def __init__(
        self,
        max_documents: int = MAX_DOCUMENTS,
        max_text: int = MAX_TEXT,
        max_document_text: int = MAX_DOCUMENT_TEXT,
    ) -> None:
        self.max_documents = max_documents
        self.max_text = max_text
        self.max_document_text = max_document_text
        self.text = 0  # characters of the documents kept
        self._entries: OrderedDict[str, CachedDocument] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def get(self, key: str) -> CachedDocument | None:
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        return entry

    def put(self, key: str, query: str, document: DocumentNode) -> None:
        if len(query) > self.max_document_text or key in self._entries:
            return
        self._entries[key] = CachedDocument(query, document)
        self.text += len(query)
        while len(self._entries) > self.max_documents or self.text > self.max_text:
            _, dropped = self._entries.popitem(last=False)
            self.text -= len(dropped.query)


_CACHES: WeakKeyDictionary[strawberry.Schema, DocumentCache] = WeakKeyDictionary()


def attach_cache(schema: strawberry.Schema, cache: DocumentCache) -> strawberry.Schema:
    """Record ``cache`` as the schema's, for the view's persisted queries (:func:`cache_of`)."""
    _CACHES[schema] = cache
    return schema


def cache_of(schema: strawberry.Schema) -> DocumentCache | None:
    return _CACHES.get(schema)


class CachedDocuments(SchemaExtension):
    """Parse, bounds and validation once per document text (replaces the bounds extension).

    A miss runs as before: Strawberry parses (with MaxTokensLimiter's token bound), the bounds
    of :mod:`.limits` and the literals' text are checked, and only then do the validation rules
    run; the document is kept when all passed. A hit takes the kept document and checks only the
    variables."""

    def __init__(self, *, cache: DocumentCache, limits: DocumentLimits) -> None:
        self.cache = cache
        self.limits = limits
        self._key: str | None = None
        self._hit = False

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None and context.query:
            self._key = document_hash(context.query)
            entry = self.cache.get(self._key)
            if entry is not None and entry.query == context.query:
                context.graphql_document = entry.document  # Strawberry then skips its parse
                self._hit = True
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.pre_execution_errors is None:
            if self._hit:
                error = check_variables(context.variables)
                # An empty list tells Strawberry validation has run; it has, for this text.
                context.pre_execution_errors = [error] if error else []
            else:
                error = (
                    check_document(context.schema._schema, document, self.limits)
                    or check_literals(document)
                    or check_variables(context.variables)
                )
                if error is not None:
                    # Strawberry skips its validation when an extension has already found errors.
                    context.pre_execution_errors = [error]
        yield
        if (
            not self._hit
            and self._key is not None
            and document is not None
            and context.query
            and context.pre_execution_errors == []
        ):
            self.cache.put(self._key, context.query, document)


# --- persisted queries (the view calls these; see app.MypdGraphQL) ----------------------------


class PersistedQueryError(Exception):
    """A persisted-query request the view answers with ``code`` (HTTP ``status``)."""

    def __init__(self, message: str, code: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def persisted_hash(extensions: object) -> str | None:
    """The hash of ``extensions.persistedQuery``, or None when the request has none; raises
    PersistedQueryError for one this server does not understand."""
    if not isinstance(extensions, dict) or extensions.get("persistedQuery") is None:
        return None
    persisted = extensions["persistedQuery"]
    if not isinstance(persisted, dict) or persisted.get("version") != 1:
        raise PersistedQueryError(
            "persistedQuery must be an object with version 1", "PERSISTED_QUERY_NOT_SUPPORTED", 400
        )
    sha = persisted.get("sha256Hash")
    if not isinstance(sha, str) or len(sha) != 64:
        raise PersistedQueryError(
            "persistedQuery.sha256Hash must be the hex SHA-256 of the document",
            "BAD_REQUEST",
            400,
        )
    return sha.lower()


def resolve_persisted(cache: DocumentCache, query: str | None, extensions: object) -> str | None:
    """The document text a request runs: its own (checked against its hash when it sends one),
    or the cached document its hash names; PersistedQueryError when the hash is unknown."""
    sha = persisted_hash(extensions)
    if sha is None:
        return query
    if query:
        if document_hash(query) != sha:
            raise PersistedQueryError(
                "provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH", 400
            )
        return query  # registered in the cache once it passes validation
    entry = cache.get(sha)
    if entry is None:
        raise PersistedQueryError(NOT_FOUND, NOT_FOUND_CODE, 200)
    return entry.query


class PersistedQueryBodies:
    """In front of the HTTP guard: a POSTed JSON operation that sends a persisted query's hash
    without its document gets ``"query": ""`` added, so that it reaches the view (which finds
    the document by the hash, or answers PersistedQueryNotFound) instead of being refused as a
    request without a query. The body is read when the guard reads it (so within its time
    limit), at most ``limit`` + 1 bytes at a time (the guard refuses anything longer)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
        if b"application/json" not in content_type:
            await self.app(scope, receive, send)
            return
        await self.app(scope, self._rewriting(receive), send)

    def _rewriting(self, receive: Receive) -> Receive:
        done = False

        async def rewritten() -> Message:
            nonlocal done
            if done:
                return await receive()
            done = True
            chunks: list[bytes] = []
            size = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return message  # a disconnect: the guard answers it
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
                if size > self.limit or not message.get("more_body", False):
                    break
            body = b"".join(chunks)
            more = size > self.limit and message.get("more_body", False)
            if size <= self.limit and b"persistedQuery" in body:
                body = _with_empty_query(body)  # (over the limit: the guard answers 413)
            return {"type": "http.request", "body": body, "more_body": more}

        return rewritten


def _with_empty_query(body: bytes) -> bytes:
    try:
        payload: Any = json.loads(body)
    except (ValueError, RecursionError):
        return body  # the guard says what is wrong with it
    if (
        isinstance(payload, dict)
        and payload.get("query") is None
        and isinstance(payload.get("extensions"), dict)
        and payload["extensions"].get("persistedQuery") is not None
    ):
        payload["query"] = ""
        return json.dumps(payload).encode()
    return body
