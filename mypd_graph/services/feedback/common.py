"""Checks and loaders shared by the feedback services: input checks, ratings, aligned elements.

Self-assessments and observations both rate elements on the framework's scale; evidence and training
records both align to elements. Validation and batched reads of those shapes live here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from mypd_graph.models import Framework, RatingLevel, Standard, TeacherProfile
from mypd_graph.services.access import Actor, district_default_audience, may_edit_own
from mypd_graph.services.common import group_by_key
from mypd_graph.services.errors import PermissionDenied, Problem, UserInputError, invalid
from mypd_graph.services.frameworks import registry as frameworks
from mypd_graph.services.inputs import check_list

Field = tuple[str, ...]


async def require_framework(session: AsyncSession, actor: Actor) -> Framework:
    """Ratings and alignments refer to the district's active framework; there must be one."""
    framework = await frameworks.active_framework(session, actor.district_id)
    if framework is None:
        raise invalid("input", "the district has no active framework", "NO_FRAMEWORK")
    return framework


async def require_own_teacher(session: AsyncSession, actor: Actor, teacher_id: int) -> None:
    """Own growth data is written by its teacher, and only teachers have growth data."""
    may_edit_own(actor, teacher_id)
    if await session.get(TeacherProfile, teacher_id) is None:
        raise PermissionDenied("only a teacher keeps self-assessments, evidence and training")


async def default_audience(session: AsyncSession, actor: Actor) -> str:
    """The audience of a new record whose teacher did not choose one: the district's default."""
    return str(await session.scalar(select(district_default_audience(actor.district_id))))


async def resolve_element_codes(
    session: AsyncSession, actor: Actor, codes: Sequence[str], field: Field
) -> list[Standard]:
    codes = [code.strip() for code in codes]
    if not codes:
        return []
    framework = await require_framework(session, actor)
    return await frameworks.resolve_elements(session, framework.id, codes, field)


# --- ratings --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingInput:
    """One element rated at one level of the scale (``"1.1"``, ``"applying"``)."""

    element_code: str
    level: str
    note: str = ""


@dataclass(frozen=True)
class ResolvedRating:
    element: Standard
    level: RatingLevel
    note: str


async def resolve_ratings(
    session: AsyncSession, actor: Actor, ratings: Sequence[RatingInput], field: Field
) -> list[ResolvedRating]:
    """Validate every rating at once (two queries), so the user sees all problems in one answer,
    each pinned to its own ``ratings.<index>.<field>``."""
    if not ratings:
        return []
    check_list(ratings, field)
    framework = await require_framework(session, actor)
    codes = [rating.element_code.strip() for rating in ratings]
    elements = {
        row.code: row
        for row in await session.scalars(
            select(Standard).where(
                Standard.framework_id == framework.id,
                Standard.code.in_(codes),
                Standard.is_element.is_(True),
            )
        )
    }
    levels = list(
        await session.scalars(
            select(RatingLevel)
            .where(RatingLevel.framework_id == framework.id)
            .order_by(RatingLevel.position)
        )
    )
    levels_by_key = {level.key: level for level in levels}
    problems: list[Problem] = []
    first_index: dict[str, int] = {}
    for index, (code, rating) in enumerate(zip(codes, ratings, strict=True)):
        path = (*field, str(index))
        if code in first_index:
            problems.append(
                Problem(
                    (*path, "elementCode"),
                    f"element {code} is rated twice (ratings {first_index[code]} and {index})",
                    "DUPLICATE_ELEMENT",
                )
            )
        elif code not in elements:
            problems.append(
                Problem((*path, "elementCode"), f"unknown element code {code!r}", "UNKNOWN_ELEMENT")
            )
        first_index.setdefault(code, index)
        if rating.level.strip() not in levels_by_key:
            expected = ", ".join(level.key for level in levels)
            problems.append(
                Problem(
                    (*path, "level"),
                    f"unknown level {rating.level!r}; expected one of: {expected}",
                    "UNKNOWN_LEVEL",
                )
            )
    if problems:
        raise UserInputError(*problems)
    return [
        ResolvedRating(elements[code], levels_by_key[rating.level.strip()], rating.note.strip())
        for code, rating in zip(codes, ratings, strict=True)
    ]


@dataclass(frozen=True)
class RatingRow:
    """A stored rating with its element and level, read in one join."""

    owner_id: int
    element: Standard
    level: RatingLevel
    note: str


async def ratings_by_owner(
    session: AsyncSession,
    owner_ids: Sequence[int],
    rating_model: Any,
    owner_column: InstrumentedAttribute[int],
    scope: ColumnElement[bool],
    parent_id_column: InstrumentedAttribute[int],
) -> list[list[RatingRow]]:
    """Ratings of many self-assessments or observations in one statement, in framework order.

    ``scope`` is the viewer's condition on the parent row, so ratings of a row the viewer cannot
    read are never loaded, whoever asks for them.
    """
    rows = await session.execute(
        select(owner_column, rating_model.note, Standard, RatingLevel)
        .join(Standard, Standard.id == rating_model.element_id)
        .join(RatingLevel, RatingLevel.id == rating_model.level_id)
        .join(parent_id_column.class_, parent_id_column == owner_column)
        .where(owner_column.in_(owner_ids), scope)
        .order_by(Standard.parent_id, Standard.position)
    )
    ratings = [RatingRow(owner, element, level, note) for owner, note, element, level in rows]
    return group_by_key(ratings, owner_ids, lambda row: row.owner_id)


async def elements_by_owner(
    session: AsyncSession,
    owner_ids: Sequence[int],
    link_owner_column: InstrumentedAttribute[int],
    link_element_column: InstrumentedAttribute[int],
    parent_id_column: InstrumentedAttribute[int],
    scope: ColumnElement[bool],
) -> list[list[Standard]]:
    """Elements aligned to many evidence items or training records, in one statement."""
    rows = await session.execute(
        select(link_owner_column, Standard)
        .join(Standard, Standard.id == link_element_column)
        .join(parent_id_column.class_, parent_id_column == link_owner_column)
        .where(link_owner_column.in_(owner_ids), scope)
        .order_by(Standard.parent_id, Standard.position)
    )
    grouped = group_by_key(list(rows), owner_ids, lambda row: row[0])
    return [[row[1] for row in group] for group in grouped]


async def replace_links(
    session: AsyncSession,
    link_model: Any,
    owner_column: InstrumentedAttribute[int],
    target_column: InstrumentedAttribute[int],
    owner_id: int,
    wanted: Sequence[int],
) -> None:
    """Make the link rows of one owner (its elements, its goals) exactly ``wanted``."""
    current = set(await session.scalars(select(target_column).where(owner_column == owner_id)))
    stale = current - set(wanted)
    if stale:
        await session.execute(
            delete(link_model).where(owner_column == owner_id, target_column.in_(stale))
        )
    session.add_all(
        link_model(**{owner_column.key: owner_id, target_column.key: target_id})
        for target_id in dict.fromkeys(wanted)
        if target_id not in current
    )
    await session.flush()
