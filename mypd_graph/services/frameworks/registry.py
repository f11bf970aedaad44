"""Frameworks: syncing plugin definitions and plugin CASE packages into the database, reading the
tree and the scale. Switching a district's framework is ``swap``."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import District, Framework, RatingLevel, Standard
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.plugins.types import CasePackage, FrameworkDefinition
from mypd_graph.services.common import group_by_key, one_by_key
from mypd_graph.services.errors import invalid
from mypd_graph.services.frameworks import crosswalks, identity
from mypd_graph.services.inputs import check_list

log = logging.getLogger(__name__)


def definition_checksum(definition: FrameworkDefinition) -> str:
    payload = json.dumps(dataclasses.asdict(definition), sort_keys=True, default=list)
    return hashlib.sha256(payload.encode()).hexdigest()


async def sync_framework(
    session: AsyncSession, definition: FrameworkDefinition, plugin: str = ""
) -> tuple[Framework, bool]:
    """Insert or update one framework; returns it and whether anything changed.

    Idempotent: an unchanged definition (same checksum) writes nothing. Elements a newer definition
    drops are marked retired, never deleted, so plans and ratings that refer to them survive.
    """
    checksum = definition_checksum(definition)
    framework = await session.scalar(select(Framework).where(Framework.key == definition.key))
    if framework is not None and framework.source != "plugin":
        # An admin imported this key from a CASE package: the import is theirs, never overwritten.
        log.warning(
            "plugin %s offers framework %s, which was imported from a %s package; keeping the import",
            plugin or "?",
            definition.key,
            framework.source,
        )
        return framework, False
    if framework is not None and framework.checksum == checksum:
        return framework, False
    if framework is None:
        framework = Framework(key=definition.key, source="plugin")
        session.add(framework)
    framework.identifier = framework.identifier or identity.framework_id(definition.key)
    framework.name = definition.name
    framework.version = definition.version
    framework.jurisdiction = definition.jurisdiction
    framework.description = definition.description
    framework.source_url = definition.source_url
    framework.plugin = plugin
    framework.subject_elements = {k: list(v) for k, v in definition.subject_elements.items()}
    framework.checksum = checksum
    await session.flush()

    await _sync_levels(session, framework, definition)
    await _sync_standards(session, framework, definition)
    return framework, True


async def _sync_levels(
    session: AsyncSession, framework: Framework, definition: FrameworkDefinition
) -> None:
    existing = {
        level.key: level
        for level in await session.scalars(
            select(RatingLevel).where(RatingLevel.framework_id == framework.id)
        )
    }
    # Positions are unique per framework: move every existing level out of the way first.
    for offset, level in enumerate(existing.values(), start=1):
        level.position = -offset
    await session.flush()
    for position, level_def in enumerate(definition.levels, start=1):
        level = existing.pop(level_def.key, None) or RatingLevel(
            framework_id=framework.id,
            key=level_def.key,
            identifier=identity.level_id(framework.key, level_def.key),
        )
        level.position = position
        level.label = level_def.label
        level.description = level_def.description
        session.add(level)
    for position, stale in enumerate(existing.values(), start=len(definition.levels) + 1):
        stale.position = position  # kept for old ratings, ranked above the current scale
    await session.flush()


async def _sync_standards(
    session: AsyncSession, framework: Framework, definition: FrameworkDefinition
) -> None:
    existing = {
        row.code: row
        for row in await session.scalars(
            select(Standard).where(Standard.framework_id == framework.id)
        )
    }
    seen: set[str] = set()

    def upsert(code: str, text: str, position: int, parent: Standard | None) -> Standard:
        row = existing.get(code) or Standard(
            framework_id=framework.id,
            code=code,
            identifier=identity.item_id(framework.key, code),
            association_identifier=identity.child_link_id(framework.key, code),
        )
        row.item_type = "Element" if parent is not None else "Standard"
        row.text = text
        row.position = position
        row.is_element = parent is not None
        row.parent_id = parent.id if parent is not None else None
        row.retired = False
        session.add(row)
        seen.add(code)
        return row

    for position, standard_def in enumerate(definition.standards, start=1):
        standard = upsert(standard_def.code, standard_def.title, position, None)
        await session.flush()
        for element_position, element in enumerate(standard_def.elements, start=1):
            upsert(element.code, element.text, element_position, standard)
    for code, row in existing.items():
        if code not in seen:
            row.retired = True
    await session.flush()


@dataclass(frozen=True)
class CaseImporter:
    """The CASE importer of :mod:`mypd_graph.case`, handed in by whoever starts the service.

    Passed in rather than imported: ``mypd_graph.case`` builds on this package (identifiers),
    so services never import it (README, Architecture). ``parse`` is
    ``case.parse.parse_package``; ``store`` is ``case.store.import_package``, called with
    ``plugin=`` the shipping plugin's name: only that plugin writes over its framework.
    """

    parse: Callable[[bytes], Any]
    store: Callable[..., Awaitable[Any]]


MAX_PACKAGE_BYTES = 20 * 1024 * 1024  # as for an admin's import (case.fetch.MAX_BYTES)


async def sync_frameworks(
    session: AsyncSession, plugins: PluginSet, case: CaseImporter | None = None
) -> dict[str, bool]:
    """Sync every framework the plugins offer, then (given ``case``) import every CASE package
    they ship; returns ``{key: changed}``.

    Frameworks no plugin offers (a plugin uninstalled, a CASE import) are left as they are: a
    district's ratings and plans refer to them. A package that cannot be imported is logged
    with its plugin and reason and left out; the rest of the start-up goes on.
    """
    results = {}
    for key, contribution in sorted(plugins.frameworks.items()):
        _, changed = await sync_framework(session, contribution.item, contribution.plugin)
        results[key] = changed
    if case is None:
        if plugins.case_packages:
            log.info(
                "frameworks shipped as CASE packages (%s) are imported at start-up",
                ", ".join(sorted(plugins.case_packages)),
            )
        return results
    for key, contribution in sorted(plugins.case_packages.items()):
        try:
            async with session.begin_nested():  # a refused package leaves nothing behind
                changed = await sync_case_package(
                    session, contribution.item, contribution.plugin, case
                )
        except Exception as error:  # a plugin's package never takes the start-up down
            log.error("plugin %s: framework %s not imported: %s", contribution.plugin, key, error)
            continue
        if changed is not None:
            results[key] = changed
    return results


async def sync_case_package(
    session: AsyncSession, package: CasePackage, plugin: str, case: CaseImporter
) -> bool | None:
    """Import one plugin's CASE package under its key; whether anything changed (None: left
    alone, because an admin imported that key first).

    Idempotent: the importer writes nothing for a package it already holds (its checksum), and
    the plugin's own fields are compared before they are written. A new version of the package
    goes through the importer like an admin's re-import does.
    """
    existing = await framework_by_key(session, package.key)
    if existing is not None and existing.source == "case" and existing.plugin != plugin:
        log.warning(
            "plugin %s ships framework %s, which was imported as a CASE package%s; keeping it",
            plugin,
            package.key,
            f" by plugin {existing.plugin}" if existing.plugin else "",
        )
        return None
    if package.path.stat().st_size > MAX_PACKAGE_BYTES:
        raise ValueError(f"{package.path} is larger than {MAX_PACKAGE_BYTES // 2**20} MB")
    parsed = case.parse(package.path.read_bytes())
    result = await case.store(
        session, parsed, key=package.key, rated_level=package.rated_level, plugin=plugin
    )
    framework: Framework = result.framework
    own = {
        "plugin": plugin,
        "jurisdiction": package.jurisdiction,
        "subject_elements": await _subject_elements(session, framework, package),
    }
    stale = {name: value for name, value in own.items() if getattr(framework, name) != value}
    for name, value in stale.items():
        setattr(framework, name, value)
    if stale:
        await session.flush()
    added = await _load_crosswalks(session, package, plugin)
    return bool(result.changed or stale or added)


async def _load_crosswalks(session: AsyncSession, package: CasePackage, plugin: str) -> int:
    """Load the package's crosswalk files; returns how many rows were new. A file that cannot be
    loaded (bad rows, or a framework it names is not installed yet) writes nothing and is
    logged; the framework stays imported, and the next start-up tries the file again."""
    added = 0
    for path in package.crosswalks:
        rows, errors = crosswalks.parse_csv(path.read_text(encoding="utf-8"))
        result = crosswalks.LoadResult(errors=errors)
        if not errors:
            result = await crosswalks.load_rows(session, rows, source=f"plugin:{plugin}")
        if result.errors:
            log.warning(
                "plugin %s: crosswalk %s not loaded: %s",
                plugin,
                path.name,
                "; ".join(str(error) for error in result.errors[:5]),
            )
            continue
        added += result.added
    return added


async def _subject_elements(
    session: AsyncSession, framework: Framework, package: CasePackage
) -> dict[str, list[str]]:
    """The package's subject mapping, checked against the elements the import rated."""
    known = set(
        await session.scalars(
            select(Standard.code).where(
                Standard.framework_id == framework.id,
                Standard.is_element.is_(True),
                Standard.retired.is_(False),
            )
        )
    )
    mapping = {subject: list(codes) for subject, codes in package.subject_elements.items()}
    unknown = sorted({code for codes in mapping.values() for code in codes} - known)
    if unknown:
        raise ValueError(f"subject_elements names codes that are not rated: {', '.join(unknown)}")
    return mapping


