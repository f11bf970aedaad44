"""PD resources: syncing provider plugins' catalogs into the database, and reading them back.

Providers are third-party code, so :func:`sync_resources` trusts nothing they hand over: a provider
that raises is logged by name and skipped, a record that cannot be stored (unknown framework or
element codes, missing or over-long fields) is logged by provider and record and skipped, and the
rest of the catalog still syncs. Resources are a public catalog: every signed-in user may read them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Framework, Resource, ResourceElement, Standard
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.plugins.types import ResourceProvider, ResourceRecord
from mypd_graph.services.access import Actor
from mypd_graph.services.common import Page, group_by_key, one_by_key, paginate
from mypd_graph.services.frameworks import registry as frameworks
from mypd_graph.services.inputs import search_pattern

log = logging.getLogger(__name__)

# Column widths of models.Resource: a longer value would fail the insert (on PostgreSQL).
MAX_LENGTHS = {"external_id": 200, "title": 300, "url": 1000, "format": 32, "grade_band": 32}


# -------------------------------------------------------------------------
# Sync
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Aligned:
    """A record that passed every check, with its framework and element ids resolved."""

    record: ResourceRecord
    framework_id: int
    element_ids: frozenset[int]

    def values(self) -> dict[str, Any]:
        record = self.record
        return {
            "framework_id": self.framework_id,
            "title": record.title.strip(),
            "url": record.url.strip(),
            "format": record.format.strip().lower(),
            "description": record.description,
            "subjects": list(dict.fromkeys(s.strip() for s in record.subjects if s.strip())),
            "grade_band": record.grade_band.strip(),
            "duration_minutes": record.duration_minutes,
        }


def _problem(record: object) -> str | None:
    """Why a record cannot be stored, or ``None`` when its shape is fine."""
    if not isinstance(record, ResourceRecord):
        return f"expected a ResourceRecord, got {type(record).__name__}"
    texts = ("external_id", "title", "framework_key", "url", "format", "description", "grade_band")
    for name in texts:
        if not isinstance(getattr(record, name), str):
            return f"{name} must be a string"
    for name in ("external_id", "title", "framework_key", "format"):
        if not getattr(record, name).strip():
            return f"{name} is empty"
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(record, name).strip()) > limit:
            return f"{name} is longer than {limit} characters"
    if not all(isinstance(code, str) for code in record.element_codes):
        return "element_codes must be strings"
    if isinstance(record.subjects, str) or not all(isinstance(s, str) for s in record.subjects):
        return "subjects must be a sequence of strings"
    minutes = record.duration_minutes
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)):
        return "duration_minutes must be a whole number"
    if minutes is not None and minutes < 0:
        return "duration_minutes must not be negative"
    return None


class _Catalog:
    """Framework and element ids by key and code, loaded once per framework per sync."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.frameworks: dict[str, int] | None = None
        self.elements: dict[int, dict[str, int]] = {}

    async def framework_id(self, key: str) -> int | None:
        if self.frameworks is None:
            rows = await self.session.execute(select(Framework.key, Framework.id))
            self.frameworks = {row.key: row.id for row in rows}
        return self.frameworks.get(key)

    async def element_ids(self, framework_id: int) -> dict[str, int]:
        if framework_id not in self.elements:
            rows = await self.session.execute(
                select(Standard.code, Standard.id).where(
                    Standard.framework_id == framework_id, Standard.is_element.is_(True)
                )
            )
            self.elements[framework_id] = {row.code: row.id for row in rows}
        return self.elements[framework_id]


async def _align(provider: str, records: Sequence[object], catalog: _Catalog) -> list[_Aligned]:
    """The records that can be stored; every other one is logged with the reason and skipped."""
    aligned: dict[str, _Aligned] = {}
    for record in records:
        name = getattr(record, "external_id", "?")
        problem = _problem(record)
        if problem is None:
            assert isinstance(record, ResourceRecord)
            framework_id = await catalog.framework_id(record.framework_key)
            if record.external_id.strip() in aligned:
                problem = "listed twice by the provider; the first one is kept"
            elif framework_id is None:
                problem = f"unknown framework {record.framework_key!r}"
            else:
                known = await catalog.element_ids(framework_id)
                codes = [code.strip() for code in record.element_codes]
                unknown = [code for code in dict.fromkeys(codes) if code not in known]
                if unknown:
                    problem = (
                        f"unknown element code(s) of {record.framework_key}: {', '.join(unknown)}"
                    )
                else:
                    ids = frozenset(known[code] for code in codes)
                    aligned[record.external_id.strip()] = _Aligned(record, framework_id, ids)
        if problem is not None:
            log.warning("resource provider %s: record %r skipped: %s", provider, name, problem)
    return list(aligned.values())


