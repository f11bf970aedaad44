"""Syncing provider catalogs into the resource table: upsert what each lists, retire what it dropped.

Providers are third-party code, so nothing they hand over is trusted: a provider that raises or
times out is reported by name and its stored items are left as they were (a catalog that did not
answer has not dropped anything); a record that cannot be stored (unknown framework or element
codes, missing or over-long fields) is logged by provider and record and skipped. Listing runs
before the transaction writes anything (:func:`list_catalogs`), so a slow vendor never holds a
write lock.

Retiring keeps the row (action steps and training records point at it by id) and sets
``retired_at``; lists and recommendations leave retired items out. A later sync that lists the item
again revives it under the same id. A second sync of unchanged catalogs writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Framework, Resource, ResourceElement, Standard
from mypd_graph.models.base import utcnow
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.plugins.types import ResourceRecord
from mypd_graph.services.resources.providers import Answer, Outcome, ask_all, describe

log = logging.getLogger(__name__)

DEFAULT_SYNC_TIMEOUT = 60.0
# Column widths of models.Resource: a longer value would fail the insert (on PostgreSQL).
MAX_LENGTHS = {
    "external_id": 200,
    "title": 300,
    "url": 1000,
    "format": 32,
    "grade_band": 32,
    "identifier": 300,
}


@dataclass
class CatalogSync:
    """What one sync did to one provider's items (or why it did nothing)."""

    provider: str
    outcome: Outcome
    message: str = ""
    added: int = 0
    updated: int = 0
    retired: int = 0
    revived: int = 0
    unchanged: int = 0
    skipped: int = 0  # records the provider listed that could not be stored
    installed: bool = True  # False: the provider is gone; its items were retired

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.retired + self.revived


@dataclass
class SyncReport:
    catalogs: list[CatalogSync] = field(default_factory=list)

    @property
    def not_answered(self) -> list[CatalogSync]:
        return [c for c in self.catalogs if c.outcome is not Outcome.ANSWERED]


# -------------------------------------------------------------------------
# Checking what providers hand over
# -------------------------------------------------------------------------


def record_problem(record: object) -> str | None:
    """Why a record cannot be stored or shown, or ``None`` when its shape is fine."""
    if not isinstance(record, ResourceRecord):
        return f"expected a ResourceRecord, got {type(record).__name__}"
    texts = ("external_id", "title", "framework_key", "url", "format", "description", "grade_band")
    for name in (*texts, "identifier"):
        if not isinstance(getattr(record, name), str):
            return f"{name} must be a string"
    for name in ("external_id", "title", "framework_key", "format"):
        if not getattr(record, name).strip():
            return f"{name} is empty"
    for name, limit in MAX_LENGTHS.items():
        if len(getattr(record, name).strip()) > limit:
            return f"{name} is longer than {limit} characters"
    if isinstance(record.element_codes, str) or not all(
        isinstance(code, str) for code in record.element_codes
    ):
        return "element_codes must be strings"
    if isinstance(record.subjects, str) or not all(isinstance(s, str) for s in record.subjects):
        return "subjects must be a sequence of strings"
    minutes = record.duration_minutes
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)):
        return "duration_minutes must be a whole number"
    if minutes is not None and minutes < 0:
        return "duration_minutes must not be negative"
    return None


@dataclass(frozen=True)
class Aligned:
    """A record that passed every check, with its framework and element ids resolved."""

    record: ResourceRecord
    framework_id: int
    element_ids: frozenset[int]

    def values(self, sample: bool) -> dict[str, Any]:
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
            "identifier": record.identifier.strip(),
            "sample": sample,
        }


class ElementIndex:
    """Framework and element ids by key and code, loaded once per framework per sync or search."""

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

    async def align(self, record: ResourceRecord) -> Aligned | str:
        """The record with its ids resolved, or why it cannot be (unknown framework or codes)."""
        framework_id = await self.framework_id(record.framework_key)
        if framework_id is None:
            return f"unknown framework {record.framework_key!r}"
        known = await self.element_ids(framework_id)
        codes = [code.strip() for code in record.element_codes]
        unknown = [code for code in dict.fromkeys(codes) if code not in known]
        if unknown:
            return f"unknown element code(s) of {record.framework_key}: {', '.join(unknown)}"
        return Aligned(record, framework_id, frozenset(known[code] for code in codes))


async def align_all(
    provider: str, records: Sequence[object], index: ElementIndex
) -> tuple[list[Aligned], int]:
    """The records that can be stored, and how many were skipped (each logged with the reason)."""
    aligned: dict[str, Aligned] = {}
    skipped = 0
    for record in records:
        name = getattr(record, "external_id", "?")
        problem = record_problem(record)
        if problem is None:
            assert isinstance(record, ResourceRecord)
            if record.external_id.strip() in aligned:
                problem = "listed twice by the provider; the first one is kept"
            else:
                result = await index.align(record)
                if isinstance(result, str):
                    problem = result
                else:
                    aligned[record.external_id.strip()] = result
        if problem is not None:
            skipped += 1
            log.warning("resource provider %s: record %r skipped: %s", provider, name, problem)
    return list(aligned.values()), skipped


