"""Needs with their explanations, goal suggestions, recommendations and the district's settings.

Resolvers translate only: every figure comes from :mod:`mypd_graph.services.personalization.needs`,
:mod:`~mypd_graph.services.personalization.recommendations`, :mod:`~mypd_graph.services.personalization.goal_suggestions` and
:mod:`~mypd_graph.services.personalization.settings`, read through per-request DataLoaders, so a list of
teachers with their needs and recommendations runs the same statements for 5 teachers as for 100.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.frameworks import Element, RatingLevel, level_by_id
from mypd_graph.schema.people import User, user_by_id
from mypd_graph.schema.relay import Edge, PageInfo, decode_id, to_global_id
from mypd_graph.services.common import check_first, encode_cursor
from mypd_graph.services.personalization import goal_suggestions as goals_service
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.personalization import recommendations as recommendations_service
from mypd_graph.services.personalization import settings as settings_service
from mypd_graph.services.personalization.settings import Signal

if TYPE_CHECKING:
    from mypd_graph.schema.plans import Goal
    from mypd_graph.schema.resources import Resource

LazyGoal = Annotated["Goal", strawberry.lazy("mypd_graph.schema.plans")]
LazyResource = Annotated["Resource", strawberry.lazy("mypd_graph.schema.resources")]

NeedSignalKind = strawberry.enum(Signal, name="NeedSignalKind")


def element_of(info: needs_service.ElementInfo) -> Element:
    return Element(
        id=to_global_id("Element", info.id),
        code=info.code,
        text=info.text,
        retired=False,
        db_id=info.id,
        framework_id=info.framework_id,
    )


async def level_of(info: Info, level_id: int) -> RatingLevel:
    level = await level_by_id(info, level_id)
    assert level is not None  # ratings refer to levels of synced frameworks
    return level


# --- needs ---------------------------------------------------------------------------------------


@strawberry.type(
    description="One of the four signals behind a need. A missing signal has no value (never 0), "
    "says why in missingReason, and its weight is shared among the present signals."
)
class NeedSignal:
    kind: NeedSignalKind
    present: bool
    value: float | None = strawberry.field(description="0 (no need) to 1 (highest need).")
    weight: float = strawberry.field(
        description="The district's weight for this signal, as a share of all four."
    )
    effective_weight: float | None = strawberry.field(
        description="The weight renormalized over the signals present for this need."
    )
    contribution: float | None = strawberry.field(description="value × effectiveWeight.")
    evidence: list[str] = strawberry.field(description="The data behind the value, in words.")
    missing_reason: str | None

    @classmethod
    def from_reading(cls, reading: needs_service.SignalReading) -> NeedSignal:
        return cls(
            kind=reading.signal,
            present=reading.present,
            value=reading.value,
            weight=round(reading.weight, 4),
            effective_weight=(
                round(reading.effective_weight, 4) if reading.effective_weight is not None else None
            ),
            contribution=(
                round(reading.contribution, 4) if reading.contribution is not None else None
            ),
            evidence=list(reading.evidence),
            missing_reason=reading.missing_reason,
        )


@strawberry.type(description="The teacher's latest self-rating of an element.")
class SelfRating:
    cycle: str
    level_id: strawberry.Private[int]

    @strawberry.field
    async def level(self, info: Info) -> RatingLevel:
        return await level_of(info, self.level_id)


@strawberry.type(description="The latest observer rating of an element (an evaluator's rating).")
class ObservedRating:
    observed_on: date
    kind: str = strawberry.field(description="formal, informal, walkthrough or coaching.")
    level_id: strawberry.Private[int]
    observer_id: strawberry.Private[int]

    @strawberry.field
    async def level(self, info: Info) -> RatingLevel:
        return await level_of(info, self.level_id)

    @strawberry.field
    async def observer(self, info: Info) -> User | None:
        return await user_by_id(info, self.observer_id)


@strawberry.type(
    description="How much a teacher needs to grow in one element (0 to 1), with the signals behind "
    "it. Self and observer ratings are shown side by side, never averaged."
)
class Need:
    element: Element
    score: float | None = strawberry.field(
        description="Null when no student, self or observer data speaks to this element."
    )
    rank: int | None = strawberry.field(description="1 for the teacher's highest need.")
    is_focus: bool = strawberry.field(description="The teacher chose this element to grow in.")
    summary: str
    signals: list[NeedSignal] = strawberry.field(description="Always four, in a fixed order.")
    self_rating: SelfRating | None
    observed_rating: ObservedRating | None

    @classmethod
    def from_need(cls, need: needs_service.Need) -> Need:
        self_rating = observed = None
        if need.self_rating is not None:
            self_rating = SelfRating(
                cycle=need.self_rating.cycle, level_id=need.self_rating.level.id
            )
        if need.observed_rating is not None:
            rating = need.observed_rating
            observed = ObservedRating(
                observed_on=rating.observed_on,
                kind=rating.kind,
                level_id=rating.level.id,
                observer_id=rating.observer_id,
            )
        return cls(
            element=element_of(need.element),
            score=need.score,
            rank=need.rank,
            is_focus=need.is_focus,
            summary=need.summary,
            signals=[NeedSignal.from_reading(reading) for reading in need.signals],
            self_rating=self_rating,
            observed_rating=observed,
        )


async def needs_of_teacher(
    info: Info, teacher_id: int, first: int, include_unscored: bool, element_code: str | None
) -> list[Need]:
    """``Teacher.needs``: highest first; unscored elements only when asked for."""
    check_first(first)
    needs = await info.context.loader(needs_service.needs_by_teacher).load(teacher_id)
    chosen = [
        need
        for need in needs
        if (include_unscored or need.score is not None)
        and (element_code is None or need.element.code == element_code.strip())
    ]
    return [Need.from_need(need) for need in chosen[:first]]


# --- recommendations -----------------------------------------------------------------------------


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


# --- settings ------------------------------------------------------------------------------------


@strawberry.type(description="How much each signal counts, as configured (any non-negative scale).")
class SignalWeights:
    student_performance: float
    training: float
    self_assessment: float
    observation: float


@strawberry.type(description="Which elements a tested subject's results speak to.")
class SubjectElements:
    subject: str
    element_codes: list[str]
    overridden: bool = strawberry.field(description="The district replaced the framework's list.")


@strawberry.type(
    description="The district's personalization settings; any signed-in user reads them."
)
class PersonalizationSettings:
    weights: SignalWeights
    minimum_group_size: int = strawberry.field(
        description="Groups of fewer students are never reported (default 10)."
    )
    training_window_months: int = strawberry.field(description="Training this recent counts.")
    training_full_hours: float = strawberry.field(
        description="Aligned hours at which training brings its signal to 0."
    )
    subject_elements: list[SubjectElements]

    @classmethod
    def from_settings(
        cls, settings: settings_service.PersonalizationSettings
    ) -> PersonalizationSettings:
        weights = settings.weights
        effective = settings.subject_elements
        subjects = sorted(set(settings.framework_subject_elements) | set(settings.overrides))
        return cls(
            weights=SignalWeights(
                student_performance=weights[Signal.STUDENT_PERFORMANCE],
                training=weights[Signal.TRAINING],
                self_assessment=weights[Signal.SELF_ASSESSMENT],
                observation=weights[Signal.OBSERVATION],
            ),
            minimum_group_size=settings.minimum_group_size,
            training_window_months=settings.training_window_months,
            training_full_hours=settings.training_full_hours,
            subject_elements=[
                SubjectElements(
                    subject=subject,
                    element_codes=list(effective.get(subject, ())),
                    overridden=subject in settings.overrides,
                )
                for subject in subjects
            ],
        )


async def settings_of_district(info: Info) -> PersonalizationSettings:
    settings = await info.context.read(settings_service.settings_for)
    return PersonalizationSettings.from_settings(settings)


@strawberry.input(description="Weights to change; absent ones stay as they are.")
class SignalWeightsInput:
    student_performance: float | None = None
    training: float | None = None
    self_assessment: float | None = None
    observation: float | None = None

    def to_weights(self) -> dict[Signal, float]:
        given = {
            Signal.STUDENT_PERFORMANCE: self.student_performance,
            Signal.TRAINING: self.training,
            Signal.SELF_ASSESSMENT: self.self_assessment,
            Signal.OBSERVATION: self.observation,
        }
        return {signal: value for signal, value in given.items() if value is not None}


@strawberry.input
class SubjectElementsInput:
    subject: str
    element_codes: list[str] = strawberry.field(
        description="Element codes of the active framework; an empty list unmaps the subject."
    )


@strawberry.input(description="Absent fields stay as they are.")
class UpdatePersonalizationSettingsInput:
    weights: SignalWeightsInput | None = None
    minimum_group_size: int | None = None
    training_window_months: int | None = None
    training_full_hours: float | None = None
    subject_elements: list[SubjectElementsInput] | None = strawberry.field(
        default=None,
        description="Replaces every district override; subjects not listed use the framework's map.",
    )


@strawberry.type
class UpdatePersonalizationSettingsPayload:
    settings: PersonalizationSettings | None
    user_errors: list[UserError]


@strawberry.input
class AcceptGoalSuggestionInput:
    suggestion_id: strawberry.ID = strawberry.field(description="GoalSuggestion.id.")
    plan_id: strawberry.ID = strawberry.field(description="One of your draft plans.")


@strawberry.type
class AcceptGoalSuggestionPayload:
    goal: LazyGoal | None
    user_errors: list[UserError]


@strawberry.type
class Mutation:
    @strawberry.mutation(
        description="The signed-in teacher adds a suggested goal, with its action steps, to their "
        "draft plan (plan rules apply as for addGoal)."
    )
    async def accept_goal_suggestion(
        self, info: Info, input: AcceptGoalSuggestionInput
    ) -> AcceptGoalSuggestionPayload:
        from mypd_graph.schema.plans import Goal

        actor = info.context.actor

        async def work(session: AsyncSession) -> models.Goal:
            element_id = decode_id(input.suggestion_id, "GoalSuggestion", ("input", "suggestionId"))
            plan_id = decode_id(input.plan_id, "LearningPlan", ("input", "planId"))
            return await goals_service.accept_suggestion(session, actor, element_id, plan_id)

        goal, errors = await run_mutation(info, work)
        return AcceptGoalSuggestionPayload(
            goal=Goal.from_row(goal) if goal is not None else None, user_errors=errors
        )

    @strawberry.mutation(description="A district admin changes the personalization settings.")
    async def update_personalization_settings(
        self, info: Info, input: UpdatePersonalizationSettingsInput
    ) -> UpdatePersonalizationSettingsPayload:
        actor = info.context.actor
        change = settings_service.SettingsChange(
            weights=input.weights.to_weights() if input.weights is not None else None,
            minimum_group_size=input.minimum_group_size,
            training_window_months=input.training_window_months,
            training_full_hours=input.training_full_hours,
            subject_elements=(
                [(item.subject, item.element_codes) for item in input.subject_elements]
                if input.subject_elements is not None
                else None
            ),
        )
        settings, errors = await run_mutation(
            info, lambda session: settings_service.update_settings(session, actor, change)
        )
        return UpdatePersonalizationSettingsPayload(
            settings=PersonalizationSettings.from_settings(settings) if settings else None,
            user_errors=errors,
        )
