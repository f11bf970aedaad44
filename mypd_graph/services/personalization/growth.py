"""A teacher's growth over time: ratings per element, goal progress, training, students, PD impact.

Each function is a DataLoader batch over teacher ids (one or two statements for any number of
teachers), limited to the teachers the actor may read. Self-ratings and observer ratings stay two
separate series: growth is told for each on its own and they are never averaged.

**PD impact.** A resource counts as completed by a teacher on the first day they marked an action
step using it done, or the completion day of a training record naming it. For each element the
resource is aligned to, impact compares the teacher's latest rating of that element *on or before*
that day with their latest rating *after* it, observer ratings and self-ratings separately (a
self-assessment counts from the day it was submitted). :func:`pd_impact_pairs` is that comparison as
one SQL statement; the district view aggregates the same statement by resource.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
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
    extract,
    func,
    literal,
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
from mypd_graph.services.access import Actor
from mypd_graph.services.common import group_by_key
from mypd_graph.services.personalization.needs import ElementInfo, LevelInfo, teachers_by_ids
from mypd_graph.services.personalization.settings import load_settings
from mypd_graph.services.students.figures import (
    TermResults,
    record_aggregate_read,
    teacher_results_by_term,
)

# --- ratings over time ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelPoint:
    level_id: int
    position: int
    when: str  # a cycle (self-assessment) or an ISO date (observation)
    kind: str = "self"  # "self", or the observation kind


@dataclass(slots=True)
class ElementSeries:
    element: ElementInfo
    self_levels: list[LevelPoint] = field(default_factory=list)  # oldest first
    observed_levels: list[LevelPoint] = field(default_factory=list)  # oldest first

    @staticmethod
    def change(points: Sequence[LevelPoint]) -> int | None:
        """Latest minus first level position; ``None`` with fewer than two ratings."""
        return points[-1].position - points[0].position if len(points) >= 2 else None


async def rating_series_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[ElementSeries]]:
    """Per teacher and element, self and observed levels in time order (two statements)."""
    teachers = teachers_by_ids(actor, teacher_ids)
    parent = Standard.__table__.alias("parent")
    element_columns = (
        Standard.id,
        Standard.code,
        Standard.text,
        parent.c.position,
        Standard.position,
        Standard.framework_id,
    )
    self_rows = await session.execute(
        select(
            SelfAssessment.teacher_id,
            *element_columns,
            RatingLevel.id,
            RatingLevel.position,
            SelfAssessment.cycle,
        )
        .select_from(SelfAssessmentRating)
        .join(SelfAssessment, SelfAssessment.id == SelfAssessmentRating.self_assessment_id)
        .join(Standard, Standard.id == SelfAssessmentRating.element_id)
        .join(parent, parent.c.id == Standard.parent_id)
        .join(RatingLevel, RatingLevel.id == SelfAssessmentRating.level_id)
        .where(SelfAssessment.teacher_id.in_(teachers))
        .order_by(SelfAssessment.cycle, SelfAssessment.id)
    )
    observed_rows = await session.execute(
        select(
            Observation.teacher_id,
            *element_columns,
            RatingLevel.id,
            RatingLevel.position,
            Observation.observed_on,
            Observation.kind,
        )
        .select_from(ObservationRating)
        .join(Observation, Observation.id == ObservationRating.observation_id)
        .join(Standard, Standard.id == ObservationRating.element_id)
        .join(parent, parent.c.id == Standard.parent_id)
        .join(RatingLevel, RatingLevel.id == ObservationRating.level_id)
        .where(Observation.teacher_id.in_(teachers))
        .order_by(Observation.observed_on, Observation.id)
    )
    series: dict[int, dict[int, ElementSeries]] = defaultdict(dict)

    def entry(row: Sequence[object]) -> ElementSeries:
        teacher_id, element_id, code, text, standard_position, position, framework = row[:7]
        found = series[teacher_id].get(element_id)  # type: ignore[index]
        if found is None:
            order = int(standard_position) * 1000 + int(position)  # type: ignore[call-overload]
            info = ElementInfo(element_id, code, text, order, framework)  # type: ignore[arg-type]
            found = ElementSeries(info)
            series[teacher_id][element_id] = found  # type: ignore[index]
        return found

    for row in self_rows:
        entry(row).self_levels.append(LevelPoint(row[7], row[8], row[9]))
    for row in observed_rows:
        entry(row).observed_levels.append(LevelPoint(row[7], row[8], row[9].isoformat(), row[10]))
    return [
        sorted(series.get(teacher_id, {}).values(), key=lambda s: s.element.order)
        for teacher_id in teacher_ids
    ]


# --- goals and training ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanProgress:
    plan_id: int
    teacher_id: int
    cycle: str
    status: str
    goals: int
    goals_met: int  # progress 100
    average_progress: float | None


async def plan_progress_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[PlanProgress]]:
    """Per plan, newest cycle first: goals, goals met and average progress (one GROUP BY)."""
    met = case((Goal.progress >= 100, 1), else_=0)
    rows = await session.execute(
        select(
            LearningPlan.id,
            LearningPlan.teacher_id,
            LearningPlan.cycle,
            LearningPlan.status,
            func.count(Goal.id),
            func.coalesce(func.sum(met), 0),
            func.avg(Goal.progress),
        )
        .outerjoin(Goal, Goal.plan_id == LearningPlan.id)
        .where(LearningPlan.teacher_id.in_(teachers_by_ids(actor, teacher_ids)))
        .group_by(LearningPlan.id, LearningPlan.teacher_id, LearningPlan.cycle, LearningPlan.status)
        .order_by(LearningPlan.cycle.desc())
    )
    progress = [
        PlanProgress(
            plan,
            teacher,
            cycle,
            status,
            int(goals),
            int(done),
            float(avg) if avg is not None else None,
        )
        for plan, teacher, cycle, status, goals, done, avg in rows
    ]
    return group_by_key(progress, teacher_ids, lambda row: row.teacher_id)


def school_year_column(day: object) -> object:
    """SQL for the school year's first calendar year (July-June years) of a date column."""
    year = extract("year", day)
    return case((extract("month", day) >= 7, year), else_=year - 1)


