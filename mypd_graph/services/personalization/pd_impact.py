"""PD impact: did a teacher's ratings of an element change after they completed a resource aligned to it?

A resource counts as completed by a teacher on the first day they marked an action step using it
done, or the completion day of a training record naming it. For each element the resource is
aligned to, impact compares the teacher's latest rating of that element *on or before* that day
with their latest rating *after* it, observer ratings and self-ratings separately (a
self-assessment counts from the day it was submitted). :func:`pd_impact_pairs` is that comparison
as one SQL statement; the district view aggregates the same statement by resource.

With several observers on a side, the observed rating there is the reconciled one (in the side's
newest cycle, the lower median of each observer's latest rating: services.feedback.calibration,
docs/ratings.md), as in needs. A change needs a rating on both sides: a pair whose element no
observer rated before the completion (or after it) has no observed change, and says which side
is missing.

**Students.** :func:`student_status_pairs` sets beside each completion the share of the teacher's
students below standard (the student summaries, services.students) in each subject the district
maps to the resource's elements, in the school year before and the school year after: *after*
is the school year that begins in July of the calendar year of completion (a resource completed
from July to December counts for that school year, whose students are mostly tested in spring;
one completed from January to June counts from the next), *before* the school year before it.
The two years' students are whoever the teacher taught then, not the same children.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    ActionStep,
    ActionStepStatus,
    Goal,
    LearningPlan,
    Observation,
    ObservationRating,
    RatingLevel,
    Resource,
    ResourceElement,
    SelfAssessment,
    SelfAssessmentRating,
    Standard,
    TrainingRecord,
)
from mypd_graph.services.access import Actor, observation_shared, shared_with
from mypd_graph.services.common import group_by_key
from mypd_graph.services.feedback.calibration import cycle_start
from mypd_graph.services.personalization.needs import ElementInfo, LevelInfo, teachers_by_ids
from mypd_graph.services.personalization.settings import PersonalizationSettings
from mypd_graph.services.students.figures import per_teacher as teacher_status

# --- PD impact ------------------------------------------------------------------------------------


def _completions(teachers: Select[tuple[int]]) -> Select[tuple[int, int, date]]:
    steps = (
        select(
            LearningPlan.teacher_id.label("teacher_id"),
            ActionStep.resource_id.label("resource_id"),
            func.date(ActionStep.completed_at).label("completed_on"),
        )
        .join(Goal, Goal.id == ActionStep.goal_id)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(
            LearningPlan.teacher_id.in_(teachers),
            ActionStep.status == ActionStepStatus.DONE.value,
            ActionStep.resource_id.is_not(None),
            ActionStep.completed_at.is_not(None),
        )
    )
    trained = select(
        TrainingRecord.teacher_id, TrainingRecord.resource_id, TrainingRecord.completed_on
    ).where(TrainingRecord.teacher_id.in_(teachers), TrainingRecord.resource_id.is_not(None))
    both = union_all(steps, trained).subquery()
    return select(
        both.c.teacher_id,
        both.c.resource_id,
        type_coerce(func.min(both.c.completed_on), Date).label("completed_on"),
    ).group_by(both.c.teacher_id, both.c.resource_id)


def pd_impact_pairs(
    teachers: Select[tuple[int]], viewer: Actor, anyway: ColumnElement[bool] | None = None
) -> Select[tuple[object, ...]]:
    """``(teacher, resource, completed on, element, observed before, observed after, self before,
    self after)`` with levels as scale positions (``None`` where there is no such rating).

    Only the ratings ``viewer`` may see count (services.access), or every rating where ``anyway``
    holds: district views that add pairs up over at least the minimum group size of teachers.

    "Before" is the newest rating on or before the completion day, "after" the newest one after
    it. Every pair (one per teacher, resource and element: :func:`_completions` keeps a resource's
    first completion) meets its teacher's observer ratings and self-ratings of its element through
    the tables' own keys, ``row_number()`` marks the newest on each side, and one GROUP BY per pair
    picks them. Neither of the shapes
    that are simpler to write holds up: four correlated lookups per pair cost seconds for a
    district, and joining the pairs back to grouped subqueries (or to a union of the ratings)
    leaves the planners without estimates or indexes (PostgreSQL then nests loops, SQLite scans)."""
    done = _completions(teachers).subquery()
    pairs = (
        select(
            done.c.teacher_id,
            done.c.resource_id,
            done.c.completed_on,
            ResourceElement.element_id,
        )
        .join(ResourceElement, ResourceElement.resource_id == done.c.resource_id)
        .subquery("impact_pairs")
    )

    def met(source: str | None) -> Select[Any]:
        """The pairs with the ratings of ``source`` they meet, the newest on each side marked;
        with no source, every pair once (so pairs without ratings are kept)."""
        columns = (pairs.c.teacher_id, pairs.c.resource_id, pairs.c.completed_on)
        if source is None:
            return select(
                *columns,
                pairs.c.element_id,
                literal(None, String).label("source"),
                literal(0).label("after"),
                literal(None, Integer).label("position"),
                literal(1).label("newest"),
            )
        owner, rating, owner_key, day, at = _RATING_SOURCES[source]
        joined = (
            select()
            .select_from(pairs)
            .join(owner, owner.teacher_id == pairs.c.teacher_id)
            .join(
                rating,
                and_(owner_key == owner.id, rating.element_id == pairs.c.element_id),
            )
            .join(RatingLevel, RatingLevel.id == rating.level_id)
        )
        shown = _shown(viewer, source)
        joined = joined.where(shown if anyway is None else or_(anyway, shown))
        after = case((day > pairs.c.completed_on, 1), else_=0)
        if source == OBSERVED:
            return _reconciled_sides(joined, pairs, after)
        newest = func.row_number().over(
            partition_by=(pairs.c.teacher_id, pairs.c.resource_id, pairs.c.element_id, after),
            order_by=(at.desc(), owner.id.desc()),
        )
        return joined.add_columns(
            *columns,
            pairs.c.element_id,
            literal(source).label("source"),
            after.label("after"),
            RatingLevel.position,
            newest.label("newest"),
        )

    every = union_all(met(None), met(OBSERVED), met(SELF_RATED)).subquery("impact_met")

    def newest(source: str, side: int) -> ColumnElement[int]:
        chosen = and_(every.c.source == source, every.c.after == side)
        return func.max(case((chosen, every.c.position)))

    return (
        select(
            every.c.teacher_id,
            every.c.resource_id,
            every.c.completed_on,
            every.c.element_id,
            newest(OBSERVED, 0).label("observed_before"),
            newest(OBSERVED, 1).label("observed_after"),
            newest(SELF_RATED, 0).label("self_before"),
            newest(SELF_RATED, 1).label("self_after"),
        )
        .where(every.c.newest == 1)
        .group_by(every.c.teacher_id, every.c.resource_id, every.c.completed_on, every.c.element_id)
    )


OBSERVED, SELF_RATED = "observed", "self"


def _reconciled_sides(joined: Select[Any], pairs: Any, after: ColumnElement[int]) -> Select[Any]:
    """The observer ratings a pair meets, the reconciled one on each side marked ``newest``: in
    the side's newest cycle, each observer's latest rating, the lower median of them
    (services.feedback.calibration), so PD impact compares what needs and the calibration view
    call a teacher's observed rating."""
    side = (pairs.c.teacher_id, pairs.c.resource_id, pairs.c.element_id, after)
    start = cycle_start(Observation.observed_on)
    rated = joined.add_columns(
        pairs.c.teacher_id,
        pairs.c.resource_id,
        pairs.c.completed_on,
        pairs.c.element_id,
        after.label("after"),
        RatingLevel.position,
        Observation.observed_on,
        Observation.id.label("observation_id"),
        start,
        func.max(start).over(partition_by=side).label("newest_cycle"),
        func.row_number()
        .over(
            partition_by=(*side, Observation.observer_id, start),
            order_by=(Observation.observed_on.desc(), Observation.id.desc()),
        )
        .label("rater_newest"),
    ).subquery("observed_sides")
    by_side = (rated.c.teacher_id, rated.c.resource_id, rated.c.element_id, rated.c.after)
    rank = func.row_number().over(
        partition_by=by_side,
        order_by=(rated.c.position, rated.c.observed_on.desc(), rated.c.observation_id.desc()),
    )
    middle = (func.count().over(partition_by=by_side) + 1) // 2
    return select(
        rated.c.teacher_id,
        rated.c.resource_id,
        rated.c.completed_on,
        rated.c.element_id,
        literal(OBSERVED).label("source"),
        rated.c.after,
        rated.c.position,
        case((rank == middle, 1), else_=0).label("newest"),
    ).where(rated.c.cycle_start == rated.c.newest_cycle, rated.c.rater_newest == 1)


