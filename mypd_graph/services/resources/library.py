"""PD resources: reading the synced catalog back (lists, filters, loaders).

Resources are a public catalog shared by every district: every signed-in user may read them.
Retired items (a sync found their provider no longer lists them, :mod:`.catalogs`) are left out of
lists and searches but stay readable by id, where past plans and training records refer to them.
Syncing lives in :mod:`.catalogs` (:func:`sync_resources` is re-exported here for its callers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Resource, ResourceElement, Standard
from mypd_graph.services.access import Actor
from mypd_graph.services.common import Page, group_by_key, one_by_key, paginate
from mypd_graph.services.frameworks import registry as frameworks
from mypd_graph.services.inputs import search_pattern
from mypd_graph.services.resources.catalogs import sync_resources

__all__ = ["ResourceFilter", "resource_page", "sync_resources"]


# -------------------------------------------------------------------------
# Reading
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceFilter:
    element_code: str | None = None
    subject: str | None = None
    format: str | None = None
    search: str | None = None
    include_retired: bool = False
    element_codes: tuple[str, ...] = ()  # any of them (live search's form of element_code)


def _has_subject(session: AsyncSession, subject: str) -> ColumnElement[bool]:
    """``subject`` is one of the resource's subjects (any case); JSON arrays differ by dialect."""
    if session.get_bind().dialect.name == "postgresql":
        items = func.json_array_elements_text(Resource.subjects).table_valued("value")
    else:
        items = func.json_each(Resource.subjects).table_valued("value")
    return exists(select(1).select_from(items).where(func.lower(items.c.value) == subject.lower()))


async def _element_condition(
    session: AsyncSession, actor: Actor, codes: Sequence[str]
) -> ColumnElement[bool]:
    """Aligned to an element with one of these codes in the district's active framework (any
    framework when the district has none active), since codes such as ``1.1`` repeat across
    frameworks."""
    elements = select(Standard.id).where(Standard.code.in_(codes), Standard.is_element.is_(True))
    active = await frameworks.active_framework(session, actor.district_id)
    if active is not None:
        elements = elements.where(Standard.framework_id == active.id)
    aligned = select(ResourceElement.resource_id).where(ResourceElement.element_id.in_(elements))
    return Resource.id.in_(aligned)


async def filtered(
    session: AsyncSession, actor: Actor, where: ResourceFilter, field: str = "where"
) -> Select[tuple[Resource]]:
    """The catalog's rows that match every given filter; current ones unless asked otherwise."""
    statement = select(Resource)
    if not where.include_retired:
        statement = statement.where(Resource.retired_at.is_(None))
    codes = [c.strip() for c in (*where.element_codes, where.element_code or "") if c.strip()]
    if codes:
        statement = statement.where(await _element_condition(session, actor, codes))
    if where.subject and where.subject.strip():
        statement = statement.where(_has_subject(session, where.subject.strip()))
    if where.format and where.format.strip():
        statement = statement.where(Resource.format == where.format.strip().lower())
    pattern = search_pattern(where.search, (field, "search"))
    if pattern:
        statement = statement.where(
            or_(
                Resource.title.ilike(pattern, escape="\\"),
                Resource.description.ilike(pattern, escape="\\"),
            )
        )
    return statement


async def resource_page(
    session: AsyncSession, actor: Actor, where: ResourceFilter, first: int, after: str | None
) -> Page[Resource]:
    statement = await filtered(session, actor, where)
    return await paginate(session, statement, Resource.id, first, after)


async def resources_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Resource | None]:
    rows = await session.scalars(select(Resource).where(Resource.id.in_(ids)))
    return one_by_key(rows, ids, lambda row: row.id)


async def elements_by_resource(
    session: AsyncSession, resource_ids: Sequence[int]
) -> list[list[Standard]]:
    rows = await session.execute(
        select(ResourceElement.resource_id, Standard)
        .join(Standard, Standard.id == ResourceElement.element_id)
        .where(ResourceElement.resource_id.in_(resource_ids))
        .order_by(Standard.framework_id, Standard.parent_id, Standard.position)
    )
    grouped = group_by_key(list(rows), resource_ids, lambda row: row[0])
    return [[row[1] for row in group] for group in grouped]
