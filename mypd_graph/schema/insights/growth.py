"""A teacher's growth over time (``Teacher.growth``): ratings, goals, training, students, PD impact.

Every field resolves on its own through a DataLoader, so a query pays only for what it asks; self
and observer ratings are kept apart throughout.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated, TypeVar

import strawberry

from mypd_graph.schema.context import BatchFunction, Info
from mypd_graph.schema.frameworks import Element, RatingLevel
from mypd_graph.schema.insights.common import LazyResource, resource_of
from mypd_graph.schema.personalization.needs import element_of, level_of
from mypd_graph.services.personalization import growth as growth_service
from mypd_graph.services.personalization import pd_impact as impact_service
from mypd_graph.services.students.growth_measures import GROWTH_RULE
from mypd_graph.services.students.status import RESULTS_RULES

if TYPE_CHECKING:
    from mypd_graph.schema.plans.types import LearningPlan

LazyPlan = Annotated["LearningPlan", strawberry.lazy("mypd_graph.schema.plans.types")]

T = TypeVar("T")


@strawberry.type(description="A level at a moment: a self-assessment cycle or an observation date.")
class LevelAt:
    when: str = strawberry.field(description="A cycle (2025-26) or a date (2025-10-31).")
    source: str = strawberry.field(description="self, or the observation kind.")
    level_id: strawberry.Private[int]

    @strawberry.field
    async def level(self, info: Info) -> RatingLevel:
        return await level_of(info, self.level_id)


@strawberry.type(description="One element's self-ratings and observer ratings, oldest first.")
class ElementGrowth:
    element: Element
    self_levels: list[LevelAt]
    observed_levels: list[LevelAt] = strawberry.field(
        description="One point per cycle: the reconciled observed rating of the cycle (the median "
        "of each observer's latest rating, docs/ratings.md), dated by the chosen observation."
    )
    self_change: int | None = strawberry.field(
        description="Latest minus first self-rating, in levels; null with fewer than two."
    )
    observed_change: int | None = strawberry.field(
        description="Last minus first cycle's reconciled observer rating, in levels; null with "
        "fewer than two cycles."
    )


def _element_growth(series: growth_service.ElementSeries) -> ElementGrowth:
    def points(items: list[growth_service.LevelPoint]) -> list[LevelAt]:
        return [LevelAt(when=p.when, source=p.kind, level_id=p.level_id) for p in items]

    return ElementGrowth(
        element=element_of(series.element),
        self_levels=points(series.self_levels),
        observed_levels=points(series.observed_levels),
        self_change=series.change(series.self_levels),
        observed_change=series.change(series.observed_levels),
    )


@strawberry.type(description="Goal progress of one learning plan.")
class PlanGrowth:
    cycle: str
    status: str
    goals: int
    goals_met: int = strawberry.field(description="Goals at 100% progress.")
    average_progress: float | None
    plan_id: strawberry.Private[int]

    @strawberry.field
    async def plan(self, info: Info) -> LazyPlan | None:
        from mypd_graph.schema.plans.types import plan_by_id

        return await plan_by_id(info, self.plan_id)


@strawberry.type
class TrainingHours:
    school_year: str
    hours: float
    records: int


@strawberry.type(
    description="The teacher's students on one assessment in one testing window; figures are "
    "null and suppressed is true when fewer students than the minimum group size took it."
)
class TermResults:
    assessment_name: str
    subject: str
    school_year: str
    term: str
    suppressed: bool
    students: int | None
    share_at_or_above_standard: float | None
    mean_scale_score: float | None
    classroom: bool = strawberry.field(
        description="A classroom assessment the teacher entered (teacher-entered data, not the "
        "district's); shown in that teacher's growth only."
    )


@strawberry.type(
    description="The teacher's students in one subject and school year by the stated "
    "proficiency rule (rule), the figure needs use; figures are null and suppressed is true "
    "below the minimum group size."
)
class YearStatus:
    subject: str
    school_year: str
    suppressed: bool
    students: int | None = strawberry.field(description="Students with results the rule judges.")
    below_standard: int | None
    share_below_standard: float | None
    rule: str


@strawberry.type(
    description="The teacher's students' growth in one subject and school year where results "
    "carry it (MAP Growth fall to spring), by the stated rule (rule), the figure the "
    "STUDENT_GROWTH need signal reads; null figures and suppressed true below the minimum "
    "group size."
)
class YearGrowth:
    subject: str
    school_year: str
    suppressed: bool
    students: int | None = strawberry.field(description="Students with a growth measure.")
    short_of_typical: int | None = strawberry.field(
        description="Of them, those who grew less than typical."
    )
    share_short_of_typical: float | None
    rule: str


@strawberry.type(description="A completed resource's effect on later ratings of one element.")
class PdImpact:
    completed_on: date
    element: Element
    observed_change: int | None = strawberry.field(
        description="Latest observer rating after minus latest on or before completion."
    )
    self_change: int | None
    resource_id: strawberry.Private[int]
    levels: strawberry.Private[tuple[int | None, int | None, int | None, int | None]]

    @strawberry.field
    async def resource(self, info: Info) -> LazyResource:
        return await resource_of(info, self.resource_id)

    async def _level(self, info: Info, index: int) -> RatingLevel | None:
        level_id = self.levels[index]
        return await level_of(info, level_id) if level_id is not None else None

    @strawberry.field
    async def observed_before(self, info: Info) -> RatingLevel | None:
        return await self._level(info, 0)

    @strawberry.field
    async def observed_after(self, info: Info) -> RatingLevel | None:
        return await self._level(info, 1)

    @strawberry.field
    async def self_before(self, info: Info) -> RatingLevel | None:
        return await self._level(info, 2)

    @strawberry.field
    async def self_after(self, info: Info) -> RatingLevel | None:
        return await self._level(info, 3)


def _impact(pair: impact_service.ImpactPair) -> PdImpact:
    levels = (pair.observed_before, pair.observed_after, pair.self_before, pair.self_after)
    return PdImpact(
        completed_on=pair.completed_on,
        element=element_of(pair.element),
        observed_change=pair.observed_change,
        self_change=pair.self_change,
        resource_id=pair.resource_id,
        levels=tuple(level.id if level else None for level in levels),  # type: ignore[arg-type]
    )


@strawberry.type
class GrowthSummary:
    elements_improved_self: int
    elements_improved_observed: int
    elements_declined_self: int
    elements_declined_observed: int
    goals: int
    goals_met: int
    training_hours: float
    resources_completed: int


@strawberry.type(description="A teacher's growth over time; self and observer ratings kept apart.")
class TeacherGrowth:
    teacher_id: strawberry.Private[int]

    async def _load(self, info: Info, batch: BatchFunction[int, list[T]]) -> list[T]:
        return await info.context.loader(batch).load(self.teacher_id)

    @strawberry.field(description="Elements with any rating, in framework order.")
    async def elements(self, info: Info) -> list[ElementGrowth]:
        series = await self._load(info, growth_service.rating_series_by_teacher)
        return [_element_growth(item) for item in series]

    @strawberry.field(description="Goal progress per plan, newest cycle first.")
    async def plans(self, info: Info) -> list[PlanGrowth]:
        rows = await self._load(info, growth_service.plan_progress_by_teacher)
        return [
            PlanGrowth(
                cycle=row.cycle,
                status=row.status,
                goals=row.goals,
                goals_met=row.goals_met,
                average_progress=(
                    round(row.average_progress, 1) if row.average_progress is not None else None
                ),
                plan_id=row.plan_id,
            )
            for row in rows
        ]

    @strawberry.field(description="Training hours per school year, oldest first.")
    async def training_hours(self, info: Info) -> list[TrainingHours]:
        rows = await self._load(info, growth_service.training_hours_by_teacher)
        return [
            TrainingHours(school_year=r.school_year, hours=r.hours, records=r.records) for r in rows
        ]

    @strawberry.field(description="The teacher's students' results by assessment and term.")
    async def student_results(self, info: Info) -> list[TermResults]:
        rows = await self._load(info, growth_service.results_by_term_by_teacher)
        return [
            TermResults(
                assessment_name=r.assessment_name,
                subject=r.subject,
                school_year=r.school_year,
                term=r.term,
                suppressed=r.suppressed,
                students=r.students,
                share_at_or_above_standard=r.share_at_or_above,
                mean_scale_score=r.mean_scale_score,
                classroom=r.classroom,
            )
            for r in rows
        ]

    @strawberry.field(
        description="The teacher's students below standard per subject and school year, by the "
        "rule needs use (so the two agree), oldest first."
    )
    async def student_status(self, info: Info) -> list[YearStatus]:
        rows = await self._load(info, growth_service.status_by_year_by_teacher)
        return [
            YearStatus(
                subject=r.subject,
                school_year=r.school_year,
                suppressed=r.suppressed,
                students=r.students,
                below_standard=r.below,
                share_below_standard=r.share_below,
                rule=RESULTS_RULES,
            )
            for r in rows
        ]

    @strawberry.field(
        description="The teacher's students' growth per subject and school year where results "
        "carry it, oldest first (empty when no file carried growth)."
    )
    async def student_growth(self, info: Info) -> list[YearGrowth]:
        rows = await self._load(info, growth_service.growth_by_year_by_teacher)
        return [
            YearGrowth(
                subject=r.subject,
                school_year=r.school_year,
                suppressed=r.suppressed,
                students=r.students,
                short_of_typical=r.short,
                share_short_of_typical=r.share_short,
                rule=GROWTH_RULE,
            )
            for r in rows
        ]

    @strawberry.field(description="For completed resources, the change in later ratings.")
    async def pd_impact(self, info: Info) -> list[PdImpact]:
        pairs = await self._load(info, impact_service.pd_impact_by_teacher)
        return [_impact(pair) for pair in pairs]

    @strawberry.field
    async def summary(self, info: Info) -> GrowthSummary:
        summary = growth_service.summarize(
            await self._load(info, growth_service.rating_series_by_teacher),
            await self._load(info, growth_service.plan_progress_by_teacher),
            await self._load(info, growth_service.training_hours_by_teacher),
            await self._load(info, impact_service.pd_impact_by_teacher),
        )
        return GrowthSummary(**{name: getattr(summary, name) for name in summary.__slots__})


def growth_of_teacher(teacher_id: int) -> TeacherGrowth:
    return TeacherGrowth(teacher_id=teacher_id)
