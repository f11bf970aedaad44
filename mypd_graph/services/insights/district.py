"""District views: coverage, rating distributions, top needs, plan status, PD hours and impact,
students' results by school. Each view is a few GROUP BY statements, whatever the district's size.

**Who sees what.** The views aggregate over the teachers the viewer may read
(:func:`~mypd_graph.services.access.visible_teacher_ids`): a principal their school, a district admin
the district (optionally one school), a coach the teachers on their caseload. Teachers are refused:
their view of growth is their own (``Teacher.growth``), and a "district" of one would disclose
nothing new but invite comparisons the service does not make. The students' results view aggregates
the students the viewer may read, and a principal only their own school's.

**Small groups.** Every figure made from students' results (the results-by-school view, and through
needs the student-performance signal behind top needs) leaves out groups of fewer students than the
district's minimum group size, and the response says how many groups were suppressed and why.
Figures about teachers (ratings, plans, training) are not student data and are not suppressed.

**Audit.** A view that reads students' results writes one audit event per request naming the
schools (or teachers) aggregated, not one per student: no student-level row is disclosed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, distinct, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    FocusElement,
    Goal,
    GoalElement,
    LearningPlan,
    Observation,
    ObservationRating,
    PlanStatus,
    RatingLevel,
    Resource,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    TeacherProfile,
    TrainingRecord,
    TrainingRecordElement,
)
from mypd_graph.services.access import Actor, visible_teacher_ids
from mypd_graph.services.errors import PermissionDenied
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.personalization.facts import leading_signal
from mypd_graph.services.personalization.growth import pd_impact_pairs
from mypd_graph.services.personalization.needs import ElementInfo
from mypd_graph.services.personalization.settings import (
    PersonalizationSettings,
    Signal,
    load_settings,
    school_year_bounds,
)
from mypd_graph.services.students.figures import record_aggregate_read, school_results

TOP_NEEDS_PER_TEACHER = 3
VIEWERS = (Role.COACH, Role.PRINCIPAL, Role.DISTRICT_ADMIN)


def scope_teachers(actor: Actor, school_id: int | None = None) -> Select[tuple[int]]:
    """The teachers a district view aggregates over; refuses viewers who are not staff."""
    if actor.role not in VIEWERS:
        raise PermissionDenied(
            "district views are for coaches, principals and district admins; "
            "teachers see their own growth"
        )
    teachers = visible_teacher_ids(actor)
    if school_id is not None:
        teachers = teachers.where(TeacherProfile.school_id == school_id)
    return teachers


async def _elements(session: AsyncSession, settings: PersonalizationSettings) -> list[ElementInfo]:
    if settings.framework_id is None:
        return []
    return await needs_service.framework_elements(session, settings.framework_id)


async def _teacher_count(session: AsyncSession, teachers: Select[tuple[int]]) -> int:
    return int(await session.scalar(select(func.count()).select_from(teachers.subquery())) or 0)


# --- coverage ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ElementCoverage:
    element: ElementInfo
    focus_teachers: int
    goal_teachers: int
    goals: int


@dataclass(frozen=True, slots=True)
class Coverage:
    teachers: int
    elements: list[ElementCoverage]


async def coverage(
    session: AsyncSession, actor: Actor, school_id: int | None = None, cycle: str | None = None
) -> Coverage:
    """Per element: teachers who chose it as a focus, teachers with a goal on it, and goals."""
    teachers = scope_teachers(actor, school_id)
    settings = await load_settings(session, actor.district_id)
    focus = dict(
        (
            await session.execute(
                select(FocusElement.element_id, func.count(distinct(FocusElement.teacher_id)))
                .where(FocusElement.teacher_id.in_(teachers))
                .group_by(FocusElement.element_id)
            )
        ).all()
    )
    goals = (
        select(
            GoalElement.element_id,
            func.count(distinct(LearningPlan.teacher_id)),
            func.count(distinct(Goal.id)),
        )
        .join(Goal, Goal.id == GoalElement.goal_id)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(LearningPlan.teacher_id.in_(teachers))
        .group_by(GoalElement.element_id)
    )
    if cycle:
        goals = goals.where(LearningPlan.cycle == cycle)
    planned = {element: (t, g) for element, t, g in await session.execute(goals)}
    return Coverage(
        teachers=await _teacher_count(session, teachers),
        elements=[
            ElementCoverage(
                element,
                int(focus.get(element.id, 0)),
                int(planned.get(element.id, (0, 0))[0]),
                int(planned.get(element.id, (0, 0))[1]),
            )
            for element in await _elements(session, settings)
        ],
    )


# --- rating distributions ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelCount:
    level_id: int
    position: int
    teachers: int


@dataclass(frozen=True, slots=True)
class Distribution:
    element: ElementInfo
    school_id: int | None
    self_levels: list[LevelCount]
    observed_levels: list[LevelCount]


def _latest_ratings(
    teachers: Select[tuple[int]], observed: bool, cycle: str | None
) -> Select[tuple[int, int, int]]:
    """``(teacher, element, level)``: each teacher's latest rating of each element (in the cycle)."""
    if observed:
        owner, parent, rating = Observation, ObservationRating.observation_id, ObservationRating
        order = (Observation.observed_on.desc(), Observation.id.desc())
    else:
        owner, parent, rating = (
            SelfAssessment,
            SelfAssessmentRating.self_assessment_id,
            SelfAssessmentRating,
        )
        order = (SelfAssessment.cycle.desc(), SelfAssessment.id.desc())
    newest = func.row_number().over(
        partition_by=(owner.teacher_id, rating.element_id), order_by=order
    )
    ranked = (
        select(owner.teacher_id, rating.element_id, rating.level_id, newest.label("newest"))
        .join(owner, owner.id == parent)
        .where(owner.teacher_id.in_(teachers))
    )
    if cycle and observed:
        first, last = school_year_bounds(cycle)
        ranked = ranked.where(Observation.observed_on.between(first, last))
    elif cycle:
        ranked = ranked.where(SelfAssessment.cycle == cycle)
    latest = ranked.subquery()
    return select(latest.c.teacher_id, latest.c.element_id, latest.c.level_id).where(
        latest.c.newest == 1
    )


