"""A teacher's growth over time, and the district views (``District.insights``).

Every field resolves on its own through a DataLoader or one service call, so a query pays only for
what it asks. District views refuse teachers (FORBIDDEN) and aggregate over the teachers the viewer
serves: see :mod:`mypd_graph.services.insights.district` for the scoping and suppression rules.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.frameworks import Element, RatingLevel
from mypd_graph.schema.people import School, school_by_id
from mypd_graph.schema.personalization import NeedSignalKind, element_of, level_of
from mypd_graph.services.common import check_first
from mypd_graph.services.insights import district, plans_and_pd, student_results, top_needs
from mypd_graph.services.personalization import growth as growth_service
from mypd_graph.services.personalization import pd_impact as impact_service

if TYPE_CHECKING:
    from mypd_graph.schema.plans import LearningPlan
    from mypd_graph.schema.resources import Resource

LazyPlan = Annotated["LearningPlan", strawberry.lazy("mypd_graph.schema.plans")]
LazyResource = Annotated["Resource", strawberry.lazy("mypd_graph.schema.resources")]


async def _resource(info: Info, resource_id: int) -> LazyResource:
    from mypd_graph.schema import resources

    resource = await resources.resource_by_id(info, resource_id)
    assert resource is not None  # read from the resource table by the service
    return resource


# --- a teacher's growth ----------------------------------------------------------------------------


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
    observed_levels: list[LevelAt]
    self_change: int | None = strawberry.field(
        description="Latest minus first self-rating, in levels; null with fewer than two."
    )
    observed_change: int | None = strawberry.field(
        description="Latest minus first observer rating, in levels; null with fewer than two."
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
        from mypd_graph.schema import plans

        return await plans.plan_by_id(info, self.plan_id)


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
        return await _resource(info, self.resource_id)

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

    async def _load(self, info: Info, batch):  # type: ignore[no-untyped-def]
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


# --- district views ---------------------------------------------------------------------------------


@strawberry.type
class ElementCoverage:
    element: Element
    focus_teachers: int = strawberry.field(description="Teachers who chose it as a focus.")
    goal_teachers: int = strawberry.field(description="Teachers with a plan goal on it.")
    goals: int


@strawberry.type(description="Coverage of the framework's elements across focus choices and plans.")
class Coverage:
    teachers: int
    elements: list[ElementCoverage]


@strawberry.type
class LevelCount:
    teachers: int
    level_id: strawberry.Private[int]

    @strawberry.field
    async def level(self, info: Info) -> RatingLevel:
        return await level_of(info, self.level_id)


@strawberry.type(description="How teachers' latest ratings of one element spread over the levels, "
                 "per school; self-ratings and observer ratings side by side.")  # fmt: skip
class RatingDistribution:
    element: Element
    self_levels: list[LevelCount]
    observed_levels: list[LevelCount]
    school_id: strawberry.Private[int | None]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        return await school_by_id(info, self.school_id)


@strawberry.type
class TopNeed:
    element: Element
    teachers_with_top_need: int = strawberry.field(
        description=f"Teachers for whom it is among their {top_needs.TOP_NEEDS_PER_TEACHER} "
        "highest needs."
    )
    teachers_scored: int
    mean_score: float
    leading_signal: NeedSignalKind | None = strawberry.field(
        description="The signal most often adding the most to it."
    )


@strawberry.type
class TopNeeds:
    teachers: int
    minimum_group_size: int
    note: str
    needs: list[TopNeed]


@strawberry.type
class SchoolPlanStatus:
    teachers: int
    draft: int
    submitted: int
    approved: int
    completed: int
    without_plan: int
    school_id: strawberry.Private[int | None]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        return await school_by_id(info, self.school_id)


@strawberry.type
class PlanStatusView:
    cycle: str | None = strawberry.field(description="The cycle counted (default: the newest).")
    schools: list[SchoolPlanStatus]


@strawberry.type(description="Training hours aligned to one element (a record counts for each).")
class ElementHours:
    element: Element
    hours: float
    teachers: int
    records: int


@strawberry.type(description="A resource's completions and the mean change in later ratings.")
class ResourceImpact:
    title: str
    teachers: int
    observed_pairs: int
    mean_observed_change: float | None
    self_pairs: int
    mean_self_change: float | None
    resource_id: strawberry.Private[int]

    @strawberry.field
    async def resource(self, info: Info) -> LazyResource:
        return await _resource(info, self.resource_id)


@strawberry.type
class SchoolResults:
    subject: str
    school_year: str
    suppressed: bool
    students: int | None
    share_below_standard: float | None
    school_id: strawberry.Private[int | None]

    @strawberry.field
    async def school(self, info: Info) -> School | None:
        return await school_by_id(info, self.school_id)


@strawberry.type(description="Students' results by school; small groups suppressed, and said so.")
class StudentResultsView:
    minimum_group_size: int
    suppressed_groups: int
    note: str
    rows: list[SchoolResults]


@strawberry.type(
    description="District views over the teachers the viewer serves: a principal's school, a "
    "coach's caseload, an admin's district (or one school)."
)
class DistrictInsights:
    school_id: strawberry.Private[int | None]

    @strawberry.field
    async def coverage(self, info: Info, cycle: str | None = None) -> Coverage:
        found = await info.context.read(district.coverage, self.school_id, cycle)
        return Coverage(
            teachers=found.teachers,
            elements=[
                ElementCoverage(
                    element=element_of(row.element),
                    focus_teachers=row.focus_teachers,
                    goal_teachers=row.goal_teachers,
                    goals=row.goals,
                )
                for row in found.elements
            ],
        )

    @strawberry.field
    async def rating_distribution(
        self, info: Info, cycle: str | None = None
    ) -> list[RatingDistribution]:
        found = await info.context.read(district.rating_distribution, self.school_id, cycle)

        def counts(items: list[district.LevelCount]) -> list[LevelCount]:
            return [LevelCount(teachers=c.teachers, level_id=c.level_id) for c in items]

        return [
            RatingDistribution(
                element=element_of(row.element),
                self_levels=counts(row.self_levels),
                observed_levels=counts(row.observed_levels),
                school_id=row.school_id,
            )
            for row in found
        ]

    @strawberry.field
    async def top_needs(self, info: Info, first: int = 10) -> TopNeeds:
        check_first(first)
        found = await info.context.read(top_needs.top_needs, self.school_id, first)
        return TopNeeds(
            teachers=found.teachers,
            minimum_group_size=found.minimum_group_size,
            note=(
                "student-performance signals rest only on groups of at least "
                f"{found.minimum_group_size} students; smaller groups count as missing"
            ),
            needs=[
                TopNeed(
                    element=element_of(row.element),
                    teachers_with_top_need=row.teachers_with_top_need,
                    teachers_scored=row.teachers_scored,
                    mean_score=row.mean_score,
                    leading_signal=row.leading_signal,
                )
                for row in found.needs
            ],
        )

    @strawberry.field
    async def plan_status(self, info: Info, cycle: str | None = None) -> PlanStatusView:
        counted, rows = await info.context.read(
            plans_and_pd.plan_status_counts, self.school_id, cycle
        )
        return PlanStatusView(
            cycle=counted,
            schools=[
                SchoolPlanStatus(
                    teachers=row.teachers,
                    without_plan=row.without_plan,
                    school_id=row.school_id,
                    **row.by_status,
                )
                for row in rows
            ],
        )

    @strawberry.field
    async def pd_hours(self, info: Info, since: date | None = None) -> list[ElementHours]:
        rows = await info.context.read(plans_and_pd.pd_hours_by_element, self.school_id, since)
        return [
            ElementHours(
                element=element_of(row.element),
                hours=row.hours,
                teachers=row.teachers,
                records=row.records,
            )
            for row in rows
        ]

    @strawberry.field
    async def pd_impact(self, info: Info) -> list[ResourceImpact]:
        rows = await info.context.read(plans_and_pd.pd_impact_by_resource, self.school_id)
        return [
            ResourceImpact(
                title=row.title,
                teachers=row.teachers,
                observed_pairs=row.observed_pairs,
                mean_observed_change=row.mean_observed_change,
                self_pairs=row.self_pairs,
                mean_self_change=row.mean_self_change,
                resource_id=row.resource_id,
            )
            for row in rows
        ]

    @strawberry.field(
        description="Students below standard per school and subject, in schoolYear (default: "
        "each subject's newest school year with results)."
    )
    async def student_results(
        self, info: Info, school_year: str | None = None
    ) -> StudentResultsView:
        found = await info.context.read(
            student_results.student_results_by_school, self.school_id, school_year
        )
        return StudentResultsView(
            minimum_group_size=found.minimum_group_size,
            suppressed_groups=found.suppressed_groups,
            note=found.note,
            rows=[
                SchoolResults(
                    subject=row.subject,
                    school_year=row.school_year,
                    suppressed=row.suppressed,
                    students=row.students,
                    share_below_standard=row.share_below,
                    school_id=row.school_id,
                )
                for row in found.rows
            ],
        )


def insights_of_district(info: Info, school_id: int | None) -> DistrictInsights:
    """``District.insights``: refuses teachers at once, so no field runs for them."""
    district.scope_teachers(info.context.actor, school_id)
    return DistrictInsights(school_id=school_id)
