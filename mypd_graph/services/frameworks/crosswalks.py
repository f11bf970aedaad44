"""Crosswalks: which element of one framework (or version) stands for which of another.

Rows come from a CSV (``from_framework,from_code,to_framework,to_code,relation``: the command
``mypd-graph frameworks crosswalk FILE``, or a plugin shipping such a file, which parses it with
:func:`parse_csv` and calls :func:`load_rows`) and from the ``exactMatchOf``, ``isRelatedTo`` and
``replacedBy`` associations of imported CASE packages. Loading is all or nothing: a file with a
bad row writes no row and every bad row is named; loading the same rows again changes nothing.

Which way a relation reads: ``exactMatchOf`` and ``isRelatedTo`` hold both ways (a swap from
either side uses them); ``replacedBy`` only forward (the old element is replaced by the new).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Select, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mypd_graph.models import Crosswalk, Framework, Standard
from mypd_graph.models.crosswalk import RELATIONS

COLUMNS = ("from_framework", "from_code", "to_framework", "to_code", "relation")
BOTH_WAYS = ("exactMatchOf", "isRelatedTo")
MAX_ROWS = 20_000


@dataclass(frozen=True, slots=True)
class CrosswalkRow:
    from_framework: str
    from_code: str
    to_framework: str
    to_code: str
    relation: str
    line: int = 0  # where it was read (for errors); 0 when built in code


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class LoadResult:
    added: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def parse_csv(text: str) -> tuple[list[CrosswalkRow], list[RowError]]:
    """The rows of a crosswalk CSV (a header naming the five columns; more columns are ignored,
    blank lines skipped) and the errors of rows that cannot be read."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [name.strip().lower() for name in reader.fieldnames or ()]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        return [], [RowError(1, f"the header lacks the column(s) {', '.join(missing)}")]
    reader.fieldnames = header
    rows: list[CrosswalkRow] = []
    errors: list[RowError] = []
    for record in reader:
        line = reader.line_num
        values = {name: (record.get(name) or "").strip() for name in COLUMNS}
        if not any(values.values()):
            continue
        if len(rows) >= MAX_ROWS:
            errors.append(RowError(line, f"a crosswalk file holds at most {MAX_ROWS} rows"))
            break
        empty = [name for name in COLUMNS if not values[name]]
        if empty:
            errors.append(RowError(line, f"{', '.join(empty)} is empty"))
            continue
        rows.append(CrosswalkRow(**values, line=line))
    return rows, errors


def relation_name(value: str) -> str | None:
    """The CASE association type a value names (any letter case), or None."""
    return {name.lower(): name for name in RELATIONS}.get(value.strip().lower())


async def load_rows(
    session: AsyncSession, rows: Sequence[CrosswalkRow], *, source: str = "csv"
) -> LoadResult:
    """Write crosswalk rows (frameworks by key, elements by code): every row checked first; any
    error writes nothing. Rows already there are counted as unchanged."""
    result = LoadResult()
    keys = {row.from_framework for row in rows} | {row.to_framework for row in rows}
    frameworks = dict(
        (
            await session.execute(
                select(Framework.key, Framework.id).where(Framework.key.in_(keys))
            )
        ).all()
    )
    wanted = {
        (frameworks[key], code)
        for row in rows
        for key, code in ((row.from_framework, row.from_code), (row.to_framework, row.to_code))
        if key in frameworks
    }
    elements: dict[tuple[int, str], tuple[int, bool]] = {}
    pairs = sorted(wanted)
    for start in range(0, len(pairs), 500):
        found = await session.execute(
            select(Standard.framework_id, Standard.code, Standard.id, Standard.is_element).where(
                tuple_(Standard.framework_id, Standard.code).in_(pairs[start : start + 500])
            )
        )
        elements.update({(f, c): (i, e) for f, c, i, e in found})

    resolved: list[tuple[int, int, str]] = []
    for row in rows:
        problems = []
        relation = relation_name(row.relation)
        if relation is None:
            problems.append(f"relation {row.relation!r} is not one of {', '.join(RELATIONS)}")
        ends = []
        for side, key, code in (
            ("from", row.from_framework, row.from_code),
            ("to", row.to_framework, row.to_code),
        ):
            if key not in frameworks:
                problems.append(f"no framework with key {key!r} ({side}_framework)")
                continue
            found = elements.get((frameworks[key], code))
            if found is None:
                problems.append(f"{key} has no element {code!r} ({side}_code)")
            elif not found[1]:
                problems.append(f"{key} {code} is a standard, not an element ({side}_code)")
            else:
                ends.append(found[0])
        if not problems and ends[0] == ends[1]:
            problems.append("an element cannot map to itself")
        if problems:
            result.errors.append(RowError(row.line, "; ".join(problems)))
        elif relation is not None:
            resolved.append((ends[0], ends[1], relation))
    if result.errors:
        return result
    added, unchanged = await write_pairs(session, resolved, source)
    result.added, result.unchanged = added, unchanged
    return result