async def _distribution_counts(
    session: AsyncSession, teachers: Select[tuple[int]], observed: bool, cycle: str | None
) -> dict[tuple[int, int | None], list[LevelCount]]:
    latest = _latest_ratings(teachers, observed, cycle).subquery()
    rows = await session.execute(
        select(
            latest.c.element_id,
            TeacherProfile.school_id,
            RatingLevel.id,
            RatingLevel.position,
            func.count(),
        )
        .join(TeacherProfile, TeacherProfile.user_id == latest.c.teacher_id)
        .join(RatingLevel, RatingLevel.id == latest.c.level_id)
        .group_by(
            latest.c.element_id, TeacherProfile.school_id, RatingLevel.id, RatingLevel.position
        )
        .order_by(RatingLevel.position)
    )
    counts: dict[tuple[int, int | None], list[LevelCount]] = defaultdict(list)
    for element, school, level, position, n in rows:
        counts[(element, school)].append(LevelCount(level, position, int(n)))
    return counts


async def rating_distribution(
    session: AsyncSession, actor: Actor, school_id: int | None = None, cycle: str | None = None
) -> list[Distribution]:
    """Per element and school, how many teachers' latest self-rating and latest observer rating
    sit at each level (two GROUP BYs; side by side, never merged)."""
    teachers = scope_teachers(actor, school_id)
    settings = await load_settings(session, actor.district_id)
    self_counts = await _distribution_counts(session, teachers, False, cycle)
    observed_counts = await _distribution_counts(session, teachers, True, cycle)
    keys = sorted(
        self_counts.keys() | observed_counts.keys(), key=lambda k: (k[0], k[1] is None, k[1] or 0)
    )
    elements = {element.id: element for element in await _elements(session, settings)}
    return sorted(
        (
            Distribution(
                elements[element],
                school,
                self_counts.get((element, school), []),
                observed_counts.get((element, school), []),
            )  # fmt: skip
            for element, school in keys
            if element in elements
        ),
        key=lambda d: (d.element.order, d.school_id or 0),
    )


# --- top needs -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TopNeed:
    element: ElementInfo
    teachers_with_top_need: int  # teachers for whom it is among their TOP_NEEDS_PER_TEACHER
    teachers_scored: int
    mean_score: float
    leading_signal: Signal | None  # the signal most often adding the most to it


@dataclass(frozen=True, slots=True)
class TopNeeds:
    teachers: int
    needs: list[TopNeed]
    minimum_group_size: int


