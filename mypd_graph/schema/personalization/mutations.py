"""Personalization mutations: accept a goal suggestion, change the district's settings.

Inputs, payloads and the ``Mutation`` class; the rules live in the personalization services.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.enums import Audience
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.personalization.settings import PersonalizationSettings
from mypd_graph.schema.relay import decode_id
from mypd_graph.services.personalization import goal_suggestions as goals_service
from mypd_graph.services.personalization import settings as settings_service
from mypd_graph.services.personalization import sharing as sharing_service
from mypd_graph.services.personalization.settings import Signal

if TYPE_CHECKING:
    from mypd_graph.schema.plans.types import Goal

LazyGoal = Annotated["Goal", strawberry.lazy("mypd_graph.schema.plans.types")]


@strawberry.input(description="Weights to change; absent ones stay as they are.")
class SignalWeightsInput:
    student_performance: float | None = None
    training: float | None = None
    self_assessment: float | None = None
    observation: float | None = None
    student_growth: float | None = strawberry.field(
        default=None, description="Above 0 turns the students' growth signal on."
    )

    def to_weights(self) -> dict[Signal, float]:
        given = {
            Signal.STUDENT_PERFORMANCE: self.student_performance,
            Signal.TRAINING: self.training,
            Signal.SELF_ASSESSMENT: self.self_assessment,
            Signal.OBSERVATION: self.observation,
            Signal.STUDENT_GROWTH: self.student_growth,
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
    sharing: SharingSettingsInput | None = None
    results_rules: ResultsRulesInput | None = None


@strawberry.input(
    description="How students' results are read (docs/student-results.md); absent values stay."
)
class ResultsRulesInput:
    current_year_minimum_students: int | None = None
    current_year_from: date | None = None
    clear_current_year_from: bool = strawberry.field(
        default=False, description="Remove the date: only the minimum of students counts."
    )
    proficient_percentile: int | None = strawberry.field(
        default=None,
        description="The district's cut for percentile-judged assessments (MAP Growth); "
        "changing it judges their stored results anew.",
    )


@strawberry.input(description="Sharing rules to change; absent ones stay as they are.")
class SharingSettingsInput:
    default_audience: Audience | None = None
    coaching_shared_with_supervisors: bool | None = None
    evaluations_shared_with_coaches: bool | None = None


@strawberry.type
class UpdatePersonalizationSettingsPayload:
    settings: PersonalizationSettings | None
    user_errors: list[UserError]


def _results_change(rules: ResultsRulesInput | None) -> dict[str, object]:
    if rules is None:
        return {}
    return {
        "current_year_minimum_students": rules.current_year_minimum_students,
        "current_year_from": rules.current_year_from,
        "clear_current_year_from": rules.clear_current_year_from,
        "proficient_percentile": rules.proficient_percentile,
    }


def _sharing_change(sharing: SharingSettingsInput | None) -> dict[str, object]:
    if sharing is None:
        return {}
    return {
        "default_audience": sharing.default_audience,
        "coaching_shared_with_supervisors": sharing.coaching_shared_with_supervisors,
        "evaluations_shared_with_coaches": sharing.evaluations_shared_with_coaches,
    }


@strawberry.input(description="null returns to the district's default.")
class SetGrowthProfileAudienceInput:
    audience: Audience | None


@strawberry.type(description="Who besides you sees your needs, growth and goal suggestions.")
class GrowthProfileAudience:
    chosen: Audience | None = strawberry.field(description="null: the district's default.")
    effective: Audience

    @classmethod
    def from_service(cls, found: sharing_service.GrowthAudience) -> GrowthProfileAudience:
        return cls(chosen=found.chosen, effective=found.effective)


@strawberry.type
class SetGrowthProfileAudiencePayload:
    growth_profile_audience: GrowthProfileAudience | None
    user_errors: list[UserError]


@strawberry.type
class Query:
    @strawberry.field(
        description="The signed-in teacher's growth profile audience (an error for others)."
    )
    async def my_growth_profile_audience(self, info: Info) -> GrowthProfileAudience:
        found = await info.context.read(sharing_service.growth_audience)
        return GrowthProfileAudience.from_service(found)


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
        from mypd_graph.schema.plans.types import Goal

        actor = info.context.actor

        async def work(session: AsyncSession) -> models.Goal:
            element_id = decode_id(input.suggestion_id, "GoalSuggestion", ("input", "suggestionId"))
            plan_id = decode_id(input.plan_id, "LearningPlan", ("input", "planId"))
            return await goals_service.accept_suggestion(session, actor, element_id, plan_id)

        goal, errors = await run_mutation(info, work)
        return AcceptGoalSuggestionPayload(
            goal=Goal.from_row(goal) if goal is not None else None, user_errors=errors
        )

    @strawberry.mutation(
        description="The signed-in teacher sets who besides them sees their growth profile "
        "(needs, growth, goal suggestions and recommendations)."
    )
    async def set_growth_profile_audience(
        self, info: Info, input: SetGrowthProfileAudienceInput
    ) -> SetGrowthProfileAudiencePayload:
        actor = info.context.actor
        found, errors = await run_mutation(
            info,
            lambda session: sharing_service.set_growth_audience(session, actor, input.audience),
        )
        return SetGrowthProfileAudiencePayload(
            growth_profile_audience=GrowthProfileAudience.from_service(found) if found else None,
            user_errors=errors,
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
            **_sharing_change(input.sharing),
            **_results_change(input.results_rules),
        )
        settings, errors = await run_mutation(
            info, lambda session: settings_service.update_settings(session, actor, change)
        )
        return UpdatePersonalizationSettingsPayload(
            settings=PersonalizationSettings.from_settings(settings) if settings else None,
            user_errors=errors,
        )
