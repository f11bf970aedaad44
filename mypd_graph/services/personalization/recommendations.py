"""Recommendations: PD resources from every provider, ranked for one teacher's needs and focus.

Inputs come from two batched reads (:func:`recommendation_inputs`: the catalog of the active
framework, once, and per teacher their subjects, grades and completed resources) and the needs
(:mod:`mypd_graph.services.personalization.needs`); ranking them is the pure function :func:`rank_resources`.

Ranking: each element a resource is aligned to is worth the teacher's need score there (0 when
unscored) plus ``FOCUS_BONUS`` when it is one of the teacher's focus elements. A resource scores its
best element plus a fifth of the rest (a resource aligned to many elements should not win on
breadth alone). Resources that touch no need and no focus element are left out, and so are:

- resources the teacher already completed: an action step marked done with that resource, or a
  training record of it;
- resources for other subjects (a resource listing subjects fits a teacher who teaches one of them;
  one listing none fits everyone) and other grades (the resource's grade band must overlap the
  teacher's grade levels; an unreadable band or a teacher without grade levels fits).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    ActionStep,
    ActionStepStatus,
    District,
    Framework,
    Goal,
    LearningPlan,
    Resource,
    ResourceElement,
    TeacherProfile,
    TrainingRecord,
)
from mypd_graph.services.access import Actor
from mypd_graph.services.common import check_first, decode_cursor
from mypd_graph.services.frameworks.carry import carried_resources
from mypd_graph.services.personalization.needs import ElementInfo, Need, teachers_by_ids
from mypd_graph.services.personalization.settings import Signal
from mypd_graph.services.resources.grades import grade_index, grade_span

FOCUS_BONUS = 0.25
BREADTH_SHARE = 0.2


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    id: int
    title: str
    format: str
    subjects: frozenset[str]  # lowercased; empty fits every subject
    grades: frozenset[int] | None  # None fits every grade
    duration_minutes: int | None
    element_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class TeacherFit:
    teacher_id: int
    subjects: frozenset[str]
    grades: frozenset[int]
    completed: frozenset[int]

    def fits(self, entry: CatalogEntry) -> bool:
        if entry.id in self.completed:
            return False
        if entry.subjects and self.subjects and not entry.subjects & self.subjects:
            return False
        return not (entry.grades is not None and self.grades and not entry.grades & self.grades)


@dataclass(frozen=True, slots=True)
class RecommendationInputs:
    fit: TeacherFit
    catalog: tuple[CatalogEntry, ...]
    # Keys of the frameworks the library's current resources are aligned to when none reaches
    # the active framework (not even through a crosswalk): what an empty list's note names.
    elsewhere: tuple[str, ...] = ()


async def _catalog(session: AsyncSession, district_id: int) -> tuple[CatalogEntry, ...]:
    """Every current resource aligned to the district's active framework, with its element ids
    (a retired one, which its provider no longer lists, is never recommended)."""
    rows = await session.execute(
        select(
            Resource.id,
            Resource.title,
            Resource.format,
            Resource.subjects,
            Resource.grade_band,
            Resource.duration_minutes,
            ResourceElement.element_id,
        )
        .join(ResourceElement, ResourceElement.resource_id == Resource.id)
        .join(District, District.active_framework_id == Resource.framework_id)
        .where(District.id == district_id, Resource.retired_at.is_(None))
        .order_by(Resource.id)
    )
    elements: dict[int, list[int]] = defaultdict(list)
    first: dict[int, tuple[Any, ...]] = {}
    for row in rows:
        first.setdefault(row[0], tuple(row[:6]))
        elements[row[0]].append(row[6])
    # After a framework switch, a catalog aligned to the old one serves through the crosswalk.
    active = await session.scalar(
        select(District.active_framework_id).where(District.id == district_id)
    )
    through = await carried_resources(session, active) if active is not None else {}
    if through:
        for row in await session.execute(
            select(
                Resource.id,
                Resource.title,
                Resource.format,
                Resource.subjects,
                Resource.grade_band,
                Resource.duration_minutes,
            )
            .where(Resource.id.in_(sorted(through)))
            .order_by(Resource.id)
        ):
            first.setdefault(row[0], tuple(row))
            elements[row[0]] += [e for e in through[row[0]] if e not in elements[row[0]]]
    return tuple(
        CatalogEntry(
            id=id_,
            title=title,
            format=format_,
            subjects=frozenset(str(s).strip().lower() for s in subjects or () if str(s).strip()),
            grades=grade_span(band) if band else None,
            duration_minutes=minutes,
            element_ids=tuple(elements[id_]),
        )
        for id_, (_, title, format_, subjects, band, minutes) in first.items()
    )


async def completed_resources(
    session: AsyncSession, teachers: Select[tuple[int]]
) -> dict[int, set[int]]:
    """``{teacher: resource ids}`` done as an action step or recorded as training."""
    steps = (
        select(LearningPlan.teacher_id.label("teacher_id"), ActionStep.resource_id)
        .join(Goal, Goal.id == ActionStep.goal_id)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(
            LearningPlan.teacher_id.in_(teachers),
            ActionStep.status == ActionStepStatus.DONE.value,
            ActionStep.resource_id.is_not(None),
        )
    )
    training = select(TrainingRecord.teacher_id, TrainingRecord.resource_id).where(
        TrainingRecord.teacher_id.in_(teachers), TrainingRecord.resource_id.is_not(None)
    )
    done: dict[int, set[int]] = defaultdict(set)
    for teacher_id, resource_id in await session.execute(union_all(steps, training)):
        done[teacher_id].add(resource_id)
    return done


async def recommendation_inputs(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[RecommendationInputs | None]:
    """DataLoader batch: what ranking needs besides the needs; three statements per batch."""
    teachers = teachers_by_ids(actor, teacher_ids)
    profiles = {
        row.user_id: row
        for row in await session.scalars(
            select(TeacherProfile).where(TeacherProfile.user_id.in_(teachers))
        )
    }
    if not profiles:
        return [None for _ in teacher_ids]
    done = await completed_resources(session, teachers)
    catalog = await _catalog(session, actor.district_id)
    elsewhere = () if catalog else await _frameworks_elsewhere(session, actor.district_id)
    answer: list[RecommendationInputs | None] = []
    for teacher_id in teacher_ids:
        profile = profiles.get(teacher_id)
        if profile is None:
            answer.append(None)
            continue
        grades = frozenset(
            index
            for index in (grade_index(grade) for grade in profile.grade_levels or ())
            if index is not None
        )
        fit = TeacherFit(
            teacher_id,
            frozenset(s.strip().lower() for s in profile.subjects or () if s.strip()),
            grades,
            frozenset(done.get(teacher_id, ())),
        )
        answer.append(RecommendationInputs(fit, catalog, elsewhere))
    return answer


async def _frameworks_elsewhere(session: AsyncSession, district_id: int) -> tuple[str, ...]:
    """Keys of the other frameworks current resources are aligned to (read only when none of
    them reaches the active framework)."""
    active = select(District.active_framework_id).where(District.id == district_id)
    keys = await session.scalars(
        select(Framework.key)
        .join(Resource, Resource.framework_id == Framework.id)
        .where(Resource.retired_at.is_(None), Framework.id.not_in(active.scalar_subquery()))
        .distinct()
        .order_by(Framework.key)
    )
    return tuple(keys)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a resource is recommended: one element it grows, and what makes that element matter."""

    element: ElementInfo
    need_score: float | None
    is_focus: bool
    signal: Signal | None  # the signal that adds most to the need
    explanation: str