async def top_needs(
    session: AsyncSession,
    actor: Actor,
    school_id: int | None = None,
    limit: int = 10,
    as_of: date | None = None,
) -> TopNeeds:
    """The elements most often among teachers' top needs. Needs come from the needs service (its
    signals are GROUP BYs over all teachers at once); this adds them up per element."""
    teachers = scope_teachers(actor, school_id)
    settings = await load_settings(session, actor.district_id)
    assessed = await needs_service.assess(session, actor, teachers, as_of)
    top: Counter[int] = Counter()
    scored: Counter[int] = Counter()
    total: defaultdict[int, float] = defaultdict(float)
    leading: defaultdict[int, Counter[Signal]] = defaultdict(Counter)
    elements: dict[int, ElementInfo] = {}
    for element_info, count, summed in needs_service.RankedNeeds.score_totals(assessed.values()):
        if count:
            elements[element_info.id] = element_info
            scored[element_info.id] = count
            total[element_info.id] = summed
    # The leading signal depends on the four values alone, and needs repeat a few hundred of them.
    leading_by_values: dict[tuple, Signal | None] = {}
    for needs in assessed.values():
        for element, score, values in needs.top_scores(TOP_NEEDS_PER_TEACHER):
            if score is None:
                continue
            top[element.id] += 1
            if values in leading_by_values:
                signal = leading_by_values[values]
            else:
                signal = leading_by_values[values] = leading_signal(values, settings.weights)
            if signal is not None:
                leading[element.id][signal] += 1
    ranked = sorted(
        elements,
        # the mean as shown (sums made in another order may differ in the last bits)
        key=lambda e: (-top[e], -round(total[e] / scored[e], 4), elements[e].order),
    )[:limit]
    return TopNeeds(
        teachers=len(assessed),
        needs=[
            TopNeed(
                elements[e],
                top[e],
                scored[e],
                round(total[e] / scored[e], 4),
                leading[e].most_common(1)[0][0] if leading[e] else None,
            )
            for e in ranked
        ],
        minimum_group_size=settings.minimum_group_size,
    )


# --- plans, PD hours, PD impact -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanStatusCounts:
    school_id: int | None
    teachers: int
    by_status: dict[str, int]

    @property
    def without_plan(self) -> int:
        return self.teachers - sum(self.by_status.values())


async def plan_status_counts(
    session: AsyncSession, actor: Actor, school_id: int | None = None, cycle: str | None = None
) -> tuple[str | None, list[PlanStatusCounts]]:
    """Per school, plans of the cycle by status (default: the newest cycle with a plan in scope)."""
    teachers = scope_teachers(actor, school_id)
    if cycle is None:
        cycle = await session.scalar(
            select(func.max(LearningPlan.cycle)).where(LearningPlan.teacher_id.in_(teachers))
        )
    per_school = dict(
        (
            await session.execute(
                select(TeacherProfile.school_id, func.count())
                .where(TeacherProfile.user_id.in_(teachers))
                .group_by(TeacherProfile.school_id)
            )
        ).all()
    )
    statuses: dict[int | None, dict[str, int]] = defaultdict(dict)
    if cycle is not None:
        rows = await session.execute(
            select(TeacherProfile.school_id, LearningPlan.status, func.count())
            .join(TeacherProfile, TeacherProfile.user_id == LearningPlan.teacher_id)
            .where(LearningPlan.teacher_id.in_(teachers), LearningPlan.cycle == cycle)
            .group_by(TeacherProfile.school_id, LearningPlan.status)
        )
        for school, status, n in rows:
            statuses[school][status] = int(n)
    counts = [
        PlanStatusCounts(
            school,
            int(n),
            {status.value: statuses[school].get(status.value, 0) for status in PlanStatus},
        )
        for school, n in per_school.items()
    ]
    return cycle, sorted(counts, key=lambda c: (c.school_id is None, c.school_id or 0))


@dataclass(frozen=True, slots=True)
class ElementHours:
    element: ElementInfo
    hours: float
    teachers: int
    records: int


