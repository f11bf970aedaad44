"""Resources ranked for a teacher's needs, and goals drafted from them: both rest on one ranking.

Every figure comes from :mod:`mypd_graph.services.personalization.recommendations` and
:mod:`~mypd_graph.services.personalization.goal_suggestions`, read through per-request DataLoaders,
so a list of teachers with their recommendations runs the same statements for 5 teachers as for 100.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.frameworks import Element, RatingLevel, level_by_id
from mypd_graph.schema.personalization.needs import NeedSignalKind, element_of, level_of
from mypd_graph.schema.relay import Edge, PageInfo, to_global_id
from mypd_graph.services.common import check_first, encode_cursor
from mypd_graph.services.personalization import goal_suggestions as goals_service
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.personalization import recommendations as recommendations_service

if TYPE_CHECKING:
    from mypd_graph.schema.resources import Resource

LazyResource = Annotated["Resource", strawberry.lazy("mypd_graph.schema.resources")]


@strawberry.type(description="Why a resource is recommended: an element and what makes it matter.")
class RecommendationReason:
    element: Element
    need_score: float | None
    is_focus: bool
    signal: NeedSignalKind | None = strawberry.field(
        description="The signal that adds the most to the teacher's need in this element."
    )
    explanation: str


@strawberry.type(description="A PD resource ranked for a teacher's needs and focus elements.")
class Recommendation:
    score: float
    reasons: list[RecommendationReason]
    resource_id: strawberry.Private[int]

    @strawberry.field
    async def resource(self, info: Info) -> LazyResource:
        from mypd_graph.schema import resources

        resource = await resources.resource_by_id(info, self.resource_id)
        assert resource is not None  # ranked from the resource table a moment ago
        return resource

    @classmethod
    def from_recommendation(cls, item: recommendations_service.Recommendation) -> Recommendation:
        return cls(
            score=item.score,
            resource_id=item.resource_id,
            reasons=[
                RecommendationReason(
                    element=element_of(reason.element),
                    need_score=reason.need_score,
                    is_focus=reason.is_focus,
                    signal=reason.signal,
                    explanation=reason.explanation,
                )
                for reason in item.reasons
            ],
        )


@strawberry.type(description="Recommendations, best first; first is at most 100.")
class RecommendationConnection:
    edges: list[Edge[Recommendation]]
    page_info: PageInfo
    total_count: int
    note: str | None = strawberry.field(
        default=None,
        description="Why there are no recommendations (null when there are some): no resource "
        "for this framework and no crosswalk from the one the library serves, no need scored "
        "yet, none aligned to the needs, every one completed, none for the teacher's subjects "
        "and grades.",
    )

    @strawberry.field
    def nodes(self) -> list[Recommendation]:
        return [edge.node for edge in self.edges]


async def _ranked(info: Info, teacher_id: int) -> tuple[list[needs_service.Need], object]:
    needs = await info.context.loader(needs_service.needs_by_teacher).load(teacher_id)
    inputs = await info.context.loader(recommendations_service.recommendation_inputs).load(
        teacher_id
    )
    return needs, inputs


async def recommendations_of_teacher(
    info: Info, teacher_id: int, first: int, after: str | None
) -> RecommendationConnection:
    needs, inputs = await _ranked(info, teacher_id)
    ranked = (
        recommendations_service.rank_resources(needs, inputs)  # type: ignore[arg-type]
        if inputs is not None
        else []
    )
    page = recommendations_service.page_of(ranked, first, after)
    edges = [
        Edge(cursor=encode_cursor(position), node=Recommendation.from_recommendation(item))
        for position, item in page.items
    ]
    return RecommendationConnection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=page.has_next_page, end_cursor=edges[-1].cursor if edges else None
        ),
        total_count=page.total,
        note=(
            recommendations_service.empty_note(needs, inputs)  # type: ignore[arg-type]
            if inputs is not None and not ranked
            else None
        ),
    )


# --- goal suggestions ----------------------------------------------------------------------------


@strawberry.type(description="A suggested action step, often a recommended resource.")
class SuggestedActionStep:
    description: str
    resource_id: strawberry.Private[int | None]

    @strawberry.field
    async def resource(self, info: Info) -> LazyResource | None:
        from mypd_graph.schema import resources

        return await resources.resource_by_id(info, self.resource_id)


@strawberry.type(
    description="A goal drafted from a top need or focus element; acceptGoalSuggestion adds it "
    "to a draft plan with its action steps."
)
class GoalSuggestion:
    id: strawberry.ID
    element: Element
    title: str
    rationale: str
    need_score: float | None
    is_focus: bool
    baseline_source: str = strawberry.field(
        description="Where the baseline comes from: the latest observation, else self-assessment."
    )
    steps: list[SuggestedActionStep]
    baseline_level_id: strawberry.Private[int | None]
    target_level_id: strawberry.Private[int]

    @strawberry.field
    async def baseline_level(self, info: Info) -> RatingLevel | None:
        return await level_by_id(info, self.baseline_level_id)

    @strawberry.field
    async def target_level(self, info: Info) -> RatingLevel:
        return await level_of(info, self.target_level_id)

    @classmethod
    def from_suggestion(cls, item: goals_service.GoalSuggestion) -> GoalSuggestion:
        return cls(
            id=to_global_id("GoalSuggestion", item.element.id),
            element=element_of(item.element),
            title=item.title,
            rationale=item.rationale,
            need_score=item.need.score,
            is_focus=item.need.is_focus,
            baseline_source=item.baseline_source,
            steps=[
                SuggestedActionStep(description=step.description, resource_id=step.resource_id)
                for step in item.steps
            ],
            baseline_level_id=item.baseline.id if item.baseline else None,
            target_level_id=item.target.id,
        )


async def goal_suggestions_of_teacher(
    info: Info, teacher_id: int, first: int
) -> list[GoalSuggestion]:
    check_first(first)
    needs, inputs = await _ranked(info, teacher_id)
    open_elements = await info.context.loader(goals_service.open_goal_elements).load(teacher_id)
    suggestions = goals_service.suggest_goals(needs, inputs, open_elements, first)  # type: ignore[arg-type]
    return [GoalSuggestion.from_suggestion(item) for item in suggestions]