async def write_pairs(
    session: AsyncSession, pairs: Iterable[tuple[int, int, str]], source: str
) -> tuple[int, int]:
    """Insert ``(from element id, to element id, relation)`` rows not yet there; returns
    (added, already there)."""
    unique = sorted(set(pairs))
    existing: set[tuple[int, int, str]] = set()
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        found = await session.execute(
            select(Crosswalk.from_element_id, Crosswalk.to_element_id, Crosswalk.relation).where(
                tuple_(Crosswalk.from_element_id, Crosswalk.to_element_id, Crosswalk.relation).in_(
                    chunk
                )
            )
        )
        existing.update(found)
    new = [pair for pair in unique if pair not in existing]
    session.add_all(
        Crosswalk(from_element_id=f, to_element_id=t, relation=r, source=source[:100])
        for f, t, r in new
    )
    await session.flush()
    return len(new), len(unique) - len(new)


async def from_case(
    session: AsyncSession,
    associations: Sequence[tuple[str, str, str]],
    rename: dict[str, str],
    source: str,
) -> tuple[int, int, int]:
    """Crosswalk rows for a CASE package's crosswalk associations whose two ends are elements
    loaded here (by CASE identifier); returns (added, already there, left out)."""
    if not associations:
        return 0, 0, 0
    ends = {rename.get(x, x) for _, origin, target in associations for x in (origin, target)}
    ids = dict(
        (
            await session.execute(
                select(Standard.identifier, Standard.id).where(
                    Standard.identifier.in_(sorted(ends)), Standard.is_element.is_(True)
                )
            )
        ).all()
    )
    pairs = []
    for relation, origin, target in associations:
        a, b = ids.get(rename.get(origin, origin)), ids.get(rename.get(target, target))
        if a is not None and b is not None and a != b:
            pairs.append((a, b, relation))
    added, there = await write_pairs(session, pairs, source)
    return added, there, len(associations) - len(pairs)


@dataclass(frozen=True, slots=True)
class Mapping:
    """One way an element maps toward another framework."""

    from_id: int
    to_id: int
    relation: str


async def mappings_into(
    session: AsyncSession, framework_id: int, from_ids: Sequence[int] | None = None
) -> dict[int, list[Mapping]]:
    """``{element of another framework (or a retired one): [its mappings to live elements of
    framework_id]}``, each relation read the way it holds (see the module), exact matches first."""
    source = aliased(Standard)
    target = aliased(Standard)
    forward = (
        select(Crosswalk.from_element_id, Crosswalk.to_element_id, Crosswalk.relation)
        .join(target, target.id == Crosswalk.to_element_id)
        .join(source, source.id == Crosswalk.from_element_id)
        .where(
            target.framework_id == framework_id,
            target.retired.is_(False),
            or_(source.framework_id != framework_id, source.retired.is_(True)),
        )
    )
    backward = (
        select(Crosswalk.to_element_id, Crosswalk.from_element_id, Crosswalk.relation)
        .join(target, target.id == Crosswalk.from_element_id)
        .join(source, source.id == Crosswalk.to_element_id)
        .where(
            target.framework_id == framework_id,
            target.retired.is_(False),
            source.framework_id != framework_id,
            Crosswalk.relation.in_(BOTH_WAYS),
        )
    )
    if from_ids is not None:
        forward = forward.where(Crosswalk.from_element_id.in_(from_ids))
        backward = backward.where(Crosswalk.to_element_id.in_(from_ids))
    found: dict[int, list[Mapping]] = {}
    for statement in (forward, backward):
        for a, b, relation in await session.execute(statement):
            found.setdefault(a, [])
            if all(m.to_id != b for m in found[a]):
                found[a].append(Mapping(a, b, relation))
    order = {name: position for position, name in enumerate(RELATIONS)}
    for maps in found.values():
        maps.sort(key=lambda m: (order[m.relation], m.to_id))
    return found


async def crosswalks_by_element(
    session: AsyncSession, element_ids: Sequence[int]
) -> list[list[Crosswalk]]:
    """DataLoader batch: every crosswalk row from or to each element."""
    rows = list(
        await session.scalars(
            select(Crosswalk)
            .where(
                or_(
                    Crosswalk.from_element_id.in_(element_ids),
                    Crosswalk.to_element_id.in_(element_ids),
                )
            )
            .order_by(Crosswalk.id)
        )
    )
    found: dict[int, list[Crosswalk]] = {element_id: [] for element_id in element_ids}
    for row in rows:
        for end in dict.fromkeys((row.from_element_id, row.to_element_id)):
            if end in found:
                found[end].append(row)
    return [found[element_id] for element_id in element_ids]


def crosswalk_statement(framework_id: int) -> Select[tuple[Crosswalk]]:
    """The crosswalk rows from or to a framework's elements (paginated by the caller)."""
    source = aliased(Standard)
    target = aliased(Standard)
    return (
        select(Crosswalk)
        .join(source, source.id == Crosswalk.from_element_id)
        .join(target, target.id == Crosswalk.to_element_id)
        .where(or_(source.framework_id == framework_id, target.framework_id == framework_id))
    )
