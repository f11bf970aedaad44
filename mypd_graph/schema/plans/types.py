"""Learning plans, goals, action steps and their history: types, loaders and the root read.

Resolvers only translate rows to types; every rule (who may see a plan, a goal, a step) lives in
:mod:`mypd_graph.services.plans.reads`, which scopes each loader to the viewer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.models import growth
from mypd_graph.schema.context import Info
from mypd_graph.schema.enums import Audience, PlanStatus
from mypd_graph.schema.frameworks import Element, RatingLevel, level_by_id
from mypd_graph.schema.lookahead import selects
from mypd_graph.schema.people.types import Teacher, User, teacher_by_id, user_by_id
from mypd_graph.schema.relay import Node, node_loader, to_global_id
from mypd_graph.services.access import Actor
from mypd_graph.services.plans import reads as reads_service
from mypd_graph.services.plans import workflow as workflow_service

if TYPE_CHECKING:
    from mypd_graph.schema.feedback.types import Comment, Evidence
    from mypd_graph.schema.resources import Resource

_FEEDBACK = strawberry.lazy("mypd_graph.schema.feedback.types")
LazyComment = Annotated["Comment", _FEEDBACK]
LazyEvidence = Annotated["Evidence", _FEEDBACK]
LazyResource = Annotated["Resource", strawberry.lazy("mypd_graph.schema.resources")]

ActionStepStatus = strawberry.enum(models.ActionStepStatus, name="ActionStepStatus")
PlanAction = strawberry.enum(workflow_service.PlanAction, name="PlanAction")


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
    reflection: str = strawberry.field(
        description="Empty to a viewer the teacher does not share it with (reflectionAudience)."
    )
    reflection_audience: Audience = strawberry.field(
        description="Who besides the teacher reads the reflection."
    )
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
            reflection_audience=growth.Audience(row.reflection_audience),
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
    # Read with the plan (plans_of_teacher) when the query asks for them: no awaitable then.
    known_elements: strawberry.Private[list[Element] | None] = None

    @strawberry.field(description="The elements the goal grows, by code.")
    def elements(self, info: Info) -> list[Element]:
        if self.known_elements is not None:
            return self.known_elements
        return self._load_elements(info)  # type: ignore[return-value]  # awaited by graphql-core

    async def _load_elements(self, info: Info) -> list[Element]:
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
        from mypd_graph.schema.feedback.types import comments_on_goal

        return await comments_on_goal(info, self.db_id)

    @strawberry.field
    async def evidence(self, info: Info) -> list[LazyEvidence]:
        from mypd_graph.schema.feedback.types import evidence_for_goal

        return await evidence_for_goal(info, self.db_id)

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
    # Read with the plan (plans_of_teacher) when the query asks for them: no awaitable then.
    known_goals: strawberry.Private[list[Goal] | None] = None

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher:
        teacher = await teacher_by_id(info, self.teacher_id)
        assert teacher is not None  # a visible plan's teacher is visible
        return teacher

    @strawberry.field
    def goals(self, info: Info) -> list[Goal]:
        if self.known_goals is not None:
            return self.known_goals
        return self._load_goals(info)  # type: ignore[return-value]  # awaited by graphql-core

    async def _load_goals(self, info: Info) -> list[Goal]:
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


def plans_of_teacher(
    info: Info, teacher_id: int, cycle: str | None
) -> Awaitable[list[LearningPlan]]:
    """A teacher's plans, newest cycle first (``Teacher.plans``): the loader's future itself (no
    coroutine). When the query asks for their goals (and the goals' elements), those are read in
    the same batch (reads.PlanTree) and the fields below answer from memory."""
    if not selects(info, "goals"):
        batch: Any = _plans
    elif selects(info, "goals", "elements"):
        batch = _plans_with_goal_elements
    else:
        batch = _plans_with_goals
    return info.context.loader(batch).load((teacher_id, cycle))


async def _plans(
    session: AsyncSession, actor: Actor, keys: Sequence[tuple[int, str | None]]
) -> list[list[LearningPlan]]:
    found = await reads_service.plans_by_teacher(session, actor, keys)
    return [[LearningPlan.from_row(row) for row in rows] for rows in found]


async def _plans_with_goals(
    session: AsyncSession, actor: Actor, keys: Sequence[tuple[int, str | None]]
) -> list[list[LearningPlan]]:
    return _from_trees(await reads_service.plans_with_goals_by_teacher(session, actor, keys))


async def _plans_with_goal_elements(
    session: AsyncSession, actor: Actor, keys: Sequence[tuple[int, str | None]]
) -> list[list[LearningPlan]]:
    trees = await reads_service.plans_with_goal_elements_by_teacher(session, actor, keys)
    return _from_trees(trees)


def _from_trees(found: list[list[reads_service.PlanTree]]) -> list[list[LearningPlan]]:
    """The batch's plans with their goals (and elements: one Element per element row)."""
    elements: dict[int, Element] = {}

    def element(row: Any) -> Element:
        known = elements.get(row.id)
        if known is None:
            known = elements[row.id] = Element.from_row(row)
        return known

    result = []
    for trees in found:
        plans = []
        for tree in trees:
            goals = []
            for branch in tree.goals:
                goal = Goal.from_row(branch.goal)
                if branch.elements is not None:
                    goal.known_elements = [element(row) for row in branch.elements]
                goals.append(goal)
            plan = LearningPlan.from_row(tree.plan)
            plan.known_goals = goals
            plans.append(plan)
        result.append(plans)
    return result


@strawberry.type
class Query:
    @strawberry.field(description="The district's active initiatives that goals can align to.")
    async def district_goals(self, info: Info) -> list[DistrictGoal]:
        rows = await info.context.read(reads_service.active_district_goals)
        return [DistrictGoal.from_row(row) for row in rows]
