"""PD resources offered by provider plugins: the synced catalog (filtered by element, subject and
format), live search across providers, the providers themselves, and the admin's catalog refresh.
The rules live in services/resources; resolvers translate."""

from __future__ import annotations

import enum
from datetime import datetime

import strawberry

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.frameworks import Element
from mypd_graph.schema.relay import Connection, Node, connection, node_loader, to_global_id
from mypd_graph.services.errors import PermissionDenied, UserInputError
from mypd_graph.services.frameworks import registry as frameworks_service
from mypd_graph.services.resources import admin, catalogs, search
from mypd_graph.services.resources import library as service
from mypd_graph.services.resources.providers import ProviderInfo, provider_infos

SAMPLE_DESCRIPTION = (
    "True for sample data: an illustrative catalog (the shipped CSTP catalog is one), whose "
    "titles and links are not a real publisher's."
)


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
    sample: bool = strawberry.field(description=SAMPLE_DESCRIPTION)
    retired_at: datetime | None = strawberry.field(
        description="When a sync found that its provider no longer lists it (null: current). "
        "Retired resources are not listed, searched or recommended; plans and training records "
        "that used one still show it."
    )
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
            sample=row.sample,
            retired_at=row.retired_at,
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
    include_retired: bool = strawberry.field(
        default=False, description="Also list resources their provider no longer offers."
    )

    def to_filter(self) -> service.ResourceFilter:
        return service.ResourceFilter(
            element_code=self.element_code,
            subject=self.subject,
            format=self.format,
            search=self.search,
            include_retired=self.include_retired,
        )


# -------------------------------------------------------------------------
# Providers, live search and the catalog refresh
# -------------------------------------------------------------------------


@strawberry.enum(description="How a provider answered: in time, with an error, or not in time.")
class ProviderOutcome(enum.Enum):
    ANSWERED = "answered"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


@strawberry.type(description="A resource provider plugin that is installed.")
class ResourceProvider:
    name: str
    title: str
    plugin: str = strawberry.field(description="The plugin that registered it.")
    sample: bool = strawberry.field(description=SAMPLE_DESCRIPTION)
    notice: str = strawberry.field(description="What the provider says about its data.")
    searches_live: bool = strawberry.field(
        description="True when it answers searches live; false: searched in its synced items."
    )

    @classmethod
    def of(cls, info: ProviderInfo) -> ResourceProvider:
        return cls(
            name=info.name,
            title=info.title,
            plugin=info.plugin,
            sample=info.sample,
            notice=info.notice,
            searches_live=info.searches_live,
        )


@strawberry.input(description="A live search put to every provider; empty fields mean any.")
class ResourceSearchInput:
    text: str = strawberry.field(default="", description="Words to look for.")
    element_codes: list[str] = strawberry.field(
        default_factory=list,
        description="Element codes of the district's active framework; a result fits any of them.",
    )
    subject: str = ""
    grade_band: str = strawberry.field(default="", description="A band such as K-5 or 9-12.")
    format: str = strawberry.field(default="", description="e.g. course, video, workshop.")
    limit: int = strawberry.field(default=25, description="At most this many results, 1 to 50.")


@strawberry.type(description="How one provider answered a search, and what it gave.")
class ProviderAnswer:
    provider: str
    title: str
    outcome: ProviderOutcome
    message: str = strawberry.field(description="Why it did not answer; empty when it did.")
    results: int = strawberry.field(description="Results it gave that fit the search.")
    skipped: int = strawberry.field(description="Results it gave that could not be shown.")
    seconds: float
    live: bool = strawberry.field(description="Asked live; false: searched in its synced items.")


@strawberry.type(description="One result of a live search, merged across providers.")
class ResourceHit:
    title: str
    url: str
    format: str
    description: str
    subjects: list[str]
    grade_band: str
    duration_minutes: int | None
    provider: str = strawberry.field(description="The provider whose record is shown.")
    external_id: str = strawberry.field(description="Its id at that provider.")
    offered_by: list[str] = strawberry.field(
        description="Every provider that offered it (same URL or identifier), first one first."
    )
    sample: bool = strawberry.field(description=SAMPLE_DESCRIPTION)
    element_ids: strawberry.Private[tuple[int, ...]]
    resource_id: strawberry.Private[int | None]

    @strawberry.field(description="The elements it is aligned to.")
    async def elements(self, info: Info) -> list[Element]:
        loader = info.context.public_loader(frameworks_service.standards_by_ids)
        rows = await loader.load_many(list(self.element_ids))
        return [Element.from_row(row) for row in rows if row is not None]

    @strawberry.field(
        description="The resource in the synced catalog (what plans link to); null when its "
        "provider has not listed it in a sync."
    )
    async def resource(self, info: Info) -> Resource | None:
        return await resource_by_id(info, self.resource_id)

    @classmethod
    def of(cls, hit: search.Hit) -> ResourceHit:
        record = hit.record
        return cls(
            title=record.title.strip(),
            url=record.url.strip(),
            format=record.format.strip().lower(),
            description=record.description,
            subjects=[s.strip() for s in record.subjects if s.strip()],
            grade_band=record.grade_band.strip(),
            duration_minutes=record.duration_minutes,
            provider=hit.provider,
            external_id=record.external_id.strip(),
            offered_by=list(hit.offered_by),
            sample=hit.sample,
            element_ids=hit.element_ids,
            resource_id=hit.resource_id,
        )


