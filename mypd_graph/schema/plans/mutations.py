"""Plan mutations: create a plan, edit its goals and steps, move it along its workflow.

Resolvers only translate: global IDs to database ids, absent fields to ``UNCHANGED``, rows to types.
Every rule (who may edit, submit or approve; what a valid goal is) lives in services/plans/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.enums import Audience
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.plans.types import ActionStep, ActionStepStatus, Goal, LearningPlan
from mypd_graph.schema.relay import decode_id
from mypd_graph.services.plans import edits as edits_service
from mypd_graph.services.plans import workflow as workflow_service

T = TypeVar("T")


@strawberry.input
class CreateLearningPlanInput:
    cycle: str = strawberry.field(description="The school year, e.g. 2026-27.")
    title: str = ""


@strawberry.input
class AddGoalInput:
    plan_id: strawberry.ID
    title: str
    element_codes: list[str] = strawberry.field(
        description="At least one element code of the active framework, e.g. 1.1."
    )
    description: str = ""
    baseline_level: str | None = strawberry.field(
        default=None, description="A rating level key, e.g. emerging."
    )
    target_level: str | None = strawberry.field(
        default=None, description="A rating level key above the baseline, e.g. applying."
    )
    due_on: date | None = None
    district_goal_id: strawberry.ID | None = None


@strawberry.input(
    description="Absent fields stay as they are; null clears the fields that may be empty."
)
class UpdateGoalInput:
    goal_id: strawberry.ID
    title: str | None = strawberry.UNSET
    description: str | None = strawberry.UNSET
    element_codes: list[str] | None = strawberry.UNSET
    baseline_level: str | None = strawberry.UNSET
    target_level: str | None = strawberry.UNSET
    due_on: date | None = strawberry.UNSET
    district_goal_id: strawberry.ID | None = strawberry.UNSET
    progress: int | None = strawberry.field(
        default=strawberry.UNSET, description="Percent done, 0 to 100."
    )


@strawberry.input
class AddActionStepInput:
    goal_id: strawberry.ID
    description: str
    resource_id: strawberry.ID | None = None
    due_on: date | None = None


@strawberry.input(description="Absent fields stay as they are; null clears resourceId and dueOn.")
class UpdateActionStepInput:
    action_step_id: strawberry.ID
    description: str | None = strawberry.UNSET
    status: ActionStepStatus | None = strawberry.UNSET
    reflection: str | None = strawberry.UNSET
    reflection_audience: Audience | None = strawberry.field(
        default=strawberry.UNSET,
        description="Who besides you reads the reflection; changeable whatever the plan's status.",
    )
    resource_id: strawberry.ID | None = strawberry.UNSET
    due_on: date | None = strawberry.UNSET


@strawberry.input(description="Moves a plan along its workflow; returnPlan requires a note.")
class PlanTransitionInput:
    plan_id: strawberry.ID
    note: str | None = None


@strawberry.type
class LearningPlanPayload:
    plan: LearningPlan | None
    user_errors: list[UserError]


@strawberry.type
class GoalPayload:
    goal: Goal | None
    user_errors: list[UserError]


@strawberry.type
class ActionStepPayload:
    action_step: ActionStep | None
    user_errors: list[UserError]


def _kept(value: Any) -> Any:
    """Absent means unchanged; an explicit null is passed on (it clears the value)."""
    return edits_service.UNCHANGED if value is strawberry.UNSET else value


def _kept_unless_given(value: Any) -> Any:
    """For fields that cannot be empty: absent or null both mean unchanged."""
    return edits_service.UNCHANGED if value is strawberry.UNSET or value is None else value


def _optional_id(value: strawberry.ID | None, type_name: str, field: str) -> int | None:
    return decode_id(value, type_name, ("input", field)) if value is not None else None


async def _mutate(
    info: Info, work: Callable[[AsyncSession], Awaitable[T]], convert: Callable[[T], Any]
) -> tuple[Any, list[UserError]]:
    row, errors = await run_mutation(info, work)
    return (convert(row) if row is not None else None), errors


# --- mutations ------------------------------------------------------------------------------------


@strawberry.type
class Mutation:
    @strawberry.mutation(description="The signed-in teacher starts their plan for a cycle.")
    async def create_learning_plan(
        self, info: Info, input: CreateLearningPlanInput
    ) -> LearningPlanPayload:
        actor = info.context.actor
        plan, errors = await _mutate(
            info,
            lambda session: edits_service.create_plan(session, actor, input.cycle, input.title),
            LearningPlan.from_row,
        )
        return LearningPlanPayload(plan=plan, user_errors=errors)

    @strawberry.mutation(description="The owner adds a goal to their draft plan.")
    async def add_goal(self, info: Info, input: AddGoalInput) -> GoalPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.Goal:
            return await edits_service.add_goal(
                session,
                actor,
                decode_id(input.plan_id, "LearningPlan", ("input", "planId")),
                title=input.title,
                description=input.description,
                element_codes=input.element_codes,
                baseline_level=input.baseline_level,
                target_level=input.target_level,
                due_on=input.due_on,
                district_goal_id=_optional_id(
                    input.district_goal_id, "DistrictGoal", "districtGoalId"
                ),
            )

        goal, errors = await _mutate(info, work, Goal.from_row)
        return GoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(
        description="The owner edits a goal: content while the plan is a draft, progress while "
        "it is a draft or approved."
    )
    async def update_goal(self, info: Info, input: UpdateGoalInput) -> GoalPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.Goal:
            district_goal = _kept(input.district_goal_id)
            if isinstance(district_goal, str):
                district_goal = decode_id(
                    district_goal, "DistrictGoal", ("input", "districtGoalId")
                )
            return await edits_service.update_goal(
                session,
                actor,
                decode_id(input.goal_id, "Goal", ("input", "goalId")),
                title=_kept_unless_given(input.title),
                description=_kept_unless_given(input.description),
                element_codes=_kept_unless_given(input.element_codes),
                baseline_level=_kept(input.baseline_level),
                target_level=_kept(input.target_level),
                due_on=_kept(input.due_on),
                district_goal_id=district_goal,
                progress=_kept_unless_given(input.progress),
            )

        goal, errors = await _mutate(info, work, Goal.from_row)
        return GoalPayload(goal=goal, user_errors=errors)

    @strawberry.mutation(description="The owner adds an action step to a goal of their draft plan.")
    async def add_action_step(self, info: Info, input: AddActionStepInput) -> ActionStepPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.ActionStep:
            return await edits_service.add_action_step(
                session,
                actor,
                decode_id(input.goal_id, "Goal", ("input", "goalId")),
                description=input.description,
                resource_id=_optional_id(input.resource_id, "Resource", "resourceId"),
                due_on=input.due_on,
            )

        step, errors = await _mutate(info, work, ActionStep.from_row)
        return ActionStepPayload(action_step=step, user_errors=errors)

    @strawberry.mutation(
        description="The owner edits a step: content while the plan is a draft, status and "
        "reflection while it is a draft or approved. DONE records completedAt."
    )
    async def update_action_step(
        self, info: Info, input: UpdateActionStepInput
    ) -> ActionStepPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.ActionStep:
            resource = _kept(input.resource_id)
            if isinstance(resource, str):
                resource = decode_id(resource, "Resource", ("input", "resourceId"))
            return await edits_service.update_action_step(
                session,
                actor,
                decode_id(input.action_step_id, "ActionStep", ("input", "actionStepId")),
                description=_kept_unless_given(input.description),
                resource_id=resource,
                due_on=_kept(input.due_on),
                status=_kept_unless_given(input.status),
                reflection=_kept_unless_given(input.reflection),
                reflection_audience=_kept_unless_given(input.reflection_audience),
            )

        step, errors = await _mutate(info, work, ActionStep.from_row)
        return ActionStepPayload(action_step=step, user_errors=errors)

    @strawberry.mutation(description="The owner submits their draft plan (with a goal) for review.")
    async def submit_plan(self, info: Info, input: PlanTransitionInput) -> LearningPlanPayload:
        return await _transition(info, input, workflow_service.PlanAction.SUBMIT)

    @strawberry.mutation(description="A supervisor serving the teacher approves a submitted plan.")
    async def approve_plan(self, info: Info, input: PlanTransitionInput) -> LearningPlanPayload:
        return await _transition(info, input, workflow_service.PlanAction.APPROVE)

    @strawberry.mutation(
        description="A supervisor serving the teacher returns a submitted plan to draft, "
        "with a note."
    )
    async def return_plan(self, info: Info, input: PlanTransitionInput) -> LearningPlanPayload:
        return await _transition(info, input, workflow_service.PlanAction.RETURN)

    @strawberry.mutation(description="The owner or a supervisor marks an approved plan completed.")
    async def complete_plan(self, info: Info, input: PlanTransitionInput) -> LearningPlanPayload:
        return await _transition(info, input, workflow_service.PlanAction.COMPLETE)


async def _transition(
    info: Info, input: PlanTransitionInput, action: workflow_service.PlanAction
) -> LearningPlanPayload:
    actor = info.context.actor

    async def work(session: AsyncSession) -> models.LearningPlan:
        plan_id = decode_id(input.plan_id, "LearningPlan", ("input", "planId"))
        return await workflow_service.transition_plan(session, actor, plan_id, action, input.note)

    plan, errors = await _mutate(info, work, LearningPlan.from_row)
    return LearningPlanPayload(plan=plan, user_errors=errors)
