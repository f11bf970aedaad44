"""Reading a teacher's history on another framework through the crosswalk.

After a switch, ratings and training sit on the old framework's elements (they are history and are
never rewritten). Needs, goal suggestions and recommendations read them on the new framework
through the crosswalk (:func:`carry_signals`, :func:`carried_resources`): a rating of an old
element counts for the elements it maps to (its level placed at the same height of the new scale),
unless the teacher rated the new element itself; aligned training hours add up. Every carried
reading says where it came from; what no crosswalk covers is named in a note instead of vanishing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Framework, RatingLevel, Resource, ResourceElement, Standard
from mypd_graph.services.frameworks.crosswalks import mappings_into
from mypd_graph.services.frameworks.swap import scale_position

Key = tuple[int, int]  # (teacher, element)


@dataclass
class Carried:
    selfs: dict[Key, tuple[Any, ...]]
    observed: dict[Key, tuple[Any, ...]]
    trained: dict[Key, tuple[Any, ...]]
    note: str | None = None  # what no crosswalk covers, in words


async def carry_signals(
    session: AsyncSession,
    framework_id: int,
    live: Collection[int],
    scale: list[int],
    selfs: Mapping[Key, tuple[Any, ...]],
    observed: Mapping[Key, tuple[Any, ...]],
    trained: Mapping[Key, tuple[Any, ...]],
) -> Carried:
    """The three signals' rows with those of other frameworks' elements carried to the elements
    of ``framework_id`` they map to. ``live`` holds the framework's element ids, ``scale`` its
    level ids lowest first. Carried rows end with a phrase saying where they came from."""
    carried = Carried(dict(selfs), dict(observed), dict(trained))
    old = {e for rows in (selfs, observed, trained) for _, e in rows if e not in live}
    if not old:
        return carried
    maps = await mappings_into(session, framework_id, sorted(old))
    named = {
        id_: (code, key)
        for id_, code, key in await session.execute(
            select(Standard.id, Standard.code, Framework.key)
            .join(Framework, Framework.id == Standard.framework_id)
            .where(Standard.id.in_(sorted(old)))
        )
    }
    level_ids = {row[0] for rows in (selfs, observed) for k, row in rows.items() if k[1] in maps}
    levels = {
        row.id: row
        for row in await session.scalars(
            select(RatingLevel).where(RatingLevel.id.in_(sorted(level_ids)))
        )
    }
    sizes = dict(
        (
            await session.execute(
                select(RatingLevel.framework_id, func.count())
                .where(RatingLevel.framework_id.in_({row.framework_id for row in levels.values()}))
                .group_by(RatingLevel.framework_id)
            )
        ).all()
    )

    def targets(element: int) -> list[tuple[int, str]]:
        found = maps.get(element, [])
        best = found[0].relation if found else None
        return [(m.to_id, m.relation) for m in found if m.relation == best]

    def origin(element: int, relation: str) -> str:
        code, key = named[element]
        return f"through the crosswalk from {key} {code} ({relation})"

    def placed(level_id: int) -> tuple[int, str] | None:
        level = levels.get(level_id)
        if level is None or not scale:
            return None
        size = sizes.get(level.framework_id, 1)
        position = scale_position(level.position, size, len(scale))
        return scale[position - 1], f"{level.label} ({level.position} of {size})"

    unmapped: dict[str, int] = defaultdict(int)
    for rows, out, newer in (
        (selfs, carried.selfs, lambda a, b: a[1] > b[1]),
        (observed, carried.observed, lambda a, b: a[1] > b[1]),
    ):
        for (teacher, element), row in rows.items():
            if element in live:
                continue
            if element not in maps:
                unmapped[named[element][1]] += 1
                continue
            level = placed(row[0])
            if level is None:
                continue
            for target, relation in targets(element):
                key = (teacher, target)
                mine = (level[0], *row[1:], f"rated {level[1]}, {origin(element, relation)}")
                there = out.get(key)
                if there is None or (len(there) > len(row) and newer(mine, there)):
                    out[key] = mine
    for (teacher, element), row in trained.items():
        if element in live:
            continue
        if element not in maps:
            unmapped[named[element][1]] += 1
            continue
        for target, relation in targets(element):
            key = (teacher, target)
            hours, records = row[0], row[1]
            there = carried.trained.get(key)
            words = [there[2]] if there is not None and len(there) > 2 else []
            code, framework = named[element]
            words.append(
                f"{hours:g} hours on {framework} {code}, through the crosswalk ({relation})"
            )
            if there is not None:
                hours, records = hours + there[0], records + there[1]
            carried.trained[key] = (hours, records, "; ".join(words))
    if unmapped:
        keys = ", ".join(sorted(unmapped))
        carried.note = (
            f"ratings or training on {keys} do not count here: no crosswalk maps those elements "
            "to this framework (mypd-graph frameworks crosswalk FILE loads one)"
        )
    return carried


async def carried_resources(session: AsyncSession, framework_id: int) -> dict[int, list[int]]:
    """Current resources aligned to other frameworks' elements that map to ``framework_id``'s:
    ``{resource id: [element ids of framework_id]}`` (a catalog aligned to the old framework
    keeps serving after a switch)."""
    rows = (
        await session.execute(
            select(ResourceElement.resource_id, ResourceElement.element_id)
            .join(Resource, Resource.id == ResourceElement.resource_id)
            .where(Resource.framework_id != framework_id, Resource.retired_at.is_(None))
        )
    ).all()
    if not rows:
        return {}
    maps = await mappings_into(session, framework_id, sorted({e for _, e in rows}))
    found: dict[int, list[int]] = defaultdict(list)
    for resource, element in rows:
        for mapping in maps.get(element, ()):
            if mapping.to_id not in found[resource]:
                found[resource].append(mapping.to_id)
    return dict(found)
