"""Learning plans, goals and action steps: types, the plan workflow, and their mutations.

Resolvers only translate: global IDs to database ids, absent fields to ``UNCHANGED``, rows to types.
Every rule (who may see, edit, submit or approve; what a valid goal is) lives in services/plans/.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.enums import PlanStatus
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.frameworks import Element, RatingLevel, level_by_id
from mypd_graph.schema.people import Teacher, User, teacher_by_id, user_by_id
from mypd_graph.schema.relay import Node, decode_id, node_loader, to_global_id
from mypd_graph.services.plans import edits as edits_service
from mypd_graph.services.plans import reads as reads_service
from mypd_graph.services.plans import workflow as workflow_service

if TYPE_CHECKING:
    from mypd_graph.schema.feedback import Comment, Evidence
    from mypd_graph.schema.resources import Resource

_FEEDBACK = strawberry.lazy("mypd_graph.schema.feedback")
LazyComment = Annotated["Comment", _FEEDBACK]
LazyEvidence = Annotated["Evidence", _FEEDBACK]
LazyResource = Annotated["Resource", strawberry.lazy("mypd_graph.schema.resources")]

ActionStepStatus = strawberry.enum(models.ActionStepStatus, name="ActionStepStatus")
PlanAction = strawberry.enum(workflow_service.PlanAction, name="PlanAction")

T = TypeVar("T")


# --- types ----------------------------------------------------------------------------------------


@strawberry.type(description="A district initiative that teachers' goals can align to.")
class DistrictGoal(Node):
    title: str
    description: str

    @classmethod
    def from_row(cls, row: models.DistrictGoal) -> DistrictGoal:
        return cls(
            id=to_global_id("DistrictGoal", row.id), title=row.title, description=row.description
        )


@strawberry.type(description="One move along a plan's workflow: who, when, from what to what, why.")
class PlanEvent:
    action: PlanAction
    from_status: PlanStatus
    to_status: PlanStatus
    note: str
    at: datetime
    actor_id: strawberry.Private[int]

    @strawberry.field(description="Who made the move.")
    async def actor(self, info: Info) -> User | None:
        return await user_by_id(info, self.actor_id)

    @classmethod
    def from_row(cls, row: models.PlanEvent) -> PlanEvent:
        return cls(
            action=PlanAction(row.action),
            from_status=PlanStatus(row.from_status),
            to_status=PlanStatus(row.to_status),
            note=row.note,
            at=row.at,
            actor_id=row.actor_id,
        )


@strawberry.type(description="A concrete step toward a goal, optionally using a PD resource.")
class ActionStep(Node):
    description: str
    status: ActionStepStatus
    due_on: date | None
    reflection: str
    completed_at: datetime | None = strawberry.field(description="When it was marked DONE.")
    db_id: strawberry.Private[int]
    goal_id: strawberry.Private[int]
    resource_id: strawberry.Private[int | None]

    @strawberry.field
    async def resource(self, info: Info) -> LazyResource | None:
        from mypd_graph.schema import resources

        return await resources.resource_by_id(info, self.resource_id)

    @strawberry.field
    async def goal(self, info: Info) -> Goal:
        goal = await goal_by_id(info, self.goal_id)
        assert goal is not None  # a visible step's goal is visible
        return goal

    @classmethod
    def from_row(cls, row: models.ActionStep) -> ActionStep:
        return cls(
            id=to_global_id("ActionStep", row.id),
            description=row.description,
            status=ActionStepStatus(row.status),
            due_on=row.due_on,
            reflection=row.reflection,
            completed_at=row.completed_at,
            db_id=row.id,
            goal_id=row.goal_id,
            resource_id=row.resource_id,
        )


@strawberry.type(description="A goal of a learning plan, tied to elements of the active framework.")
class Goal(Node):
    title: str
    description: str
    due_on: date | None
    progress: int = strawberry.field(description="Percent done, 0 to 100.")
    db_id: strawberry.Private[int]
    plan_id: strawberry.Private[int]
    baseline_level_id: strawberry.Private[int | None]
    target_level_id: strawberry.Private[int | None]
    district_goal_id: strawberry.Private[int | None]

    @strawberry.field(description="The elements the goal grows, by code.")
    async def elements(self, info: Info) -> list[Element]:
        rows = await info.context.loader(reads_service.elements_by_goal).load(self.db_id)
        return [Element.from_row(row) for row in rows]

    @strawberry.field
    async def baseline_level(self, info: Info) -> RatingLevel | None:
        return await level_by_id(info, self.baseline_level_id)

    @strawberry.field
    async def target_level(self, info: Info) -> RatingLevel | None:
        return await level_by_id(info, self.target_level_id)

    @strawberry.field
    async def district_goal(self, info: Info) -> DistrictGoal | None:
        return await district_goal_by_id(info, self.district_goal_id)

    @strawberry.field
    async def action_steps(self, info: Info) -> list[ActionStep]:
        rows = await info.context.loader(reads_service.action_steps_by_goal).load(self.db_id)
        return [ActionStep.from_row(row) for row in rows]

    @strawberry.field
    async def comments(self, info: Info) -> list[LazyComment]:
        from mypd_graph.schema import feedback

        return await feedback.comments_on_goal(info, self.db_id)

    @strawberry.field
    async def evidence(self, info: Info) -> list[LazyEvidence]:
        from mypd_graph.schema import feedback

        return await feedback.evidence_for_goal(info, self.db_id)

    @strawberry.field
    async def plan(self, info: Info) -> LearningPlan:
        plan = await plan_by_id(info, self.plan_id)
        assert plan is not None  # a visible goal's plan is visible
        return plan

    @classmethod
    def from_row(cls, row: models.Goal) -> Goal:
        return cls(
            id=to_global_id("Goal", row.id),
            title=row.title,
            description=row.description,
            due_on=row.due_on,
            progress=row.progress,
            db_id=row.id,
            plan_id=row.plan_id,
            baseline_level_id=row.baseline_level_id,
            target_level_id=row.target_level_id,
            district_goal_id=row.district_goal_id,
        )


@strawberry.type(description="A teacher's learning plan for one cycle (school year).")
class LearningPlan(Node):
    cycle: str = strawberry.field(description="The school year, e.g. 2026-27.")
    title: str
    status: PlanStatus
    created_at: datetime
    updated_at: datetime
    db_id: strawberry.Private[int]
    teacher_id: strawberry.Private[int]

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher:
        teacher = await teacher_by_id(info, self.teacher_id)
        assert teacher is not None  # a visible plan's teacher is visible
        return teacher

    @strawberry.field
    async def goals(self, info: Info) -> list[Goal]:
        rows = await info.context.loader(reads_service.goals_by_plan).load(self.db_id)
        return [Goal.from_row(row) for row in rows]

    @strawberry.field(description="Every workflow move, oldest first.")
    async def history(self, info: Info) -> list[PlanEvent]:
        rows = await info.context.loader(reads_service.events_by_plan).load(self.db_id)
        return [PlanEvent.from_row(row) for row in rows]

    @classmethod
    def from_row(cls, row: models.LearningPlan) -> LearningPlan:
        return cls(
            id=to_global_id("LearningPlan", row.id),
            cycle=row.cycle,
            title=row.title,
            status=PlanStatus(row.status),
            created_at=row.created_at,
            updated_at=row.updated_at,
            db_id=row.id,
            teacher_id=row.teacher_id,
        )


# --- loaders (each scoped to the viewer by the service) -------------------------------------------


@node_loader("LearningPlan")
async def plan_by_id(info: Info, plan_id: int) -> LearningPlan | None:
    row = await info.context.loader(reads_service.plans_by_ids).load(plan_id)
    return LearningPlan.from_row(row) if row else None


@node_loader("Goal")
async def goal_by_id(info: Info, goal_id: int) -> Goal | None:
    row = await info.context.loader(reads_service.goals_by_ids).load(goal_id)
    return Goal.from_row(row) if row else None


@node_loader("ActionStep")
async def action_step_by_id(info: Info, step_id: int) -> ActionStep | None:
    row = await info.context.loader(reads_service.action_steps_by_ids).load(step_id)
    return ActionStep.from_row(row) if row else None


@node_loader("DistrictGoal")
async def district_goal_by_id(info: Info, district_goal_id: int | None) -> DistrictGoal | None:
    if district_goal_id is None:
        return None
    row = await info.context.loader(reads_service.district_goals_by_ids).load(district_goal_id)
    return DistrictGoal.from_row(row) if row else None


async def plans_of_teacher(info: Info, teacher_id: int, cycle: str | None) -> list[LearningPlan]:
    """A teacher's plans, newest cycle first (``Teacher.plans``)."""
    rows = await info.context.loader(reads_service.plans_by_teacher).load((teacher_id, cycle))
    return [LearningPlan.from_row(row) for row in rows]


@strawberry.type
class Query:
    @strawberry.field(description="The district's active initiatives that goals can align to.")
    async def district_goals(self, info: Info) -> list[DistrictGoal]:
        rows = await info.context.read(reads_service.active_district_goals)
        return [DistrictGoal.from_row(row) for row in rows]


# --- inputs and payloads --------------------------------------------------------------------------


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