# -------------------------------------------------------------------------
# Storing
# -------------------------------------------------------------------------


async def _store(
    session: AsyncSession, result: CatalogSync, records: Sequence[Aligned], sample: bool
) -> None:
    """Insert, update, revive and retire one provider's rows; counts go into ``result``."""
    provider = result.provider
    existing = {
        row.external_id: row
        for row in await session.scalars(select(Resource).where(Resource.provider == provider))
    }
    touched: set[str] = set()
    for item in records:
        external_id = item.record.external_id.strip()
        row = existing.get(external_id)
        values = item.values(sample)
        if row is None:
            row = Resource(provider=provider, external_id=external_id, **values)
            session.add(row)
            existing[external_id] = row
            result.added += 1
            touched.add(external_id)
            continue
        if row.retired_at is not None:
            row.retired_at = None
            result.revived += 1
            touched.add(external_id)
        for attribute, value in values.items():
            if getattr(row, attribute) != value:
                setattr(row, attribute, value)
                touched.add(external_id)
    await session.flush()

    ids = [existing[item.record.external_id.strip()].id for item in records]
    links: dict[int, set[int]] = {resource_id: set() for resource_id in ids}
    for resource_id, element_id in await session.execute(
        select(ResourceElement.resource_id, ResourceElement.element_id).where(
            ResourceElement.resource_id.in_(ids)
        )
    ):
        links[resource_id].add(element_id)
    for resource_id, item in zip(ids, records, strict=True):
        have, want = links[resource_id], item.element_ids
        if have == want:
            continue
        touched.add(item.record.external_id.strip())
        for element_id in have - want:
            await session.delete(await session.get(ResourceElement, (resource_id, element_id)))
        session.add_all(
            ResourceElement(resource_id=resource_id, element_id=element_id)
            for element_id in want - have
        )
    listed = {item.record.external_id.strip() for item in records}
    result.updated = len(touched) - result.added - result.revived
    result.unchanged = len(listed) - len(touched)
    dropped = [
        row.id
        for external_id, row in existing.items()
        if external_id not in listed and row.retired_at is None
    ]
    await _retire(session, dropped)
    result.retired = len(dropped)
    await session.flush()


async def _retire(session: AsyncSession, resource_ids: Sequence[int]) -> None:
    if resource_ids:
        await session.execute(
            update(Resource)
            .where(Resource.id.in_(resource_ids), Resource.retired_at.is_(None))
            .values(retired_at=utcnow())
            .execution_options(synchronize_session="fetch")
        )


async def store_catalogs(
    session: AsyncSession,
    plugins: PluginSet,
    answers: Sequence[Answer],
    *,
    retire_absent: bool = False,
) -> SyncReport:
    """Write what :func:`list_catalogs` collected. ``retire_absent`` also retires the items of
    providers no longer installed, unless a plugin failed to load (it may be the missing one)."""
    report = SyncReport()
    index = ElementIndex(session)
    for answer in answers:
        result = CatalogSync(answer.provider, answer.outcome, answer.message)
        report.catalogs.append(result)
        if not answer.answered:
            continue
        aligned, result.skipped = await align_all(answer.provider, answer.records, index)
        info = describe(answer.provider, plugins.resource_providers[answer.provider])
        await _store(session, result, aligned, info.sample)
    if retire_absent and not plugins.failures:
        installed = set(plugins.resource_providers)
        rows = await session.execute(
            select(Resource.provider, Resource.id).where(
                Resource.provider.not_in(installed), Resource.retired_at.is_(None)
            )
        )
        gone: dict[str, list[int]] = {}
        for provider, resource_id in rows:
            gone.setdefault(provider, []).append(resource_id)
        for provider, ids in sorted(gone.items()):
            await _retire(session, ids)
            report.catalogs.append(
                CatalogSync(
                    provider,
                    Outcome.ANSWERED,
                    "no longer installed: its items are retired",
                    retired=len(ids),
                    installed=False,
                )
            )
    return report


async def list_catalogs(
    plugins: PluginSet, timeout: float = DEFAULT_SYNC_TIMEOUT, only: Sequence[str] = ()
) -> list[Answer]:
    """Ask every provider (or those named in ``only``) for its whole catalog, all at once."""
    chosen = [
        (name, contribution)
        for name, contribution in sorted(plugins.resource_providers.items())
        if not only or name in only
    ]
    return await ask_all(chosen, "resources", (), timeout)


async def sync_resources(
    session: AsyncSession, plugins: PluginSet, timeout: float = DEFAULT_SYNC_TIMEOUT
) -> dict[str, int]:
    """Start-up's and the demo's sync: ``{provider: items changed}`` for the providers that
    answered (a provider that failed or timed out is logged and left out). Items of providers
    that are not installed are left alone here; ``mypd-graph resources sync`` retires them."""
    answers = await list_catalogs(plugins, timeout)
    report = await store_catalogs(session, plugins, answers)
    return {c.provider: c.changed for c in report.catalogs if c.outcome is Outcome.ANSWERED}
