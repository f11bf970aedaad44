"""The GraphQL schema: one module or package per domain, merged here into the root types."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator

import strawberry
from graphql import GraphQLSyntaxError
from strawberry.extensions import DisableIntrospection, MaxTokensLimiter, SchemaExtension
from strawberry.tools import merge_types

from mypd_graph.observability.graphql import ObservedOperations
from mypd_graph.schema import (
    classroom,
    events,
    feedback,
    frameworks,
    imports,
    insights,
    people,
    personalization,
    plans,
    privacy,
    resources,
    sign_in,
    students,
)
from mypd_graph.schema.context import Info
from mypd_graph.schema.documents import CachedDocuments, DocumentCache, attach_cache
from mypd_graph.schema.limits import DocumentLimits
from mypd_graph.schema.relay import NODE_LOADERS, Node, from_global_id
from mypd_graph.services.errors import NotFound, PermissionDenied, UserInputError
from mypd_graph.settings import Settings

log = logging.getLogger(__name__)


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global ID; null when it is not visible.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        try:
            type_name, db_id = from_global_id(id)
        except ValueError:
            return None
        loader = NODE_LOADERS.get(type_name)
        return await loader(info, db_id) if loader else None


# Each domain module may define a ``Query`` and a ``Mutation`` class; their fields are merged here.
DOMAINS = (
    people,
    frameworks,
    plans,
    feedback,
    students,
    resources,
    personalization,
    insights,
    imports,
    classroom,
    sign_in,
    privacy,
    events,
)


def _parts(kind: str) -> tuple[type, ...]:
    return tuple(getattr(module, kind) for module in DOMAINS if hasattr(module, kind))


Query = merge_types("Query", (NodeQuery, *_parts("Query")))
Mutation = merge_types("Mutation", _parts("Mutation"))


class ErrorCodes(SchemaExtension):
    """Give every error a machine-readable ``extensions.code`` (and ``field`` for bad input);
    in production, hide the text of unexpected errors, which may name internals."""

    def __init__(self, *, mask_internal: bool) -> None:
        self.mask_internal = mask_internal

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors or []) if result else []:
            original = error.original_error
            extensions = dict(error.extensions or {})
            if isinstance(original, UserInputError):
                extensions["code"] = original.problems[0].code
                extensions["field"] = list(original.problems[0].field)
            elif isinstance(original, PermissionDenied | NotFound):
                extensions["code"] = original.code
            elif isinstance(original, PermissionError):
                extensions["code"] = "UNAUTHENTICATED"
            elif error.path is None and error.message.startswith("Variable '$"):
                # A variable that cannot be coerced to its type: the client's to fix, not ours.
                extensions["code"] = "BAD_USER_INPUT"
            elif original is not None:
                log.error("unexpected error in %s", error.path, exc_info=original)
                extensions["code"] = "INTERNAL"
                if self.mask_internal:
                    error.message = "internal error; it has been logged"
            elif isinstance(error, GraphQLSyntaxError) or error.message.startswith("Syntax Error"):
                extensions.setdefault("code", "GRAPHQL_PARSE_FAILED")
            else:
                extensions.setdefault("code", "GRAPHQL_VALIDATION_FAILED")
            error.extensions = extensions


# graphql-core's guess at the name a client meant: " Did you mean 'a', 'b', or 'c'?" (names hold
# no "?"). Mostly it ends the message; a variable's error may go on ("... Found: {...}").
SUGGESTION = re.compile(r" ?Did you mean [^?]*\?")


class HideSuggestions(SchemaExtension):
    """Drop graphql-core's "Did you mean 'x'?" from every error: with introspection off, guessed
    names would otherwise map the schema one typo at a time. graphql-core can omit them
    (``hide_suggestions``) but Strawberry does not pass it, and its ``disable_field_suggestions``
    covers unknown fields only, not arguments, types, enum values or input fields."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        for error in (result.errors or []) if result else []:
            error.message = SUGGESTION.sub("", error.message)


def create_schema(settings: Settings | None = None) -> strawberry.Schema:
    """The schema with the document bounds, error codes and, as configured, without
    introspection and name suggestions (both off by default in production)."""
    settings = settings or Settings()
    limits = DocumentLimits(
        max_depth=settings.max_query_depth,
        max_aliases=settings.max_aliases,
        max_cost=settings.max_query_cost,
        max_selections=settings.max_selections,
        max_fragment_spreads=settings.max_fragment_spreads,
    )
    documents = DocumentCache()  # parsed and validated documents, by hash (schema/documents.py)
    extensions: list[Callable[[], SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: CachedDocuments(cache=documents, limits=limits),
        # Before ErrorCodes: it reads the codes that extension assigns, on the way out.
        ObservedOperations,
        lambda: ErrorCodes(mask_internal=settings.is_production),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    if not settings.field_suggestions_enabled:
        extensions.append(HideSuggestions)
    schema = strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions)
    return attach_cache(schema, documents)