async def _store(session: AsyncSession, provider: str, records: Sequence[_Aligned]) -> int:
    """Insert or update one provider's records; returns how many were new or changed."""
    existing = {
        row.external_id: row
        for row in await session.scalars(select(Resource).where(Resource.provider == provider))
    }
    changed: set[str] = set()
    for item in records:
        external_id = item.record.external_id.strip()
        row = existing.get(external_id)
        if row is None:
            row = Resource(provider=provider, external_id=external_id, **item.values())
            session.add(row)
            existing[external_id] = row
            changed.add(external_id)
            continue
        for attribute, value in item.values().items():
            if getattr(row, attribute) != value:
                setattr(row, attribute, value)
                changed.add(external_id)
    await session.flush()

    ids = [existing[item.record.external_id.strip()].id for item in records]
    links: dict[int, dict[int, ResourceElement]] = {resource_id: {} for resource_id in ids}
    for link in await session.scalars(
        select(ResourceElement).where(ResourceElement.resource_id.in_(ids))
    ):
        links[link.resource_id][link.element_id] = link
    for resource_id, item in zip(ids, records, strict=True):
        have, want = links[resource_id], item.element_ids
        if have.keys() == want:
            continue
        changed.add(item.record.external_id.strip())
        for element_id in have.keys() - want:
            await session.delete(have[element_id])
        session.add_all(
            ResourceElement(resource_id=resource_id, element_id=element_id)
            for element_id in want - have.keys()
        )
    await session.flush()
    return len(changed)


async def sync_resources(session: AsyncSession, plugins: PluginSet) -> dict[str, int]:
    """Upsert every provider's catalog by (provider, external_id); ``{provider: records changed}``.

    Idempotent: a second sync of the same catalogs changes nothing and reports 0 for each provider.
    A provider that raises is logged and left out of the result; resources it synced earlier stay
    (action steps and training records may refer to them).
    """
    catalog = _Catalog(session)
    results: dict[str, int] = {}
    for name, contribution in sorted(plugins.resource_providers.items()):
        provider: ResourceProvider = contribution.item
        try:
            records = list(provider.resources())
        except Exception as error:  # a provider's bug must not stop the service starting
            log.error(
                "resource provider %s (plugin %s) failed to list resources: %r",
                name,
                contribution.plugin,
                error,
            )
            continue
        results[name] = await _store(session, name, await _align(name, records, catalog))
    return results


# -------------------------------------------------------------------------
# Reading
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceFilter:
    element_code: str | None = None
    subject: str | None = None
    format: str | None = None
    search: str | None = None


def _has_subject(session: AsyncSession, subject: str) -> ColumnElement[bool]:
    """``subject`` is one of the resource's subjects (any case); JSON arrays differ by dialect."""
    if session.get_bind().dialect.name == "postgresql":
        items = func.json_array_elements_text(Resource.subjects).table_valued("value")
    else:
        items = func.json_each(Resource.subjects).table_valued("value")
    return exists(select(1).select_from(items).where(func.lower(items.c.value) == subject.lower()))


async def _element_condition(session: AsyncSession, actor: Actor, code: str) -> ColumnElement[bool]:
    """Aligned to the element with this code in the district's active framework (any framework
    when the district has none active), since codes such as ``1.1`` repeat across frameworks."""
    elements = select(Standard.id).where(Standard.code == code, Standard.is_element.is_(True))
    active = await frameworks.active_framework(session, actor.district_id)
    if active is not None:
        elements = elements.where(Standard.framework_id == active.id)
    aligned = select(ResourceElement.resource_id).where(ResourceElement.element_id.in_(elements))
    return Resource.id.in_(aligned)


async def resource_page(
    session: AsyncSession, actor: Actor, where: ResourceFilter, first: int, after: str | None
) -> Page[Resource]:
    statement = select(Resource)
    if where.element_code and where.element_code.strip():
        statement = statement.where(
            await _element_condition(session, actor, where.element_code.strip())
        )
    if where.subject and where.subject.strip():
        statement = statement.where(_has_subject(session, where.subject.strip()))
    if where.format and where.format.strip():
        statement = statement.where(Resource.format == where.format.strip().lower())
    pattern = search_pattern(where.search, ("where", "search"))
    if pattern:
        statement = statement.where(
            or_(
                Resource.title.ilike(pattern, escape="\\"),
                Resource.description.ilike(pattern, escape="\\"),
            )
        )
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
