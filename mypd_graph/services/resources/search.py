"""Live search across every provider, merged and de-duplicated, with the providers that did not
answer named.

Three steps, so no session is held while vendors think: :func:`prepare` reads the district's
active framework and checks the input (a short read); :func:`ask_providers` asks every provider at
once, each bounded by the timeout (no database); :func:`merge` resolves what came back against the
catalog (a short read). A provider with a ``search`` method is asked live; one without is searched
in its synced items, so the built-in catalog takes part too.

The same rules as the catalog list hold: every signed-in user may search (resources are catalog
data, not a district's or a teacher's); records a provider hands over are checked as a sync checks
them; structured filters (elements, subject, grade band, format) are applied to what comes back,
whatever the provider did with them; retired items are never shown. Merging: providers' ranked
lists are interleaved (first of each, then second of each, providers by name), and a result whose
URL or global identifier matches an earlier one is folded into it (``offered_by`` lists both).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Framework, Resource, ResourceElement, Standard
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.plugins.types import ResourceQuery, ResourceRecord
from mypd_graph.services.access import Actor
from mypd_graph.services.errors import invalid
from mypd_graph.services.frameworks import registry as frameworks
from mypd_graph.services.inputs import search_pattern
from mypd_graph.services.resources.catalogs import ElementIndex, record_problem
from mypd_graph.services.resources.grades import bands_overlap, grade_span
from mypd_graph.services.resources.library import ResourceFilter, filtered
from mypd_graph.services.resources.providers import Answer, Outcome, ask_all, describe

DEFAULT_SEARCH_TIMEOUT = 5.0
MAX_LIMIT = 50
STORED_ROWS = 500  # rows of list-only providers read per search before the grade-band filter


@dataclass(frozen=True)
class Hit:
    """One merged result: the record of the first provider that offered it, and every provider
    that did. ``resource_id`` is its current row in the synced catalog, when there is one."""

    record: ResourceRecord
    provider: str
    offered_by: tuple[str, ...]
    sample: bool
    element_ids: tuple[int, ...]
    resource_id: int | None


@dataclass(frozen=True)
class ProviderReport:
    """How one provider answered this search."""

    provider: str
    title: str
    outcome: Outcome
    message: str
    results: int  # usable results it gave
    skipped: int  # results it gave that could not be shown (bad records, unknown elements)
    seconds: float
    live: bool  # asked live (``search``), else searched in its synced catalog


@dataclass(frozen=True)
class SearchResult:
    hits: list[Hit]
    providers: list[ProviderReport]

    @property
    def not_answered(self) -> list[ProviderReport]:
        return [p for p in self.providers if p.outcome is not Outcome.ANSWERED]


async def prepare(
    session: AsyncSession,
    actor: Actor,
    *,
    text: str = "",
    element_codes: Sequence[str] = (),
    subject: str = "",
    grade_band: str = "",
    format: str = "",
    limit: int = 25,
) -> ResourceQuery:
    """The query every provider gets, in the terms of the asker's district (its framework)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid(("input", "limit"), f"limit must be between 1 and {MAX_LIMIT}", "BAD_LIMIT")
    search_pattern(text, ("input", "text"))  # the same length and character checks as lists
    band = grade_band.strip().upper()
    if band and grade_span(band) is None:
        raise invalid(("input", "gradeBand"), f"{grade_band!r} is not a grade band", "BAD_GRADES")
    active = await frameworks.active_framework(session, actor.district_id)
    return ResourceQuery(
        text=text.strip()[:200],
        element_codes=tuple(dict.fromkeys(c.strip() for c in element_codes if c.strip()))[:50],
        framework_key=active.key if active is not None else "",
        subject=subject.strip()[:100],
        grade_band=band,
        format=format.strip().lower()[:32],
        limit=limit,
    )


async def ask_providers(plugins: PluginSet, query: ResourceQuery, timeout: float) -> list[Answer]:
    """Every provider with a ``search`` method, asked live at once (no database involved)."""
    live = [
        (name, contribution)
        for name, contribution in sorted(plugins.resource_providers.items())
        if callable(getattr(contribution.item, "search", None))
    ]
    return await ask_all(live, "search", (query,), timeout)


def dedupe_keys(record: ResourceRecord) -> list[str]:
    """What makes two providers' results one item: the same URL (scheme and host in any case,
    no fragment, no trailing slash) or the same global identifier."""
    keys = []
    if record.url.strip():
        parts = urlsplit(record.url.strip())
        path = parts.path.rstrip("/")
        url = urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))
        keys.append(f"url:{url}")
    if record.identifier.strip():
        keys.append(f"id:{record.identifier.strip().lower()}")
    return keys


def _fits(query: ResourceQuery, record: ResourceRecord, codes: set[str]) -> bool:
    """The structured filters, applied to whatever a provider returned."""
    if query.format and record.format.strip().lower() != query.format:
        return False
    subjects = {s.strip().lower() for s in record.subjects}
    if query.subject and subjects and query.subject.lower() not in subjects:
        return False
    if query.grade_band and not bands_overlap(query.grade_band, record.grade_band):
        return False
    if query.element_codes:
        if query.framework_key and record.framework_key != query.framework_key:
            return False
        return bool(codes & set(query.element_codes))
    return True


def _from_row(row: Resource, codes: Sequence[str], framework_key: str) -> ResourceRecord:
    return ResourceRecord(
        external_id=row.external_id,
        title=row.title,
        framework_key=framework_key,
        element_codes=tuple(codes),
        url=row.url,
        format=row.format,
        description=row.description,
        subjects=tuple(row.subjects or ()),
        grade_band=row.grade_band,
        duration_minutes=row.duration_minutes,
        identifier=row.identifier,
    )


