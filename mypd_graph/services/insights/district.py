"""District views: who is in view, and the views of teaching practice (coverage, rating distributions).

Each view is a few GROUP BY statements, whatever the district's size; the others live beside this
module (:mod:`.top_needs`, :mod:`.plans_and_pd`, :mod:`.student_results`).

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

**Sharing.** What teachers keep private (a self-assessment shared with nobody, a plan not yet
submitted, a coaching observation a principal may not read) counts in a view only when it is added
up over at least the district's minimum group size of teachers: the teachers in view for top
needs, coverage, plan status and PD impact, each element and school's rated teachers for the
rating distributions. Below it, a view counts only what the viewer could open one by one
(services.access), so a small school's figures never disclose a private rating. The test is part
of each statement (:func:`large_group`), so a view runs the same statements either way.

**Audit.** A view that reads students' results writes one audit event per request naming the
schools (or teachers) aggregated, not one per student: no student-level row is disclosed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    CompoundSelect,
    Select,
    and_,
    case,
    distinct,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    FocusElement,
    Goal,
    GoalElement,
    LearningPlan,
    Observation,
    ObservationRating,
    RatingLevel,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    TeacherProfile,
)
from mypd_graph.services.access import (
    Actor,
    observation_shared,
    plan_condition,
    shared_with,
    visible_teacher_ids,
)
from mypd_graph.services.errors import PermissionDenied
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.personalization.growth import school_year_column
from mypd_graph.services.personalization.needs import ElementInfo
from mypd_graph.services.personalization.settings import (
    PersonalizationSettings,
    load_settings,
    school_year_bounds,
)

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


def large_group(teachers: Select[tuple[int]], minimum: int) -> ColumnElement[bool]:
    """Whether the teachers in view are at least the minimum group size: private records then
    count in aggregates (an SQL condition, so the statements do not depend on the answer)."""
    counted = select(func.count()).select_from(teachers.subquery()).scalar_subquery()
    return counted >= minimum


async def view_elements(
    session: AsyncSession, settings: PersonalizationSettings
) -> list[ElementInfo]:
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
        .where(
            LearningPlan.teacher_id.in_(teachers),
            or_(large_group(teachers, settings.minimum_group_size), plan_condition(actor)),
        )
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
            for element in await view_elements(session, settings)
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
    actor: Actor, teachers: Select[tuple[int]], observed: bool, cycle: str | None
) -> Select[tuple[int, int, int, int, int]] | CompoundSelect:
    """``(teacher, element, level, every, shown)``: each teacher's latest self-rating of each
    element, or their reconciled observed rating, in the cycle when given. ``every`` rows count
    when the group is large enough, ``shown`` rows when it is not (what the actor may see on its
    own)."""
    if observed:
        return _reconciled_ratings(actor, teachers, cycle)
    shown = shared_with(actor, SelfAssessment.teacher_id, SelfAssessment.audience)
    newest = func.row_number().over(
        partition_by=(SelfAssessment.teacher_id, SelfAssessmentRating.element_id),
        order_by=(SelfAssessment.cycle.desc(), SelfAssessment.id.desc()),
    )
    ranked = (
        select(
            SelfAssessment.teacher_id,
            SelfAssessmentRating.element_id,
            SelfAssessmentRating.level_id,
            case((shown, 1), else_=0).label("shown"),
            newest.label("newest"),
        )
        .join(SelfAssessment, SelfAssessment.id == SelfAssessmentRating.self_assessment_id)
        .where(SelfAssessment.teacher_id.in_(teachers))
    )
    if cycle:
        ranked = ranked.where(SelfAssessment.cycle == cycle)
    latest = ranked.subquery()
    return select(
        latest.c.teacher_id,
        latest.c.element_id,
        latest.c.level_id,
        literal(1).label("every"),
        latest.c.shown,
    ).where(latest.c.newest == 1)


def _reconciled_ratings(
    actor: Actor, teachers: Select[tuple[int]], cycle: str | None
) -> CompoundSelect:
    """Each teacher's reconciled observed rating of each element, by the rule of
    services.feedback.calibration in SQL (so the view stays a GROUP BY): each observer's latest
    rating, those of the element's newest cycle (or of ``cycle``), their lower median. Twice:
    over every observation (``every`` 1), and over those the actor may read (``shown`` 1: the
    rating their calibration view shows them), both from one pass over the ratings."""
    teacher, element, observer = (
        Observation.teacher_id,
        ObservationRating.element_id,
        Observation.observer_id,
    )
    start = school_year_column(Observation.observed_on)
    shown = case((observation_shared(actor), 1), else_=0)
    newest_first = (Observation.observed_on.desc(), Observation.id.desc())
    rated = (
        select(
            teacher,
            element,
            ObservationRating.level_id,
            RatingLevel.position,
            Observation.observed_on,
            Observation.id.label("observation_id"),
            shown.label("shown"),
            start.label("cycle_start"),  # type: ignore[attr-defined]
            func.row_number()
            .over(partition_by=(teacher, element, observer), order_by=newest_first)
            .label("rater_newest"),
            func.row_number()  # among the observer's ratings the actor may read, when shown
            .over(partition_by=(teacher, element, observer, shown), order_by=newest_first)
            .label("shown_newest"),
            func.max(start).over(partition_by=(teacher, element)).label("newest_cycle"),
            func.max(case((shown == 1, start)))
            .over(partition_by=(teacher, element))
            .label("shown_cycle"),
        )
        .join(Observation, Observation.id == ObservationRating.observation_id)
        .join(RatingLevel, RatingLevel.id == ObservationRating.level_id)
        .where(teacher.in_(teachers))
    )
    if cycle:
        first, last = school_year_bounds(cycle)
        rated = rated.where(Observation.observed_on.between(first, last))
    each = rated.cte("each_rater")

    def lower_median(only_shown: bool) -> Select[tuple[int, int, int, int, int]]:
        kept = (
            and_(
                each.c.shown == 1,
                each.c.shown_newest == 1,
                each.c.cycle_start == each.c.shown_cycle,
            )
            if only_shown
            else and_(each.c.rater_newest == 1, each.c.cycle_start == each.c.newest_cycle)
        )
        pair = (each.c.teacher_id, each.c.element_id)
        placed = (
            select(
                each.c.teacher_id,
                each.c.element_id,
                each.c.level_id,
                func.row_number()
                .over(
                    partition_by=pair,
                    order_by=(
                        each.c.position,
                        each.c.observed_on.desc(),
                        each.c.observation_id.desc(),
                    ),
                )
                .label("place"),
                func.count().over(partition_by=pair).label("raters"),
            )
            .where(kept)
            .subquery()
        )
        middle = placed.c.place * 2  # the lower median: place (n + 1) // 2
        return select(
            placed.c.teacher_id,
            placed.c.element_id,
            placed.c.level_id,
            literal(0 if only_shown else 1).label("every"),
            literal(1 if only_shown else 0).label("shown"),
        ).where(or_(middle == placed.c.raters, middle - 1 == placed.c.raters))

    return union_all(lower_median(False), lower_median(True))


async def _distribution_counts(
    session: AsyncSession,
    actor: Actor,
    teachers: Select[tuple[int]],
    observed: bool,
    cycle: str | None,
    minimum: int,
) -> dict[tuple[int, int | None], list[LevelCount]]:
    """Per element and school, teachers per level; a group of fewer rated teachers than
    ``minimum`` counts only the ratings the actor may see (a few GROUP BY rows, sorted here)."""
    latest = _latest_ratings(actor, teachers, observed, cycle).subquery()
    rows = await session.execute(
        select(
            latest.c.element_id,
            TeacherProfile.school_id,
            RatingLevel.id,
            RatingLevel.position,
            func.sum(latest.c.every),
            func.sum(latest.c.shown),
        )
        .join(TeacherProfile, TeacherProfile.user_id == latest.c.teacher_id)
        .join(RatingLevel, RatingLevel.id == latest.c.level_id)
        .group_by(
            latest.c.element_id, TeacherProfile.school_id, RatingLevel.id, RatingLevel.position
        )
        .order_by(RatingLevel.position)
    )
    every: dict[tuple[int, int | None], list[tuple[int, int, int, int]]] = defaultdict(list)
    for element, school, level, position, n, shown in rows:
        every[(element, school)].append((level, position, int(n or 0), int(shown or 0)))
    counts: dict[tuple[int, int | None], list[LevelCount]] = {}
    for key, levels in every.items():
        large = sum(n for _, _, n, _ in levels) >= minimum
        found = [
            LevelCount(level, position, n if large else shown)
            for level, position, n, shown in levels
            if (n if large else shown)
        ]
        if found:
            counts[key] = found
    return counts


async def rating_distribution(
    session: AsyncSession, actor: Actor, school_id: int | None = None, cycle: str | None = None
) -> list[Distribution]:
    """Per element and school, how many teachers' latest self-rating and reconciled observed
    rating (several raters: services.feedback.calibration) sit at each level (two GROUP BYs;
    side by side, never merged)."""
    teachers = scope_teachers(actor, school_id)
    settings = await load_settings(session, actor.district_id)
    minimum = settings.minimum_group_size
    self_counts = await _distribution_counts(session, actor, teachers, False, cycle, minimum)
    observed_counts = await _distribution_counts(session, actor, teachers, True, cycle, minimum)
    keys = sorted(
        self_counts.keys() | observed_counts.keys(), key=lambda k: (k[0], k[1] is None, k[1] or 0)
    )
    elements = {element.id: element for element in await view_elements(session, settings)}
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