@dataclass(frozen=True, slots=True)
class Recommendation:
    resource_id: int
    score: float
    reasons: tuple[Reason, ...]


def _reason(need: Need) -> tuple[float, Reason]:
    relevance = (need.score or 0.0) + (FOCUS_BONUS if need.is_focus else 0.0)
    words: list[str] = []
    top = need.top_signal if need.score is not None else None
    if need.score is not None:
        words.append(f"need {need.score:.2f} in {need.element.code}")
        if top is not None and top.evidence:
            words.append(top.evidence[0])
    if need.is_focus:
        words.append(f"{need.element.code} is a focus element")
    reason = Reason(
        need.element,
        need.score,
        need.is_focus,
        top.signal if top is not None else None,
        "; ".join(words),
    )
    return relevance, reason


def rank_resources(
    needs: Sequence[Need], inputs: RecommendationInputs, element_id: int | None = None
) -> list[Recommendation]:
    """The teacher's fitting resources, best first; only those aligned to ``element_id`` if given."""
    relevant = {
        need.element.id: _reason(need) for need in needs if need.score is not None or need.is_focus
    }
    ranked: list[tuple[float, int, Recommendation]] = []
    for entry in inputs.catalog:
        if element_id is not None and element_id not in entry.element_ids:
            continue
        if not inputs.fit.fits(entry):
            continue
        matched = sorted(
            (relevant[e] for e in entry.element_ids if e in relevant and relevant[e][0] > 0),
            key=lambda item: (-item[0], item[1].element.order),
        )
        if not matched:
            continue
        score = matched[0][0] + BREADTH_SHARE * sum(value for value, _ in matched[1:])
        reasons = tuple(reason for _, reason in matched)
        ranked.append(
            (round(score, 4), entry.id, Recommendation(entry.id, round(score, 4), reasons))
        )
    ranked.sort(key=lambda item: (-item[0], item[1]))
    return [item[2] for item in ranked]


