"""Frameworks, their rating levels, standards tree, versions and crosswalks; importing CASE."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from mypd_graph import models
from mypd_graph.case import admin as case_admin
from mypd_graph.case.store import ImportResult
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.relay import Connection, Node, connection, node_loader, to_global_id
from mypd_graph.services.common import paginate
from mypd_graph.services.frameworks import crosswalks, versions
from mypd_graph.services.frameworks import registry as service


@strawberry.type(description="One level of a framework's rating scale; position 1 is the lowest.")
class RatingLevel(Node):
    key: str
    label: str
    description: str
    position: int

    @classmethod
    def from_row(cls, row: models.RatingLevel) -> RatingLevel:
        return cls(
            id=to_global_id("RatingLevel", row.id),
            key=row.key,
            label=row.label,
            description=row.description,
            position=row.position,
        )


@strawberry.type(description="A statement below the rated level: read, never rated.")
class Indicator:
    code: str
    text: str
    identifier: str | None
    db_id: strawberry.Private[int]

    @strawberry.field(description="The indicators under this one, in order.")
    async def indicators(self, info: Info) -> list[Indicator]:
        rows = await info.context.public_loader(service.elements_by_standard).load(self.db_id)
        return [Indicator.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Standard) -> Indicator:
        return cls(code=row.code, text=row.text, identifier=row.identifier, db_id=row.id)


@strawberry.type(description="An element of a standard: what teachers choose, rate and grow in.")
class Element(Node):
    code: str
    text: str
    retired: bool
    identifier: str | None = strawberry.field(
        default=None, description="Its CASE identifier (a UUID)."
    )
    db_id: strawberry.Private[int]
    framework_id: strawberry.Private[int]

    @strawberry.field(
        description="What the element breaks down into, below the rated level (a CASE "
        "framework's indicators or components), in order; empty for most frameworks."
    )
    async def indicators(self, info: Info) -> list[Indicator]:
        rows = await info.context.public_loader(service.elements_by_standard).load(self.db_id)
        return [Indicator.from_row(row) for row in rows]

    @strawberry.field(description="The framework the element belongs to.")
    async def framework(self, info: Info) -> Framework | None:
        row = await info.context.public_loader(service.frameworks_by_ids).load(self.framework_id)
        return Framework.from_row(row) if row else None

    @strawberry.field(
        description="Crosswalk rows from or to this element: which elements of other frameworks "
        "(or of a later version) stand for it."
    )
    async def crosswalk(self, info: Info) -> list[CrosswalkLink]:
        rows = await info.context.public_loader(crosswalks.crosswalks_by_element).load(self.db_id)
        return [CrosswalkLink.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.Standard) -> Element:
        return cls(
            id=to_global_id("Element", row.id),
            code=row.code,
            text=row.text,
            retired=row.retired,
            identifier=row.identifier,
            db_id=row.id,
            framework_id=row.framework_id,
        )


@strawberry.type(
    description="A standard of a framework: its elements (the rated level) and, in deeper "
    "frameworks (domains → standards → elements), its sub-standards, in order."
)
class Standard(Node):
    code: str
    title: str
    identifier: str | None = strawberry.field(
        default=None, description="Its CASE identifier (a UUID)."
    )
    db_id: strawberry.Private[int]

    @strawberry.field(description="Its elements (the level teachers are rated on), in order.")
    async def elements(self, info: Info) -> list[Element]:
        rows = await info.context.public_loader(service.elements_by_standard).load(self.db_id)
        return [Element.from_row(row) for row in rows if row.is_element]

    @strawberry.field(description="Standards under this one (empty in a two-level framework).")
    async def standards(self, info: Info) -> list[Standard]:
        rows = await info.context.public_loader(service.elements_by_standard).load(self.db_id)
        return [Standard.from_row(row) for row in rows if not row.is_element]

    @classmethod
    def from_row(cls, row: models.Standard) -> Standard:
        return cls(
            id=to_global_id("Standard", row.id),
            code=row.code,
            title=row.text,
            identifier=row.identifier,
            db_id=row.id,
        )


@strawberry.type(description="A standards framework, offered by a plugin or imported from CASE.")
class Framework(Node):
    key: str
    name: str
    version: str
    jurisdiction: str
    description: str
    source_url: str
    plugin: str
    source: str = strawberry.field(description="plugin, or case (imported from a CASE package).")
    identifier: str | None = strawberry.field(description="Its CASE document identifier.")
    publisher: str
    adoption_status: str
    db_id: strawberry.Private[int]

    @strawberry.field(description="The rating scale, lowest level first.")
    async def levels(self, info: Info) -> list[RatingLevel]:
        rows = await info.context.public_loader(service.levels_by_framework).load(self.db_id)
        return [RatingLevel.from_row(row) for row in rows]

    @strawberry.field
    async def standards(self, info: Info) -> list[Standard]:
        rows = await info.context.public_loader(service.standards_by_framework).load(self.db_id)
        return [Standard.from_row(row) for row in rows]

    @strawberry.field(description="Its versions as imported, oldest first.")
    async def versions(self, info: Info) -> list[FrameworkVersion]:
        rows = await info.context.public_loader(versions.versions_by_framework).load(self.db_id)
        return [FrameworkVersion.from_row(row) for row in rows]

    @strawberry.field(description="Crosswalk rows from or to its elements.")
    async def crosswalks(
        self, info: Info, first: int = 50, after: str | None = None
    ) -> Connection[CrosswalkLink]:
        statement = crosswalks.crosswalk_statement(self.db_id)
        async with info.context.sessionmaker() as session:
            page = await paginate(session, statement, models.Crosswalk.id, first, after)
        return connection(page, CrosswalkLink.from_row)

    @classmethod
    def from_row(cls, row: models.Framework) -> Framework:
        return cls(
            id=to_global_id("Framework", row.id),
            key=row.key,
            name=row.name,
            version=row.version,
            jurisdiction=row.jurisdiction,
            description=row.description,
            source_url=row.source_url,
            plugin=row.plugin,
            source=row.source,
            identifier=row.identifier,
            publisher=row.publisher,
            adoption_status=row.adoption_status,
            db_id=row.id,
        )


@strawberry.type(description="An element whose statement a version changed.")
class ElementChange:
    code: str
    before: str
    after: str


@strawberry.type(description="One version of a framework: what it added, retired and changed.")
class FrameworkVersion:
    version: str
    written_at: datetime
    added: list[str] = strawberry.field(description="Codes of the elements it added.")
    retired: list[str] = strawberry.field(
        description="Codes of the elements it retired (kept, with their ratings and goals)."
    )
    changed: list[ElementChange]

    @classmethod
    def from_row(cls, row: models.FrameworkVersion) -> FrameworkVersion:
        return cls(
            version=row.version,
            written_at=row.written_at,
            added=list(row.added),
            retired=list(row.retired),
            changed=[ElementChange(**change) for change in row.changed],
        )


@strawberry.type(
    description="A crosswalk row: fromElement maps to toElement by relation (exactMatchOf, "
    "isRelatedTo, replacedBy)."
)
class CrosswalkLink:
    relation: str
    source: str = strawberry.field(description="csv, a plugin, or case:<framework key>.")
    from_id: strawberry.Private[int]
    to_id: strawberry.Private[int]

    @strawberry.field
    async def from_element(self, info: Info) -> Element | None:
        return await element_by_id(info, self.from_id)

    @strawberry.field
    async def to_element(self, info: Info) -> Element | None:
        return await element_by_id(info, self.to_id)

    @classmethod
    def from_row(cls, row: models.Crosswalk) -> CrosswalkLink:
        return cls(
            relation=row.relation,
            source=row.source,
            from_id=row.from_element_id,
            to_id=row.to_element_id,
        )


@node_loader("RatingLevel")
async def level_by_id(info: Info, level_id: int | None) -> RatingLevel | None:
    if level_id is None:
        return None
    row = await info.context.public_loader(service.levels_by_ids).load(level_id)
    return RatingLevel.from_row(row) if row else None


@node_loader("Framework")
async def framework_by_id(info: Info, framework_id: int | None) -> Framework | None:
    if framework_id is None:
        return None
    row = await info.context.public_loader(service.frameworks_by_ids).load(framework_id)
    return Framework.from_row(row) if row else None


@node_loader("Element")
async def element_by_id(info: Info, element_id: int) -> Element | None:
    row = await info.context.public_loader(service.standards_by_ids).load(element_id)
    return Element.from_row(row) if row and row.is_element else None


@node_loader("Standard")
async def standard_by_id(info: Info, standard_id: int) -> Standard | None:
    row = await info.context.public_loader(service.standards_by_ids).load(standard_id)
    return Standard.from_row(row) if row and not row.is_element else None


@strawberry.type
class Query:
    @strawberry.field(
        description="Every framework: those the installed plugins offer and those imported "
        "from CASE packages."
    )
    async def frameworks(self, info: Info) -> list[Framework]:
        rows = await info.context.read(lambda session, actor: service.all_frameworks(session))
        return [Framework.from_row(row) for row in rows]

    @strawberry.field(description="One framework by key, e.g. cstp-2009.")
    async def framework(self, info: Info, key: str) -> Framework | None:
        row = await info.context.read(lambda session, actor: service.framework_by_key(session, key))
        return Framework.from_row(row) if row else None


@strawberry.input(description="A CASE 1.0/1.1 CFPackage (JSON), sent as a multipart upload.")
class ImportCaseFrameworkInput:
    file: Upload
    key: str | None = strawberry.field(
        default=None, description="The framework's key (default: from the title and version)."
    )
    rated_level: str | None = strawberry.field(
        default=None,
        description="The level teachers are rated on: a number (1 = the top) or a CFItemType. "
        "Default: the items the package's rubric names, else the leaves.",
    )
    levels: list[str] | None = strawberry.field(
        default=None, description="Rating levels, lowest first, when the package has no rubric."
    )


@strawberry.type
class ImportCaseFrameworkPayload:
    framework: Framework | None
    changed: bool = strawberry.field(description="False when the same package was imported.")
    notes: list[str] = strawberry.field(description="What was left out, and why.")
    user_errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="A district admin imports a CASE package as a framework any district can "
        "activate (re-importing the same package changes nothing). Refused packages come back "
        "as one userError saying why."
    )
    async def import_case_framework(
        self, info: Info, input: ImportCaseFrameworkInput
    ) -> ImportCaseFrameworkPayload:
        actor = info.context.actor
        upload: Any = input.file

        async def work(session: AsyncSession) -> ImportResult:
            return await case_admin.import_upload(
                session,
                actor,
                await case_admin.read_upload(upload.file),
                key=input.key,
                rated_level=input.rated_level,
                levels=input.levels,
            )

        result, errors = await run_mutation(info, work)
        if result is None:
            return ImportCaseFrameworkPayload(
                framework=None, changed=False, notes=[], user_errors=errors
            )
        return ImportCaseFrameworkPayload(
            framework=Framework.from_row(result.framework),
            changed=result.changed,
            notes=result.notes,
            user_errors=[],
        )
