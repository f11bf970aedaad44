"""Plan status by school, PD hours by element and PD impact by resource, over the teachers in view.

Figures about teachers, except PD impact's students' figures: those are shown only over the
district's minimum group size of students on each side, and their read is audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, case, cast, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    LearningPlan,
    PlanStatus,
    Resource,
    TeacherProfile,
    TrainingRecord,
    TrainingRecordElement,
)
from mypd_graph.services.access import Actor, plan_condition
from mypd_graph.services.insights.district import large_group, scope_teachers, view_elements
from mypd_graph.services.personalization.needs import ElementInfo
from mypd_graph.services.personalization.pd_impact import pd_impact_pairs, student_status_pairs
from mypd_graph.services.personalization.settings import PersonalizationSettings, load_settings
from mypd_graph.services.students.figures import record_aggregate_read

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
    """Per school, plans of the cycle by status (default: the newest cycle with a plan in scope).
    A plan never submitted counts only over the minimum group size (district.large_group)."""
    teachers = scope_teachers(actor, school_id)
    settings = await load_settings(session, actor.district_id)
    counted = or_(large_group(teachers, settings.minimum_group_size), plan_condition(actor))
    if cycle is None:
        cycle = await session.scalar(
            select(func.max(LearningPlan.cycle)).where(
                LearningPlan.teacher_id.in_(teachers), counted
            )
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
            .where(LearningPlan.teacher_id.in_(teachers), LearningPlan.cycle == cycle, counted)
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
        for element in await view_elements(session, settings)
        if element.id in found
    ]


class StudentState(StrEnum):
    """Whether a students' figure of PD impact is shown, and if not, why."""

    SHOWN = "shown"
    TOO_LITTLE_DATA = "too_little_data"  # fewer students than the minimum group size on a side
    NO_RESULTS = "no_results"  # no teacher of the resource has results in both years


@dataclass(frozen=True, slots=True)
class StudentImpact:
    """The share of students below standard in one subject, the year before a resource and the
    year after, pooled over the teachers who completed it and have results in both years."""

    subject: str
    teachers: int
    state: StudentState
    students_before: int | None = None  # None unless shown: small counts never leave here
    students_after: int | None = None
    share_below_before: float | None = None
    share_below_after: float | None = None

    @property
    def change(self) -> float | None:
        """After minus before, in share of students below standard (negative: fewer below)."""
        if self.share_below_before is None or self.share_below_after is None:
            return None
        return round(self.share_below_after - self.share_below_before, 4)


@dataclass(frozen=True, slots=True)
class ResourceImpact:
    resource_id: int
    title: str
    teachers: int
    observed_pairs: int
    mean_observed_change: float | None
    self_pairs: int
    mean_self_change: float | None
    observed_teachers: int = 0
    self_teachers: int = 0
    observed_without_before: int = 0  # pairs rated by an observer only after the completion
    observed_without_after: int = 0
    unobserved_pairs: int = 0  # pairs whose element no observer rated on either side
    students: tuple[StudentImpact, ...] = ()
    minimum_group_size: int = 0
    hidden: tuple[str, ...] = ()  # means not shown: too few teachers behind them (see note)

    @property
    def note(self) -> str:
        """Why the figures are what they are, in words (the null cases above all)."""
        words = []
        if self.hidden:
            words.append(
                f"the {' and '.join(self.hidden)} change is not shown: fewer than "
                f"{self.minimum_group_size} teachers stand behind it"
            )
        if self.mean_observed_change is None and "observed" not in self.hidden:
            words.append(
                "no observed change: of the teachers' elements aligned to it, "
                f"{self.observed_without_before} were rated by an observer only after the "
                f"completion, {self.observed_without_after} only before it and "
                f"{self.unobserved_pairs} not at all"
            )
        if not self.students:
            words.append("its elements are mapped to no subject, so no students' figure")
        for row in self.students:
            if row.state is StudentState.NO_RESULTS:
                words.append(f"{row.subject}: no teacher has students' results in both years")
            elif row.state is StudentState.TOO_LITTLE_DATA:
                words.append(
                    f"{row.subject}: too little data (fewer than {self.minimum_group_size} "
                    "students with results in a year)"
                )
        return "; ".join(words)


