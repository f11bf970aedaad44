"""PD resources offered by provider plugins, filtered by element, subject and format."""

from __future__ import annotations

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.relay import Node


@strawberry.type
class Resource(Node):
    title: str


async def resource_by_id(info: Info, resource_id: int | None) -> Resource | None:
    return None