async def all_frameworks(session: AsyncSession) -> list[Framework]:
    return list(await session.scalars(select(Framework).order_by(Framework.key)))


async def framework_by_key(session: AsyncSession, key: str) -> Framework | None:
    return await session.scalar(select(Framework).where(Framework.key == key))


async def frameworks_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Framework | None]:
    rows = await session.scalars(select(Framework).where(Framework.id.in_(ids)))
    return one_by_key(rows, ids, lambda row: row.id)


async def levels_by_framework(
    session: AsyncSession, framework_ids: Sequence[int]
) -> list[list[RatingLevel]]:
    rows = await session.scalars(
        select(RatingLevel)
        .where(RatingLevel.framework_id.in_(framework_ids))
        .order_by(RatingLevel.position)
    )
    return group_by_key(rows, framework_ids, lambda row: row.framework_id)


async def levels_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[RatingLevel | None]:
    rows = await session.scalars(select(RatingLevel).where(RatingLevel.id.in_(ids)))
    return one_by_key(rows, ids, lambda row: row.id)


async def standards_by_framework(
    session: AsyncSession, framework_ids: Sequence[int]
) -> list[list[Standard]]:
    """Top-level standards of each framework, in order."""
    rows = await session.scalars(
        select(Standard)
        .where(Standard.framework_id.in_(framework_ids), Standard.parent_id.is_(None))
        .order_by(Standard.position)
    )
    return group_by_key(rows, framework_ids, lambda row: row.framework_id)


