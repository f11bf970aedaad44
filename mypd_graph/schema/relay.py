"""Relay conventions: global IDs, the Node interface, cursor connections with a bounded ``first``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import strawberry

from mypd_graph.ids import from_global_id
from mypd_graph.ids import to_global_id as to_global_id
from mypd_graph.services.common import MAX_PAGE_SIZE, Page, encode_cursor
from mypd_graph.services.errors import invalid

T = TypeVar("T")


def decode_id(global_id: str, expected_type: str, field: str | tuple[str, ...]) -> int:
    """The database id behind a global ID of the expected type, or a userError on ``field``."""
    try:
        type_name, db_id = from_global_id(global_id)
    except ValueError as error:
        raise invalid(field, str(error), "BAD_ID") from error
    if type_name != expected_type:
        raise invalid(field, f"expected the ID of a {expected_type}, got a {type_name}", "BAD_ID")
    return db_id


NodeLoader = Callable[[Any, int], Awaitable[Any]]
NODE_LOADERS: dict[str, NodeLoader] = {}


def node_loader(type_name: str) -> Callable[[NodeLoader], NodeLoader]:
    """Register how the ``node`` query fetches one type by database id (scoped to the viewer)."""

    def register(function: NodeLoader) -> NodeLoader:
        NODE_LOADERS[type_name] = function
        return function

    return register


@strawberry.interface(description="An object with a global ID, fetchable with the node query.")
class Node:
    id: strawberry.ID


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description=f"A page of results; ``first`` is at most {MAX_PAGE_SIZE}.")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    _page: strawberry.Private[Page[Any]]

    @strawberry.field(description="All matching items, across every page.")
    async def total_count(self, info: strawberry.Info) -> int:
        return await count_page(info, self._page)

    @strawberry.field
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


async def count_page(info: strawberry.Info, page: Page[Any]) -> int:
    """Every matching item of a page's query, in its own short session (audited when the page
    says so: a count of students discloses student data)."""
    async with info.context.sessionmaker() as session:
        total = int(await session.scalar(page.count_statement) or 0)
        if page.on_count is not None:
            page.on_count(session, total)
            await session.commit()
        return total


def connection(page: Page[Any], convert: Callable[[Any], T]) -> Connection[T]:
    edges = [Edge(cursor=encode_cursor(item_id(row)), node=convert(row)) for row in page.items]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None
        ),
        _page=page,
    )


def item_id(row: Any) -> int:
    return row.id if hasattr(row, "id") else row.user_id
