"""A teacher's observations and evidence (``Teacher.observations``, ``Teacher.evidence``), read
with what the query asks for below them in one session: the observations' ratings, the
evidence's elements. Each batch composes the services' own batch functions (the same statements,
with the same access conditions); the fields below answer from memory (``Observation.ratings``,
``Evidence.elements``) instead of each awaiting a loader of its own, and the Teacher fields
return the loader's future itself (no coroutine per field: see schema/lookahead.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.feedback.types import ElementRating, Evidence, Observation
from mypd_graph.schema.frameworks import Element, RatingLevel
from mypd_graph.schema.lookahead import selects
from mypd_graph.services.access import Actor
from mypd_graph.services.feedback import evidence as evidence_service
from mypd_graph.services.feedback import ratings as service
from mypd_graph.services.feedback.common import RatingRow

T = TypeVar("T")
ObservationBranch = tuple[models.Observation, list[RatingRow]]
EvidenceBranch = tuple[models.Evidence, list[models.Standard]]


async def observations_with_ratings_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[ObservationBranch]]:
    """Each teacher's observations, newest first, each with the observer's ratings."""
    observations = await service.observations_by_teacher(session, actor, teacher_ids)
    ids = [row.id for rows in observations for row in rows]
    ratings = await service.observation_ratings(session, actor, ids) if ids else []
    by_id = dict(zip(ids, ratings, strict=True))
    return [[(row, by_id[row.id]) for row in rows] for rows in observations]


async def evidence_with_elements_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[EvidenceBranch]]:
    """Each teacher's evidence, newest first, each with its elements."""
    evidence = await evidence_service.evidence_by_teacher(session, actor, teacher_ids)
    ids = [row.id for rows in evidence for row in rows]
    elements = await evidence_service.evidence_elements(session, actor, ids) if ids else []
    by_id = dict(zip(ids, elements, strict=True))
    return [[(row, by_id[row.id]) for row in rows] for rows in evidence]


def observations_of_teacher(info: Info, teacher_id: int) -> Awaitable[list[Observation]]:
    """Newest first: the loader's future itself (no coroutine); with their ratings read in the
    same batch when the query asks for them."""
    with_ratings = selects(info, "ratings")
    batch: Any = _observations_with_ratings if with_ratings else _observations
    return info.context.loader(batch).load(teacher_id)


async def _observations(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[Observation]]:
    found = await service.observations_by_teacher(session, actor, teacher_ids)
    return [[Observation.from_row(row) for row in rows] for rows in found]


async def _observations_with_ratings(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[Observation]]:
    found = await observations_with_ratings_by_teacher(session, actor, teacher_ids)
    elements: dict[int, Element] = {}  # one Element and one RatingLevel per row of the batch
    levels: dict[int, RatingLevel] = {}
    result = []
    for rows in found:
        observations = []
        for row, ratings in rows:
            observation = Observation.from_row(row)
            observation.known_ratings = [
                ElementRating(
                    element=_once(elements, rating.element, Element.from_row),
                    level=_once(levels, rating.level, RatingLevel.from_row),
                    note=rating.note,
                )
                for rating in ratings
            ]
            observations.append(observation)
        result.append(observations)
    return result


def evidence_of_teacher(info: Info, teacher_id: int) -> Awaitable[list[Evidence]]:
    """Newest first: the loader's future itself (no coroutine); with their elements read in the
    same batch when the query asks for them."""
    batch: Any = _evidence_with_elements if selects(info, "elements") else _evidence
    return info.context.loader(batch).load(teacher_id)


async def _evidence(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[Evidence]]:
    found = await evidence_service.evidence_by_teacher(session, actor, teacher_ids)
    return [[Evidence.from_row(row) for row in rows] for rows in found]


async def _evidence_with_elements(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[Evidence]]:
    found = await evidence_with_elements_by_teacher(session, actor, teacher_ids)
    elements: dict[int, Element] = {}
    result = []
    for rows in found:
        items = []
        for row, linked in rows:
            evidence = Evidence.from_row(row)
            evidence.known_elements = [_once(elements, e, Element.from_row) for e in linked]
            items.append(evidence)
        result.append(items)
    return result


def _once(made: dict[int, T], row: Any, make: Callable[[Any], T]) -> T:
    """One object per row id in a batch (its global id computed once)."""
    found = made.get(row.id)
    if found is None:
        found = made[row.id] = make(row)
    return found
