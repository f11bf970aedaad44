"""The district views (``District.insights``): coverage, ratings, top needs, plans, PD, results.

Views refuse teachers (FORBIDDEN) and aggregate over the teachers the viewer serves: see
:mod:`mypd_graph.services.insights.district` for the scoping and suppression rules.
"""

from __future__ import annotations

from datetime import date

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.frameworks import Element, RatingLevel
from mypd_graph.schema.insights.common import LazyResource, resource_of
from mypd_graph.schema.people.types import School, school_by_id
from mypd_graph.schema.personalization.needs import NeedSignalKind, element_of, level_of
from mypd_graph.services.common import check_first
from mypd_graph.services.insights import district, plans_and_pd, student_results, top_needs


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


StudentImpactState = strawberry.enum(
    plans_and_pd.StudentState,
    name="StudentImpactState",
    description="SHOWN; TOO_LITTLE_DATA: fewer students than the district's minimum group size "
    "in a year; NO_RESULTS: no teacher who completed it has results in both years.",
)


@strawberry.type(
    description="The share of students below standard in one subject mapped to the resource's "
    "elements, the school year before and the school year after the completion (docs/ratings.md), "
    "pooled over the teachers with results in both years; counts and shares only when SHOWN."
)
class StudentImpact:
    subject: str
    teachers: int = strawberry.field(description="Teachers whose students stand behind it.")
    state: StudentImpactState
    students_before: int | None
    students_after: int | None
    share_below_before: float | None
    share_below_after: float | None
    change: float | None = strawberry.field(
        description="After minus before (negative: fewer students below standard)."
    )


@strawberry.type(
    description="A resource's completions, the mean change in later ratings, and the change in "
    "the completing teachers' students' status; with how many teachers stand behind each figure."
)
class ResourceImpact:
    title: str
    teachers: int
    observed_pairs: int = strawberry.field(
        description="Teacher and aligned element pairs with an observer rating before and after."
    )
    mean_observed_change: float | None
    observed_teachers: int = strawberry.field(description="Teachers behind meanObservedChange.")
    observed_without_before: int = strawberry.field(
        description="Pairs an observer rated only after the completion (no baseline)."
    )
    observed_without_after: int
    unobserved_pairs: int = strawberry.field(
        description="Pairs whose element no observer rated before or after."
    )
    self_pairs: int
    mean_self_change: float | None
    self_teachers: int = strawberry.field(description="Teachers behind meanSelfChange.")
    students: list[StudentImpact] = strawberry.field(
        description="Per subject mapped to its elements (district subject map); empty when none."
    )
    note: str = strawberry.field(description="Why a figure is missing, in words.")
    resource_id: strawberry.Private[int]

    @strawberry.field
    async def resource(self, info: Info) -> LazyResource:
        return await resource_of(info, self.resource_id)


@strawberry.type
class SchoolResults:
    subject: str
    school_year: str
    suppressed: bool
    students: int | None
    share_below_standard: float | None
    window: str | None = strawberry.field(
        description="Why schoolYear speaks for this school and subject (the data window: the "
        "current year once it has enough results, else the most recent complete year), with "
        "the assessments behind it; null when schoolYear was asked for."
    )
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
                f"{found.minimum_group_size} students; smaller groups count as missing; "
                "no training aligned to an element counts as missing here, not as a need"
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
                observed_teachers=row.observed_teachers,
                observed_without_before=row.observed_without_before,
                observed_without_after=row.observed_without_after,
                unobserved_pairs=row.unobserved_pairs,
                self_teachers=row.self_teachers,
                students=[
                    StudentImpact(
                        subject=student.subject,
                        teachers=student.teachers,
                        state=student.state,
                        students_before=student.students_before,
                        students_after=student.students_after,
                        share_below_before=student.share_below_before,
                        share_below_after=student.share_below_after,
                        change=student.change,
                    )
                    for student in row.students
                ],
                note=row.note,
                resource_id=row.resource_id,
            )
            for row in rows
        ]

    @strawberry.field(
        description="Students below standard per school and subject, in schoolYear (default: "
        "the year the data window chooses for each school and subject, named in each row's "
        "window and in the note; docs/student-results.md)."
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
                    window=row.window,
                    school_id=row.school_id,
                )
                for row in found.rows
            ],
        )


def insights_of_district(info: Info, school_id: int | None) -> DistrictInsights:
    """``District.insights``: refuses teachers at once, so no field runs for them."""
    district.scope_teachers(info.context.actor, school_id)
    return DistrictInsights(school_id=school_id)