async def pd_impact_by_resource(
    session: AsyncSession, actor: Actor, school_id: int | None = None
) -> list[ResourceImpact]:
    """Per completed resource: teachers who completed it, the mean change in their later
    observer ratings and self-ratings on its aligned elements (separately), with how many
    teachers stand behind each; and per subject mapped to its elements, the share of their
    students below standard the year before and the year after (pd_impact.student_status_pairs),
    shown over the minimum group size of students on each side. Three statements, and one
    audit event when students' figures were read."""
    teachers = scope_teachers(actor, school_id)
    settings = await load_settings(session, actor.district_id)
    large = large_group(teachers, settings.minimum_group_size)
    pairs = pd_impact_pairs(teachers, actor, large).subquery()
    observed = pairs.c.observed_after - pairs.c.observed_before
    self_change = pairs.c.self_after - pairs.c.self_before

    def counted(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.sum(case((condition, 1), else_=0))

    def teachers_with(change: ColumnElement[int]) -> ColumnElement[int]:
        return func.count(distinct(case((change.is_not(None), pairs.c.teacher_id))))

    rows = await session.execute(
        select(
            pairs.c.resource_id,
            Resource.title,
            func.count(distinct(pairs.c.teacher_id)),
            func.count(observed),
            func.avg(observed),
            func.count(self_change),
            func.avg(self_change),
            teachers_with(observed),
            teachers_with(self_change),
            counted(and_(pairs.c.observed_before.is_(None), pairs.c.observed_after.is_not(None))),
            counted(and_(pairs.c.observed_before.is_not(None), pairs.c.observed_after.is_(None))),
            counted(and_(pairs.c.observed_before.is_(None), pairs.c.observed_after.is_(None))),
        )
        .join(Resource, Resource.id == pairs.c.resource_id)
        .group_by(pairs.c.resource_id, Resource.title)
        .order_by(func.count(distinct(pairs.c.teacher_id)).desc(), pairs.c.resource_id)
    )
    students = await _student_impact(session, actor, teachers, settings)
    minimum = settings.minimum_group_size
    # Over a large school or district the pairs count every rating, private ones too; a mean of
    # fewer teachers than the minimum group size would then tell one teacher's change.
    private_counted = bool(await session.scalar(select(large)))

    def mean(value: Any, behind: int) -> float | None:
        if value is None or (private_counted and behind < minimum):
            return None
        return round(float(value), 3)

    def hidden(avg_obs: Any, avg_self: Any, behind: Sequence[Any]) -> tuple[str, ...]:
        kinds = (("observed", avg_obs, behind[0]), ("self-assessed", avg_self, behind[1]))
        return tuple(
            name
            for name, value, teachers in kinds
            if private_counted and value is not None and int(teachers or 0) < minimum
        )

    return [
        ResourceImpact(
            resource,
            title,
            int(teachers),
            int(n_obs),
            mean(avg_obs, int(more[0] or 0)),
            int(n_self),
            mean(avg_self, int(more[1] or 0)),
            *(int(n or 0) for n in more),
            students=tuple(students.get(resource, ())),
            minimum_group_size=minimum,
            hidden=hidden(avg_obs, avg_self, more),
        )  # fmt: skip
        for resource, title, teachers, n_obs, avg_obs, n_self, avg_self, *more in rows
    ]


async def _student_impact(
    session: AsyncSession,
    actor: Actor,
    teachers: Select[tuple[int]],
    settings: PersonalizationSettings,
) -> dict[int, list[StudentImpact]]:
    """Per resource, the students' figure of each mapped subject, pooled in SQL over the teachers
    with results in both years; a side with fewer students than the minimum group size is too
    little data, and its counts stay here."""
    statement = student_status_pairs(actor, teachers, settings)
    if statement is None:
        return {}
    each = statement.subquery("each")
    both = and_(each.c.students_before.is_not(None), each.c.students_after.is_not(None))

    def pooled(column: ColumnElement[int]) -> ColumnElement[int]:
        return func.sum(case((both, column), else_=0))

    rows = await session.execute(
        select(
            each.c.resource_id,
            each.c.subject,
            func.count(distinct(case((both, each.c.teacher_id)))),
            pooled(each.c.students_before),
            pooled(each.c.below_before),
            pooled(each.c.students_after),
            pooled(each.c.below_after),
            # whose students were read, for the audit trail (NULLs are left out)
            func.aggregate_strings(cast(case((both, each.c.teacher_id)), String), ","),
        )
        .group_by(each.c.resource_id, each.c.subject)
        .order_by(each.c.resource_id, each.c.subject)
    )
    minimum = settings.minimum_group_size
    found: dict[int, list[StudentImpact]] = defaultdict(list)
    read: set[int] = set()
    for resource, subject, n_teachers, before, below_before, after, below_after, whose in rows:
        read.update(int(teacher) for teacher in (whose or "").split(",") if teacher)
        before, after = int(before or 0), int(after or 0)
        if not n_teachers:
            row = StudentImpact(subject, 0, StudentState.NO_RESULTS)
        elif min(before, after) < minimum:
            row = StudentImpact(subject, int(n_teachers), StudentState.TOO_LITTLE_DATA)
        else:
            row = StudentImpact(
                subject,
                int(n_teachers),
                StudentState.SHOWN,
                before,
                after,
                round(int(below_before or 0) / before, 4),
                round(int(below_after or 0) / after, 4),
            )
        found[resource].append(row)
    record_aggregate_read(
        session, actor, read, "PD impact: students' results per teacher and subject"
    )
    return found