CROSSWALK_HINT = "mypd-graph frameworks crosswalk FILE loads one"


def empty_note(needs: Sequence[Need], inputs: RecommendationInputs) -> str:
    """Why :func:`rank_resources` found nothing, in one sentence, checked in the order ranking
    drops resources: none for this framework (no crosswalk from the one the library serves),
    nothing to rank for (no need scored, no focus element), none aligned to those elements,
    all completed, none for the teacher's subjects and grades."""
    if not inputs.catalog:
        if inputs.elsewhere:
            keys = ", ".join(inputs.elsewhere)
            return (
                f"No resource is aligned to this framework: the library's resources are aligned "
                f"to {keys}, and no crosswalk maps those elements to this framework "
                f"({CROSSWALK_HINT})."
            )
        return "No resource in the library is aligned to this framework's elements yet."
    relevant = {
        need.element.id for need in needs if (need.score or 0.0) > 0 or need.is_focus
    }  # what rank_resources ranks for
    if not relevant:
        note = (
            "No need is scored yet and no focus element is chosen: a self-assessment, an "
            "observation or focus elements give recommendations something to rank"
        )
        missing = next((n.context.crosswalk_note for n in needs if n.context.crosswalk_note), None)
        return f"{note}; {missing}." if missing else f"{note}."
    aligned = [entry for entry in inputs.catalog if relevant.intersection(entry.element_ids)]
    if not aligned:
        codes = ", ".join(
            need.element.code
            for need in sorted(needs, key=lambda n: n.element.order)
            if need.element.id in relevant
        )
        return (
            f"No resource in the library is aligned to the elements needed or in focus ({codes})."
        )
    if all(entry.id in inputs.fit.completed for entry in aligned):
        return "Every resource aligned to the elements needed or in focus is completed."
    return (
        "No resource aligned to the elements needed or in focus fits the teacher's subjects and "
        "grade levels."
    )


@dataclass(frozen=True)
class RecommendationPage:
    items: list[tuple[int, Recommendation]]  # (position from 1, recommendation)
    total: int
    has_next_page: bool


def page_of(ranked: Sequence[Recommendation], first: int, after: str | None) -> RecommendationPage:
    """Offset pages over a ranked list; a cursor is the position of the last item seen."""
    check_first(first)
    start = decode_cursor(after) if after is not None else 0
    chosen = ranked[start : start + first]
    return RecommendationPage(
        [(start + offset + 1, item) for offset, item in enumerate(chosen)],
        len(ranked),
        start + first < len(ranked),
    )
