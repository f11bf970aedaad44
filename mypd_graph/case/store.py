"""Write a parsed CASE package as a framework (``source = "case"``).

Identity is the CASE identifier: a node of the new package updates the row with its identifier (or,
failing that, its code), so a re-import of the same package writes nothing (same checksum) and a
changed one updates texts and order in place; nodes the package no longer has are retired, never
deleted, so ratings and plans that refer to them survive. The plugin sync never touches a framework
imported here (registry.sync_framework), so it survives every restart.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.case.parse import CaseError, Level, Node, Package
from mypd_graph.case.tree import assign_codes, choose_rated
from mypd_graph.models import Framework, RatingLevel, Standard
from mypd_graph.models.base import utcnow
from mypd_graph.plugins.types import KEY_PATTERN
from mypd_graph.services.frameworks import crosswalks, identity, versions


@dataclass
class ImportResult:
    framework: Framework
    created: bool
    changed: bool
    elements: int
    nodes: int
    rated: str  # how the rated level was chosen
    notes: list[str] = field(default_factory=list)


def slug(text: str, limit: int = 64) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:limit].strip("-")
    return value or "level"


def levels_from_labels(labels: Sequence[str]) -> list[Level]:
    """Levels an admin names (``--levels "Emerging,Exploring,..."``), lowest first."""
    return [Level("", label.strip(), "") for label in labels if label.strip()]


def levels_from_file(data: bytes) -> list[Level]:
    """A levels file: a JSON list of labels or of ``{label, description}`` objects, lowest first."""
    from mypd_graph.case.parse import load_json

    raw = load_json(data)
    if not isinstance(raw, list) or len(raw) > 20:
        raise CaseError(
            "a levels file is a JSON list (at most 20) of labels or {label, description}"
        )
    levels = []
    for entry in raw:
        if isinstance(entry, str):
            levels.append(Level("", entry.strip(), ""))
        elif isinstance(entry, dict) and isinstance(entry.get("label"), str):
            description = entry.get("description", "")
            if not isinstance(description, str):
                raise CaseError("a level's description must be text")
            levels.append(Level("", entry["label"].strip(), description.strip()))
        else:
            raise CaseError("each level is a label or an object with a label")
    return levels


async def import_package(
    session: AsyncSession,
    package: Package,
    *,
    key: str | None = None,
    rated_level: str | None = None,
    levels: Sequence[Level] | None = None,
    source_url: str = "",
    before_change: Callable[[Framework], Awaitable[None]] | None = None,
    plugin: str = "",
) -> ImportResult:
    """Write ``package`` as the framework ``key`` (default: from its title and version).

    ``before_change`` sees an existing framework the package would change, and may refuse.
    ``plugin`` names the plugin importing its own package (the registry's sync); anyone else
    is refused a framework a plugin ships, which that plugin's next sync would import over.
    """
    if not key:
        # The same CFDocument again (a new version, or the same one) is that framework.
        key = await session.scalar(
            select(Framework.key).where(
                Framework.identifier == package.identifier, Framework.source == "case"
            )
        )
    key = (key or slug(f"{package.title} {package.version}")).strip()
    if not KEY_PATTERN.match(key):
        raise CaseError(f"framework key {key!r} must be lowercase letters, digits, '.', '_' or '-'")
    assign_codes(package)
    rated, how = choose_rated(package, rated_level)
    notes = list(package.notes)
    chosen = _levels(package, levels, notes)
    framework = await session.scalar(select(Framework).where(Framework.key == key))
    if framework is not None and framework.source != "case":
        raise CaseError(
            f"framework {key} comes from the plugin {framework.plugin or '?'}; import the package "
            "under another --key"
        )
    if framework is not None and framework.plugin and framework.plugin != plugin:
        raise CaseError(
            f"framework {key} is shipped by the plugin {framework.plugin} as a CASE package, "
            "which it imports again at every start-up: import this package under another --key"
        )
    rename = await _identifier_map(session, package, chosen, framework, key)
    if rename is not None:
        notes.append("its identifiers belong to another framework: this copy has its own")
    ident = rename or {}

    def new_id(value: str) -> str:
        return ident.get(value, value)

    checksum = _checksum(package, key, rated, chosen, ident)
    walk = package.walk()
    elements = sum(1 for node, _, _ in walk if node.identifier in rated)
    result = ImportResult(framework, framework is None, False, elements, len(walk), how, notes)
    if framework is not None and framework.checksum == checksum:
        await _crosswalk(session, package, ident, key, notes)
        return result
    if framework is not None and before_change is not None:
        await before_change(framework)
    if framework is None:
        framework = Framework(key=key, source="case", plugin="", jurisdiction="")
        framework.subject_elements = {}
        session.add(framework)
        result.framework = framework
    # A version of the same document keeps its elements by CASE identifier alone: a new item
    # that takes a retired one's code is a new element, never the old one renamed.
    same_document = framework.identifier == new_id(package.identifier)
    before = await versions.snapshot(session, framework.id)
    framework.identifier = new_id(package.identifier)
    framework.name = package.title
    framework.version = package.version
    framework.description = package.description
    framework.source_url = package.official_source_url or source_url[:500]
    framework.publisher = package.publisher or package.creator
    framework.adoption_status = package.adoption_status
    framework.checksum = checksum
    framework.synced_at = utcnow()
    await session.flush()
    await _write_levels(session, framework, [(new_id(level.identifier), level) for level in chosen])
    await _write_tree(session, framework, walk, rated, new_id, by_code=not same_document)
    await versions.record(session, framework, checksum, before)
    await _crosswalk(session, package, ident, key, notes)
    result.changed = True
    return result


async def _crosswalk(
    session: AsyncSession, package: Package, ident: dict[str, str], key: str, notes: list[str]
) -> None:
    """The package's crosswalk associations between elements loaded here, as crosswalk rows."""
    added, _, _ = await crosswalks.from_case(session, package.crosswalk, ident, f"case:{key}")
    if added:
        notes.append(f"{added} crosswalk association(s) written")


def _levels(package: Package, given: Sequence[Level] | None, notes: list[str]) -> list[Level]:
    if given:
        if package.levels:
            notes.append("rating levels from the option; the package's rubric left aside")
        chosen = list(given)
    elif package.levels:
        chosen = list(package.levels)
    else:
        raise CaseError(
            "the package has no rubric (CFRubrics) to rate with: give the rating levels "
            "(--levels or --levels-file)"
        )
    if len(chosen) < 2:
        raise CaseError("a framework needs at least two rating levels")
    keys = [slug(level.label) for level in chosen]
    if len(set(keys)) != len(keys):
        raise CaseError("two rating levels have the same name")
    return chosen


async def _identifier_map(
    session: AsyncSession,
    package: Package,
    levels: list[Level],
    framework: Framework | None,
    key: str,
) -> dict[str, str] | None:
    """None when the package's identifiers are free (or already this framework's); else the
    identifiers of a copy, derived from the key and the originals."""
    own = framework.id if framework is not None else -1
    nodes = [node for node, _, _ in package.walk()]
    items = [node.identifier for node in nodes]
    links = [node.link for node in nodes if node.link]
    level_ids = [level.identifier for level in levels if level.identifier]
    taken = await session.scalar(
        select(Framework.id).where(Framework.identifier == package.identifier, Framework.id != own)
    )
    for chunk_start in range(0, max(len(items), len(links), len(level_ids)), 500):
        if taken is not None:
            break
        part = slice(chunk_start, chunk_start + 500)
        taken = await session.scalar(
            select(Standard.id)
            .where(
                or_(
                    Standard.identifier.in_(items[part]),
                    Standard.association_identifier.in_(links[part]),
                ),
                Standard.framework_id != own,
            )
            .limit(1)
        ) or await session.scalar(
            select(RatingLevel.id)
            .where(RatingLevel.identifier.in_(level_ids[part]), RatingLevel.framework_id != own)
            .limit(1)
        )
    if taken is None:
        return None
    return {
        old: identity.copy_id(key, old) for old in [package.identifier, *items, *links, *level_ids]
    }


def _checksum(
    package: Package,
    key: str,
    rated: set[str],
    levels: list[Level],
    ident: dict[str, str],
) -> str:
    """What the framework would be; where the file was read from is no part of it."""

    def node(n: Node) -> list[object]:
        return [n.identifier, n.link, n.code, n.text, n.item_type, n.list_enumeration,
                n.identifier in rated, [node(c) for c in n.children]]  # fmt: skip

    payload = {
        "key": key,
        "document": [
            package.identifier,
            package.title,
            package.version,
            package.publisher,
            package.creator,
            package.adoption_status,
            package.description,
            package.official_source_url,
        ],  # fmt: skip
        "levels": [[level.identifier, level.label, level.description] for level in levels],
        "tree": [node(root) for root in package.roots],
        "ident": sorted(ident.items()),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


async def _write_levels(
    session: AsyncSession, framework: Framework, levels: list[tuple[str, Level]]
) -> None:
    existing = list(
        await session.scalars(select(RatingLevel).where(RatingLevel.framework_id == framework.id))
    )
    by_id = {row.identifier: row for row in existing if row.identifier}
    by_key = {row.key: row for row in existing}
    claimed: dict[int, RatingLevel] = {}
    plan: list[tuple[RatingLevel | None, str, Level, str]] = []
    for identifier, level in levels:
        key = slug(level.label)
        row = by_id.get(identifier) if identifier else None
        if row is None or row.id in claimed:
            row = by_key.get(key)
        if row is not None and row.id in claimed:
            row = None
        if row is not None:
            claimed[row.id] = row
        plan.append((row, key, level, identifier or identity.level_id(framework.key, key)))
    # Positions and keys are unique per framework: move every existing level out of the way.
    for offset, row in enumerate(existing, start=1):
        row.position = -offset
        if row.id in claimed:
            row.key = f"~{row.id}"
    await session.flush()
    for position, (row, key, level, identifier) in enumerate(plan, start=1):
        if row is None:
            row = RatingLevel(framework_id=framework.id)
            session.add(row)
        row.key = key
        row.position = position
        row.label = level.label[:100]
        row.description = level.description
        row.identifier = identifier
    for position, stale in enumerate(
        (row for row in existing if row.id not in claimed), start=len(plan) + 1
    ):
        stale.position = position  # kept for old ratings, ranked above the current scale
    await session.flush()


async def _write_tree(
    session: AsyncSession,
    framework: Framework,
    walk: list[tuple[Node, Node | None, int]],
    rated: set[str],
    rename: Callable[[str], str],
    *,
    by_code: bool = True,
) -> None:
    existing = list(
        await session.scalars(select(Standard).where(Standard.framework_id == framework.id))
    )
    by_id = {row.identifier: row for row in existing if row.identifier}
    codes = {row.code: row for row in existing}
    by_code = codes if by_code else {}
    claimed: dict[int, Standard] = {}
    rows: dict[str, Standard] = {}
    for node, _, _ in walk:
        row = by_id.get(rename(node.identifier))
        if row is None or row.id in claimed:
            row = by_code.get(node.code)
        if row is not None and row.id not in claimed:
            claimed[row.id] = row
            rows[node.identifier] = row
    # Codes and links are unique: clear what the claimed rows hold before handing them out again.
    links = {rename(node.link) for node, _, _ in walk if node.link}
    new_codes = {node.code for node, _, _ in walk}
    for row in existing:
        if row.id in claimed:
            row.code = f"~{row.id}"
            row.association_identifier = None
        elif row.association_identifier in links:
            row.association_identifier = None
        if row.id not in claimed and row.code in new_codes:
            # retired, and its code now names another item: keep it apart, marked
            row.code = versions.retired_code(row.code, row.id, set(codes))
    await session.flush()
    for position, (node, parent, _) in enumerate(walk, start=1):
        row = rows.get(node.identifier)
        if row is None:
            row = Standard(framework_id=framework.id)
            session.add(row)
            rows[node.identifier] = row
        row.code = node.code
        row.text = node.text
        row.position = position  # document order: siblings in order, and branches too
        row.is_element = node.identifier in rated
        row.retired = False
        row.identifier = rename(node.identifier)
        row.association_identifier = (
            rename(node.link) if node.link else identity.child_link_id(framework.key, node.code)
        )
        row.item_type = node.item_type
        row.list_enumeration = node.list_enumeration
        if parent is None:
            row.parent_id = None
        elif rows[parent.identifier].id is not None:
            row.parent_id = rows[parent.identifier].id
        else:
            await session.flush()
            row.parent_id = rows[parent.identifier].id
    for row in existing:
        if row.id not in claimed:
            row.retired = True
    await session.flush()
