"""What a teacher's growth and the district views share: a resource the services named, by id."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from mypd_graph.schema.context import Info

if TYPE_CHECKING:
    from mypd_graph.schema.resources import Resource

LazyResource = Annotated["Resource", strawberry.lazy("mypd_graph.schema.resources")]


async def resource_of(info: Info, resource_id: int) -> LazyResource:
    from mypd_graph.schema import resources

    resource = await resources.resource_by_id(info, resource_id)
    assert resource is not None  # read from the resource table by the service
    return resource
