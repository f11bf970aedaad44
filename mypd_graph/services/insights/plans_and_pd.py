"""Plan status by school, PD hours by element and PD impact by resource, over the teachers in view.

Figures about teachers, not students: nothing here is suppressed or audited as student data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import distinct, func, or_, select
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
from mypd_graph.services.personalization.pd_impact import pd_impact_pairs
from mypd_graph.services.personalization.settings import (
    load_settings,
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
    teachers = scope_teachers(actor, school_id)
    settings = await load_settings(session, actor.district_id)
    large = large_group(teachers, settings.minimum_group_size)
    pairs = pd_impact_pairs(teachers, actor, large).subquery()
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