@strawberry.type(description="A live search's results and how every provider answered.")
class ResourceSearch:
    hits: list[ResourceHit]
    providers: list[ProviderAnswer]
    not_answered: list[str] = strawberry.field(
        description="Providers that failed or were cut off at the timeout; the hits are "
        "incomplete by what they would have given."
    )


@strawberry.input
class SyncResourceCatalogsInput:
    providers: list[str] = strawberry.field(
        default_factory=list,
        description="Refresh only these providers; empty: every provider, and retire the items "
        "of providers that are no longer installed.",
    )


@strawberry.type(description="What a refresh did to one provider's items.")
class CatalogSync:
    provider: str
    outcome: ProviderOutcome
    message: str
    added: int
    updated: int
    retired: int
    revived: int
    unchanged: int
    skipped: int = strawberry.field(description="Records listed that could not be stored.")
    installed: bool = strawberry.field(description="False: no longer installed; items retired.")


@strawberry.type
class SyncResourceCatalogsPayload:
    catalogs: list[CatalogSync] | None
    user_errors: list[UserError]


def _answer(report: search.ProviderReport) -> ProviderAnswer:
    return ProviderAnswer(
        provider=report.provider,
        title=report.title,
        outcome=ProviderOutcome(report.outcome.value),
        message=report.message,
        results=report.results,
        skipped=report.skipped,
        seconds=report.seconds,
        live=report.live,
    )


def _catalog(item: catalogs.CatalogSync) -> CatalogSync:
    return CatalogSync(
        provider=item.provider,
        outcome=ProviderOutcome(item.outcome.value),
        message=item.message,
        added=item.added,
        updated=item.updated,
        retired=item.retired,
        revived=item.revived,
        unchanged=item.unchanged,
        skipped=item.skipped,
        installed=item.installed,
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="The synced PD resource catalog (current resources unless "
        "includeRetired), filtered; any signed-in user."
    )
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

    @strawberry.field(description="Every installed resource provider; any signed-in user.")
    def resource_providers(self, info: Info) -> list[ResourceProvider]:
        info.context.actor  # noqa: B018  (signed in)
        return [ResourceProvider.of(p) for p in provider_infos(info.context.plugins)]

    @strawberry.field(
        description="Search every provider at once (live where it can), merged and "
        "de-duplicated; a provider that fails or exceeds the timeout is named in notAnswered "
        "while the others answer. Any signed-in user."
    )
    async def search_resources(self, info: Info, input: ResourceSearchInput) -> ResourceSearch:
        context = info.context
        query = await context.read(
            search.prepare,
            text=input.text,
            element_codes=input.element_codes,
            subject=input.subject,
            grade_band=input.grade_band,
            format=input.format,
            limit=input.limit,
        )
        timeout = context.settings.resource_search_timeout_seconds
        answers = await search.ask_providers(context.plugins, query, timeout)
        result = await context.read(search.merge, context.plugins, query, answers)
        return ResourceSearch(
            hits=[ResourceHit.of(hit) for hit in result.hits],
            providers=[_answer(report) for report in result.providers],
            not_answered=[report.provider for report in result.not_answered],
        )


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="Refresh the resource catalogs now, without a restart: store what each "
        "provider lists and retire what it no longer lists. District admins; audited."
    )
    async def sync_resource_catalogs(
        self, info: Info, input: SyncResourceCatalogsInput
    ) -> SyncResourceCatalogsPayload:
        context, actor = info.context, info.context.actor
        try:
            admin.may_refresh(actor)
            names = admin.check_providers(context.plugins, input.providers)
        except PermissionDenied as error:
            return SyncResourceCatalogsPayload(
                catalogs=None,
                user_errors=[UserError(field=["input"], message=str(error), code=error.code)],
            )
        except UserInputError as error:
            return SyncResourceCatalogsPayload(
                catalogs=None,
                user_errors=[
                    UserError(field=list(p.field), message=p.message, code=p.code)
                    for p in error.problems
                ],
            )
        timeout = context.settings.resource_sync_timeout_seconds
        answers = await catalogs.list_catalogs(context.plugins, timeout, names)
        report, errors = await run_mutation(
            info,
            lambda session: admin.refresh_catalogs(
                session, actor, context.plugins, answers, every_provider=not names
            ),
        )
        items = [_catalog(c) for c in report.catalogs] if report is not None else None
        return SyncResourceCatalogsPayload(catalogs=items, user_errors=errors)
