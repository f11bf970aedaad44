"""PD resources offered by provider plugins, filtered by element, subject and format."""

from __future__ import annotations

import strawberry

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.frameworks import Element
from mypd_graph.schema.relay import Connection, Node, connection, node_loader, to_global_id
from mypd_graph.services.resources import library as service
from mypd_graph.services.resources.library import ResourceFilter


@strawberry.type(description="A PD resource (course, video, workshop) aligned to elements.")
class Resource(Node):
    title: str
    url: str
    format: str
    description: str
    subjects: list[str]
    grade_band: str
    duration_minutes: int | None
    provider: str = strawberry.field(description="Name of the resource provider that offers it.")
    db_id: strawberry.Private[int]

    @strawberry.field(description="The standards elements the resource helps teachers grow in.")
    async def elements(self, info: Info) -> list[Element]:
        rows = await info.context.public_loader(service.elements_by_resource).load(self.db_id)
        return [Element.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Resource) -> Resource:
        return cls(
            id=to_global_id("Resource", row.id),
            title=row.title,
            url=row.url,
            format=row.format,
            description=row.description,
            subjects=list(row.subjects),
            grade_band=row.grade_band,
            duration_minutes=row.duration_minutes,
            provider=row.provider,
            db_id=row.id,
        )


@node_loader("Resource")
async def resource_by_id(info: Info, resource_id: int | None) -> Resource | None:
    if resource_id is None:
        return None
    row = await info.context.public_loader(service.resources_by_ids).load(resource_id)
    return Resource.from_row(row) if row else None


@strawberry.input(description="Narrow the resource catalog; all given filters must match.")
class ResourceFilterInput:
    element_code: str | None = strawberry.field(
        default=None, description="An element code of the district's active framework, e.g. 1.1."
    )
    subject: str | None = strawberry.field(default=None, description="One subject, any case.")
    format: str | None = strawberry.field(default=None, description="e.g. course, video, workshop.")
    search: str | None = strawberry.field(
        default=None, description="Text found in the title or description, any case."
    )

    def to_filter(self) -> ResourceFilter:
        return ResourceFilter(
            element_code=self.element_code,
            subject=self.subject,
            format=self.format,
            search=self.search,
        )


@strawberry.type
class Query:
    @strawberry.field(description="The PD resource catalog, filtered; any signed-in user.")
    async def resources(
        self,
        info: Info,
        where: ResourceFilterInput | None = None,
        first: int = 25,
        after: str | None = None,
    ) -> Connection[Resource]:
        page = await info.context.read(
            service.resource_page, (where or ResourceFilterInput()).to_filter(), first, after
        )
        return connection(page, Resource.from_row)