Ranked = list[tuple[ResourceRecord, tuple[int, ...], int | None]]  # (record, element ids, row id)


async def _stored_answers(
    session: AsyncSession, actor: Actor, plugins: PluginSet, query: ResourceQuery, names: list[str]
) -> list[tuple[Answer, Ranked]]:
    """List-only providers answer from their synced, current items."""
    if not names:
        return []
    where = ResourceFilter(
        search=query.text or None,
        subject=query.subject or None,
        format=query.format or None,
        element_codes=query.element_codes,
    )
    statement = await filtered(session, actor, where, field="input")
    rows = list(
        await session.scalars(
            statement.where(Resource.provider.in_(names)).order_by(Resource.id).limit(STORED_ROWS)
        )
    )
    links = await session.execute(
        select(ResourceElement.resource_id, ResourceElement.element_id, Standard.code)
        .join(Standard, Standard.id == ResourceElement.element_id)
        .where(ResourceElement.resource_id.in_([row.id for row in rows]))
        .order_by(Standard.id)
    )
    aligned: dict[int, list[tuple[int, str]]] = {}
    for resource_id, element_id, code in links:
        aligned.setdefault(resource_id, []).append((element_id, code))
    framework_keys = {
        row.id: row.key for row in await session.execute(select(Framework.id, Framework.key))
    }
    by_provider: dict[str, Ranked] = {name: [] for name in names}
    for row in rows:
        elements = aligned.get(row.id, [])
        codes = [code for _, code in elements]
        record = _from_row(row, codes, framework_keys.get(row.framework_id, ""))
        if query.grade_band and not bands_overlap(query.grade_band, record.grade_band):
            continue
        by_provider[row.provider].append((record, tuple(e for e, _ in elements), row.id))
    return [
        (
            Answer(name, plugins.resource_providers[name].plugin, Outcome.ANSWERED),
            by_provider[name][: query.limit],
        )
        for name in names
    ]


async def merge(
    session: AsyncSession,
    actor: Actor,
    plugins: PluginSet,
    query: ResourceQuery,
    answers: Sequence[Answer],
) -> SearchResult:
    """Check, filter, interleave and de-duplicate the providers' answers; report each provider."""
    index = ElementIndex(session)
    asked = {answer.provider for answer in answers}
    list_only = [name for name in sorted(plugins.resource_providers) if name not in asked]
    ranked: dict[str, Ranked] = {}
    reports: dict[str, ProviderReport] = {}
    for answer in answers:
        usable: Ranked = []
        skipped = 0
        for record in answer.records:
            aligned = None if record_problem(record) else await index.align(record)  # type: ignore[arg-type]
            if aligned is None or isinstance(aligned, str):
                skipped += 1
                continue
            codes = {c.strip() for c in aligned.record.element_codes}
            if _fits(query, aligned.record, codes):
                usable.append((aligned.record, tuple(sorted(aligned.element_ids)), None))
        ranked[answer.provider] = usable[: query.limit]
        reports[answer.provider] = _report(plugins, answer, len(ranked[answer.provider]), skipped)
    for answer, found in await _stored_answers(session, actor, plugins, query, list_only):
        ranked[answer.provider] = found
        reports[answer.provider] = _report(plugins, answer, len(found), 0, live=False)
    stored = await _current_rows(session, ranked)
    hits: list[Hit] = []
    by_key: dict[str, int] = {}
    depth = max((len(items) for items in ranked.values()), default=0)
    for rank in range(depth):
        for provider in sorted(ranked):
            if rank >= len(ranked[provider]):
                continue
            record, element_ids, resource_id = ranked[provider][rank]
            row = stored.get((provider, record.external_id.strip()))
            if row is False:  # retired in the catalog: not shown
                continue
            resource_id = resource_id or (row if isinstance(row, int) else None)
            keys = dedupe_keys(record)
            seen = next((by_key[key] for key in keys if key in by_key), None)
            if seen is not None:
                hit = hits[seen]
                hits[seen] = replace(
                    hit,
                    offered_by=(*hit.offered_by, provider),
                    resource_id=hit.resource_id or resource_id,
                )
                for key in keys:
                    by_key.setdefault(key, seen)
                continue
            if len(hits) >= query.limit:
                continue
            sample = describe(provider, plugins.resource_providers[provider]).sample
            hits.append(Hit(record, provider, (provider,), sample, element_ids, resource_id))
            for key in keys:
                by_key.setdefault(key, len(hits) - 1)
    return SearchResult(hits, [reports[name] for name in sorted(reports)])


def _report(
    plugins: PluginSet, answer: Answer, results: int, skipped: int, live: bool = True
) -> ProviderReport:
    info = describe(answer.provider, plugins.resource_providers[answer.provider])
    return ProviderReport(
        answer.provider,
        info.title,
        answer.outcome,
        answer.message,
        results,
        skipped,
        answer.seconds,
        live,
    )


async def _current_rows(
    session: AsyncSession,
    ranked: dict[str, Ranked],
) -> dict[tuple[str, str], int | bool]:
    """``(provider, external id)`` → the stored row's id, or ``False`` when it is retired."""
    keys = [
        (provider, record.external_id.strip())
        for provider, items in ranked.items()
        for record, _, resource_id in items
        if resource_id is None
    ]
    if not keys:
        return {}
    rows = await session.execute(
        select(Resource.provider, Resource.external_id, Resource.id, Resource.retired_at).where(
            tuple_(Resource.provider, Resource.external_id).in_(keys)
        )
    )
    return {
        (provider, external_id): (False if retired_at is not None else resource_id)
        for provider, external_id, resource_id, retired_at in rows
    }