async def elements_by_standard(
    session: AsyncSession, standard_ids: Sequence[int]
) -> list[list[Standard]]:
    rows = await session.scalars(
        select(Standard).where(Standard.parent_id.in_(standard_ids)).order_by(Standard.position)
    )
    return group_by_key(rows, standard_ids, lambda row: row.parent_id)


async def standards_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Standard | None]:
    rows = await session.scalars(select(Standard).where(Standard.id.in_(ids)))
    return one_by_key(rows, ids, lambda row: row.id)


async def active_framework(session: AsyncSession, district_id: int) -> Framework | None:
    return await session.scalar(
        select(Framework)
        .join(District, District.active_framework_id == Framework.id)
        .where(District.id == district_id)
    )


async def resolve_elements(
    session: AsyncSession, framework_id: int, codes: Sequence[str], field: tuple[str, ...]
) -> list[Standard]:
    """Element rows for codes of the given framework, or a userError naming the unknown codes."""
    check_list(codes, field)
    rows = {
        row.code: row
        for row in await session.scalars(
            select(Standard).where(
                Standard.framework_id == framework_id,
                Standard.code.in_(codes),
                Standard.is_element.is_(True),
            )
        )
    }
    unknown = [code for code in codes if code not in rows]
    if unknown:
        raise invalid(field, f"unknown element code(s): {', '.join(unknown)}", "UNKNOWN_ELEMENT")
    return [rows[code] for code in dict.fromkeys(codes)]


async def resolve_level(
    session: AsyncSession, framework_id: int, key: str, field: tuple[str, ...]
) -> RatingLevel:
    level = await session.scalar(
        select(RatingLevel).where(RatingLevel.framework_id == framework_id, RatingLevel.key == key)
    )
    if level is None:
        keys = await session.scalars(
            select(RatingLevel.key)
            .where(RatingLevel.framework_id == framework_id)
            .order_by(RatingLevel.position)
        )
        raise invalid(
            field, f"unknown level {key!r}; expected one of: {', '.join(keys)}", "UNKNOWN_LEVEL"
        )
    return level
