"""A teacher's growth over time: ratings per element, goal progress, training, students, the summary.

Each function is a DataLoader batch over teacher ids (one or two statements for any number of
teachers), limited to the teachers the actor may read. Self-ratings and observer ratings stay two
separate series: growth is told for each on its own and they are never averaged. The observed
series has one point per cycle, the reconciled observed rating of that cycle
(:mod:`mypd_graph.services.feedback.calibration`: the median of each observer's latest rating), so
that with several raters growth, needs and the district views agree. PD impact lives in
:mod:`.pd_impact`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import (
    case,
    extract,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    Goal,
    LearningPlan,
    Observation,
    ObservationRating,
    RatingLevel,
    SelfAssessment,
    SelfAssessmentRating,
    Standard,
    TrainingRecord,
)
from mypd_graph.services.access import Actor, observation_shared, plan_condition, shared_with
from mypd_graph.services.common import group_by_key
from mypd_graph.services.feedback.calibration import reconcile, reconciled
from mypd_graph.services.personalization.needs import ElementInfo, teachers_by_ids
from mypd_graph.services.personalization.pd_impact import ImpactPair
from mypd_graph.services.personalization.settings import load_settings
from mypd_graph.services.students.figures import (
    TermResults,
    record_aggregate_read,
    teacher_results_by_term,
    teacher_status_by_year,
)
from mypd_graph.services.students.growth_measures import teacher_growth

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
    """Per teacher and element, self levels per cycle and the reconciled observed level per
    cycle, oldest first (two statements)."""
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
        .where(
            SelfAssessment.teacher_id.in_(teachers),
            shared_with(actor, SelfAssessment.teacher_id, SelfAssessment.audience),
        )
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
            Observation.observer_id,
            Observation.id,
        )
        .select_from(ObservationRating)
        .join(Observation, Observation.id == ObservationRating.observation_id)
        .join(Standard, Standard.id == ObservationRating.element_id)
        .join(parent, parent.c.id == Standard.parent_id)
        .join(RatingLevel, RatingLevel.id == ObservationRating.level_id)
        .where(Observation.teacher_id.in_(teachers), observation_shared(actor))
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
    # Each observer's latest rating per teacher, element and cycle (the rows come oldest first,
    # so the last one wins), then one reconciled point per cycle.
    latest: dict[int, dict[tuple[int, int, int], Sequence[object]]] = defaultdict(dict)
    for row in observed_rows:
        entry(row)
        latest[_cycle(row[9])][(row[0], row[1], row[11])] = row  # type: ignore[index]
    for cycle in sorted(latest):
        raters = (
            (r[0], r[1], r[11], r[7], r[8], r[9], r[10], r[12]) for r in latest[cycle].values()
        )
        for (teacher, element), found in reconcile(raters).items():
            chosen = reconciled(found)
            series[teacher][element].observed_levels.append(
                LevelPoint(chosen.level_id, chosen.position, chosen.observed_on.isoformat(),
                           chosen.kind)
            )  # fmt: skip
    return [
        sorted(series.get(teacher_id, {}).values(), key=lambda s: s.element.order)
        for teacher_id in teacher_ids
    ]


def _cycle(day: date) -> int:
    """The first calendar year of the school year (July to June) of a day."""
    return day.year if day.month >= 7 else day.year - 1


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
        .where(
            LearningPlan.teacher_id.in_(teachers_by_ids(actor, teacher_ids)),
            plan_condition(actor),
        )
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
    classroom: bool = False  # the teacher's own classroom assessment


TERM_ORDER = {"fall": 0, "winter": 1, "spring": 2, "summer": 3}


def _summarize(row: TermResults, minimum: int) -> TermSummary:
    if row.students < minimum:
        return TermSummary(
            row.assessment_id, row.assessment_name, row.subject, row.school_year, row.term,
            True, None, None, None, row.classroom,
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
        row.classroom,
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
            session,
            actor,
            {row.teacher_id for row in rows},
            "growth: students' results by term",
            of_teachers=True,
        )
    rows.sort(
        key=lambda r: (r.teacher_id, r.subject, r.assessment_name, r.school_year,
                       TERM_ORDER.get(r.term.lower(), 9), r.term)
    )  # fmt: skip
    grouped = group_by_key(rows, teacher_ids, lambda row: row.teacher_id)
    return [[_summarize(row, settings.minimum_group_size) for row in group] for group in grouped]


@dataclass(frozen=True, slots=True)
class YearStatus:
    """A teacher's students in a subject and year by the stated rule (the needs' figure)."""

    subject: str
    school_year: str
    suppressed: bool
    students: int | None
    below: int | None
    share_below: float | None


async def status_by_year_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[YearStatus]]:
    """Per subject and school year, the teacher's students below standard by the rule needs use
    (``services.students.status``); small groups suppressed, as everywhere."""
    visible = list(await session.scalars(teachers_by_ids(actor, teacher_ids)))
    if not visible:
        return [[] for _ in teacher_ids]
    settings = await load_settings(session, actor.district_id)
    rows = await teacher_status_by_year(session, actor, visible)
    if rows:
        record_aggregate_read(
            session,
            actor,
            {row.teacher_id for row in rows},
            "growth: students' status per subject and year",
            of_teachers=True,
        )
    rows.sort(key=lambda r: (r.teacher_id, r.subject, r.school_year))
    minimum = settings.minimum_group_size
    grouped = group_by_key(rows, teacher_ids, lambda row: row.teacher_id)
    return [
        [
            YearStatus(row.subject, row.school_year, True, None, None, None)
            if row.students < minimum
            else YearStatus(
                row.subject,
                row.school_year,
                False,
                row.students,
                row.below,
                round(row.below / row.students, 4),
            )
            for row in group
        ]
        for group in grouped
    ]


@dataclass(frozen=True, slots=True)
class YearGrowth:
    subject: str
    school_year: str
    suppressed: bool
    students: int | None  # with a growth measure
    short: int | None  # grew less than typical
    share_short: float | None


async def growth_by_year_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[YearGrowth]]:
    """Per subject and school year, the teacher's students with a growth measure and those who
    grew less than typical (``services.students.growth_measures``, the figures the growth signal
    reads); small groups suppressed, as everywhere."""
    visible = list(await session.scalars(teachers_by_ids(actor, teacher_ids)))
    if not visible:
        return [[] for _ in teacher_ids]
    settings = await load_settings(session, actor.district_id)
    rows = await teacher_growth(session, actor, visible)
    if rows:
        record_aggregate_read(
            session,
            actor,
            {row.teacher_id for row in rows},
            "growth: students' growth per subject and year",
            of_teachers=True,
        )
    rows.sort(key=lambda r: (r.teacher_id, r.subject, r.school_year))
    minimum = settings.minimum_group_size
    return [
        [
            YearGrowth(row.subject, row.school_year, True, None, None, None)
            if row.students < minimum
            else YearGrowth(
                row.subject,
                row.school_year,
                False,
                row.students,
                row.short,
                round(row.share_short, 4),
            )
            for row in group
        ]
        for group in group_by_key(rows, teacher_ids, lambda row: row.teacher_id)
    ]


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