def _shown(viewer: Actor, source: str) -> ColumnElement[bool]:
    if source == OBSERVED:
        return observation_shared(viewer)
    return shared_with(viewer, SelfAssessment.teacher_id, SelfAssessment.audience)


# Per source of ratings: the rated event, its ratings, their key to it, the day a rating counts
# from, and what orders two ratings of one element (newest first).
_RATING_SOURCES: dict[str, tuple[Any, Any, Any, Any, Any]] = {
    OBSERVED: (
        Observation,
        ObservationRating,
        ObservationRating.observation_id,
        Observation.observed_on,
        Observation.observed_on,
    ),
    SELF_RATED: (
        SelfAssessment,
        SelfAssessmentRating,
        SelfAssessmentRating.self_assessment_id,
        func.date(SelfAssessment.submitted_at),
        SelfAssessment.submitted_at,
    ),
}


@dataclass(frozen=True, slots=True)
class ImpactPair:
    teacher_id: int
    resource_id: int
    resource_title: str
    completed_on: date
    element: ElementInfo
    observed_before: LevelInfo | None
    observed_after: LevelInfo | None
    self_before: LevelInfo | None
    self_after: LevelInfo | None

    @staticmethod
    def _change(before: LevelInfo | None, after: LevelInfo | None) -> int | None:
        return after.position - before.position if before and after else None

    @property
    def observed_change(self) -> int | None:
        return self._change(self.observed_before, self.observed_after)

    @property
    def self_change(self) -> int | None:
        return self._change(self.self_before, self.self_after)


