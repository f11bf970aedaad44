"""The GraphQL schema: one module per domain, merged here into the root types."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.tools import merge_types

from mypd_graph.schema import feedback, frameworks, people, plans, resources, students
from mypd_graph.schema.context import Info
from mypd_graph.schema.relay import NODE_LOADERS, Node, from_global_id
from mypd_graph.settings import Settings


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
DOMAINS = (people, frameworks, plans, feedback, students, resources)


def _parts(kind: str) -> tuple[type, ...]:
    return tuple(getattr(module, kind) for module in DOMAINS if hasattr(module, kind))


Query = merge_types("Query", (NodeQuery, *_parts("Query")))
Mutation = merge_types("Mutation", _parts("Mutation"))


def create_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        extensions=[
            lambda: QueryDepthLimiter(max_depth=settings.max_query_depth),
            lambda: MaxAliasesLimiter(max_alias_count=settings.max_aliases),
            lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        ],
    )