@dataclass(frozen=True, slots=True)
class TrainingYear:
    school_year: str
    hours: float
    records: int


async def training_hours_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[TrainingYear]]:
    """Training hours and records per school year, oldest first (one GROUP BY)."""
    start = school_year_column(TrainingRecord.completed_on)
    rows = await session.execute(
        select(TrainingRecord.teacher_id, start, func.sum(TrainingRecord.hours), func.count())
        .where(TrainingRecord.teacher_id.in_(teachers_by_ids(actor, teacher_ids)))
        .group_by(TrainingRecord.teacher_id, start)
        .order_by(start)
    )
    years = [
        (teacher, TrainingYear(f"{int(first)}-{(int(first) + 1) % 100:02d}", float(h), int(n)))
        for teacher, first, h, n in rows
    ]
    return [
        [year for _, year in group] for group in group_by_key(years, teacher_ids, lambda r: r[0])
    ]


# --- students' results by term ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermSummary:
    """A testing window's results for a teacher's students; figures are ``None`` when suppressed."""

    assessment_id: int
    assessment_name: str
    subject: str
    school_year: str
    term: str
    suppressed: bool
    students: int | None
    share_at_or_above: float | None
    mean_scale_score: float | None


TERM_ORDER = {"fall": 0, "winter": 1, "spring": 2, "summer": 3}


def _summarize(row: TermResults, minimum: int) -> TermSummary:
    if row.students < minimum:
        return TermSummary(
            row.assessment_id, row.assessment_name, row.subject, row.school_year, row.term,
            True, None, None, None,
        )  # fmt: skip
    return TermSummary(
        row.assessment_id,
        row.assessment_name,
        row.subject,
        row.school_year,
        row.term,
        False,
        row.students,
        round(row.at_or_above / row.students, 4),
        round(row.mean_scale_score, 1) if row.mean_scale_score is not None else None,
    )


async def results_by_term_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[TermSummary]]:
    """Students' results per assessment and window; windows with fewer students than the
    district's minimum group size are suppressed (one audit event per batch)."""
    visible = list(await session.scalars(teachers_by_ids(actor, teacher_ids)))
    if not visible:
        return [[] for _ in teacher_ids]
    settings = await load_settings(session, actor.district_id)
    rows = await teacher_results_by_term(session, actor, visible)
    if rows:
        record_aggregate_read(
            session, actor, {row.teacher_id for row in rows}, "growth: students' results by term"
        )
    rows.sort(
        key=lambda r: (r.teacher_id, r.subject, r.assessment_name, r.school_year,
                       TERM_ORDER.get(r.term.lower(), 9), r.term)
    )  # fmt: skip
    grouped = group_by_key(rows, teacher_ids, lambda row: row.teacher_id)
    return [[_summarize(row, settings.minimum_group_size) for row in group] for group in grouped]


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


def pd_impact_pairs(teachers: Select[tuple[int]]) -> Select[tuple[object, ...]]:
    """``(teacher, resource, completed on, element, observed before, observed after, self before,
    self after)`` with levels as scale positions (``None`` where there is no such rating).

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
        after = case((day > pairs.c.completed_on, 1), else_=0)
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
    pairs = pd_impact_pairs(teachers_by_ids(actor, teacher_ids)).subquery()
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


# --- the summary ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GrowthSummary:
    elements_improved_self: int
    elements_improved_observed: int
    elements_declined_self: int
    elements_declined_observed: int
    goals: int
    goals_met: int
    training_hours: float
    resources_completed: int


def summarize(
    series: Sequence[ElementSeries],
    plans: Sequence[PlanProgress],
    training: Sequence[TrainingYear],
    impact: Sequence[ImpactPair],
) -> GrowthSummary:
    """The headline figures, from what the other growth loaders already read (no extra query)."""
    self_changes = [ElementSeries.change(s.self_levels) for s in series]
    observed_changes = [ElementSeries.change(s.observed_levels) for s in series]
    return GrowthSummary(
        elements_improved_self=sum(1 for c in self_changes if c is not None and c > 0),
        elements_improved_observed=sum(1 for c in observed_changes if c is not None and c > 0),
        elements_declined_self=sum(1 for c in self_changes if c is not None and c < 0),
        elements_declined_observed=sum(1 for c in observed_changes if c is not None and c < 0),
        goals=sum(plan.goals for plan in plans),
        goals_met=sum(plan.goals_met for plan in plans),
        training_hours=round(sum(year.hours for year in training), 2),
        resources_completed=len({pair.resource_id for pair in impact}),
    )