async def pd_hours_by_element(
    session: AsyncSession, actor: Actor, school_id: int | None = None, since: date | None = None
) -> list[ElementHours]:
    """Training hours per aligned element (a record aligned to two elements counts for both)."""
    teachers = scope_teachers(actor, school_id)
    settings = await load_settings(session, actor.district_id)
    statement = (
        select(
            TrainingRecordElement.element_id,
            func.sum(TrainingRecord.hours),
            func.count(distinct(TrainingRecord.teacher_id)),
            func.count(),
        )
        .join(TrainingRecord, TrainingRecord.id == TrainingRecordElement.training_record_id)
        .where(TrainingRecord.teacher_id.in_(teachers))
        .group_by(TrainingRecordElement.element_id)
    )
    if since is not None:
        statement = statement.where(TrainingRecord.completed_on >= since)
    found = {element: (h, t, n) for element, h, t, n in await session.execute(statement)}
    return [
        ElementHours(
            element, round(float(found[element.id][0]), 2), *map(int, found[element.id][1:])
        )
        for element in await _elements(session, settings)
        if element.id in found
    ]


@dataclass(frozen=True, slots=True)
class ResourceImpact:
    resource_id: int
    title: str
    teachers: int
    observed_pairs: int
    mean_observed_change: float | None
    self_pairs: int
    mean_self_change: float | None


async def pd_impact_by_resource(
    session: AsyncSession, actor: Actor, school_id: int | None = None
) -> list[ResourceImpact]:
    """Per completed resource: teachers who completed it and the mean change in their later
    observer ratings and self-ratings on its aligned elements (separately)."""
    pairs = pd_impact_pairs(scope_teachers(actor, school_id)).subquery()
    observed = pairs.c.observed_after - pairs.c.observed_before
    self_change = pairs.c.self_after - pairs.c.self_before
    rows = await session.execute(
        select(
            pairs.c.resource_id,
            Resource.title,
            func.count(distinct(pairs.c.teacher_id)),
            func.count(observed),
            func.avg(observed),
            func.count(self_change),
            func.avg(self_change),
        )
        .join(Resource, Resource.id == pairs.c.resource_id)
        .group_by(pairs.c.resource_id, Resource.title)
        .order_by(func.count(distinct(pairs.c.teacher_id)).desc(), pairs.c.resource_id)
    )
    return [
        ResourceImpact(
            resource,
            title,
            int(teachers),
            int(n_obs),
            round(float(avg_obs), 3) if avg_obs is not None else None,
            int(n_self),
            round(float(avg_self), 3) if avg_self is not None else None,
        )  # fmt: skip
        for resource, title, teachers, n_obs, avg_obs, n_self, avg_self in rows
    ]


# --- students' results by school ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SchoolSubjectResults:
    school_id: int | None
    subject: str
    school_year: str
    suppressed: bool
    students: int | None
    share_below: float | None


@dataclass(frozen=True, slots=True)
class StudentResultsView:
    rows: list[SchoolSubjectResults]
    minimum_group_size: int
    suppressed_groups: int

    @property
    def note(self) -> str:
        if not self.suppressed_groups:
            return f"every group has at least {self.minimum_group_size} students"
        plural = "group has" if self.suppressed_groups == 1 else "groups have"
        return (
            f"{self.suppressed_groups} {plural} fewer than {self.minimum_group_size} students; "
            "their figures are suppressed"
        )


async def student_results_by_school(
    session: AsyncSession,
    actor: Actor,
    school_id: int | None = None,
    school_year: str | None = None,
) -> StudentResultsView:
    """Students below standard per school, subject and year; small groups suppressed."""
    scope_teachers(actor, school_id)  # the same refusal as every other view
    settings = await load_settings(session, actor.district_id)
    if actor.role is Role.PRINCIPAL:
        school_id = actor.school_id if school_id in (None, actor.school_id) else -1
    found = await school_results(session, actor, school_id, school_year)
    minimum = settings.minimum_group_size
    rows = [
        SchoolSubjectResults(row.school_id, row.subject, row.school_year, True, None, None)
        if row.students < minimum
        else SchoolSubjectResults(
            row.school_id,
            row.subject,
            row.school_year,
            False,
            row.students,
            round(row.below / row.students, 4),
        )
        for row in found
    ]
    rows.sort(key=lambda r: (r.school_id or 0, r.subject, r.school_year))
    if found:
        record_aggregate_read(
            session,
            actor,
            {row.school_id for row in found if row.school_id is not None},
            "district view: students' results by school",
        )
    return StudentResultsView(rows, minimum, sum(1 for row in rows if row.suppressed))