async def pd_impact_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[ImpactPair]]:
    """Per teacher, each completed resource and aligned element with ratings before and after."""
    pairs = pd_impact_pairs(teachers_by_ids(actor, teacher_ids), actor).subquery()
    parent = Standard.__table__.alias("parent")
    rows = (
        await session.execute(
            select(
                pairs,
                Resource.title,
                Standard.code,
                Standard.text,
                parent.c.position,
                Standard.position,
                Standard.framework_id,
            )
            .join(Resource, Resource.id == pairs.c.resource_id)
            .join(Standard, Standard.id == pairs.c.element_id)
            .join(parent, parent.c.id == Standard.parent_id)
            .order_by(
                pairs.c.completed_on, pairs.c.resource_id, parent.c.position, Standard.position
            )
        )
    ).all()
    scales: dict[int, dict[int, LevelInfo]] = defaultdict(dict)
    frameworks = {row[13] for row in rows}
    if frameworks:
        for level in await session.execute(
            select(
                RatingLevel.framework_id,
                RatingLevel.id,
                RatingLevel.key,
                RatingLevel.label,
                RatingLevel.position,
            ).where(RatingLevel.framework_id.in_(frameworks))
        ):
            scales[level[0]][level[4]] = LevelInfo(*level[1:])
    impact = []
    for row in rows:
        scale = scales[row[13]]
        element = ElementInfo(row[3], row[9], row[10], row[11] * 1000 + row[12], row[13])
        levels = [scale.get(position) if position is not None else None for position in row[4:8]]
        impact.append(ImpactPair(row[0], row[1], row[8], row[2], element, *levels))
    return group_by_key(impact, teacher_ids, lambda pair: pair.teacher_id)


# --- students' status before and after ----------------------------------------------------------


def student_status_pairs(
    actor: Actor, teachers: Select[tuple[int]], settings: PersonalizationSettings
) -> Select[tuple[object, ...]] | None:
    """``(teacher_id, resource_id, completed_on, subject, students_before, below_before,
    students_after, below_after)`` per completion and subject mapped to one of the resource's
    elements (``None`` counts where the teacher has no results that year); ``None`` when the
    district maps no element to a subject. The students are those ``actor`` may read, by the
    student summaries' own rule (services.students.figures), so a principal's figures count the
    students of their school."""
    mapped_codes = [
        select(literal(subject).label("subject"), literal(code).label("code"))
        for subject, codes in sorted(settings.subject_elements.items())
        for code in codes
    ]
    if not mapped_codes or settings.framework_id is None:
        return None
    mapped = union_all(*mapped_codes).subquery("mapped")
    done = _completions(teachers).subquery("done")
    aligned = (
        select(
            done.c.teacher_id,
            done.c.resource_id,
            done.c.completed_on,
            mapped.c.subject,
            extract("year", done.c.completed_on).label("after_start"),
        )
        .distinct()
        .join(ResourceElement, ResourceElement.resource_id == done.c.resource_id)
        .join(
            Standard,
            and_(
                Standard.id == ResourceElement.element_id,
                Standard.framework_id == settings.framework_id,
            ),
        )
        .join(mapped, mapped.c.code == Standard.code)
        .subquery("aligned")
    )
    sides = []
    for name, offset in (("before", 1), ("after", 0)):
        status = list(teacher_status(actor, teachers, None).subquery(name).c)
        starts = cast(func.substr(status[2], 1, 4), Integer)
        joined = and_(
            status[0] == aligned.c.teacher_id,
            func.lower(status[1]) == func.lower(aligned.c.subject),
            starts == aligned.c.after_start - offset,
        )
        sides.append((status, joined))
    (before, on_before), (after, on_after) = sides
    return (
        select(
            aligned.c.teacher_id,
            aligned.c.resource_id,
            aligned.c.completed_on,
            aligned.c.subject,
            before[4].label("students_before"),
            before[5].label("below_before"),
            after[4].label("students_after"),
            after[5].label("below_after"),
        )
        .select_from(aligned)
        .outerjoin(before[0].table, on_before)
        .outerjoin(after[0].table, on_after)
    )
