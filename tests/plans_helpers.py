"""Helpers of the learning-plan tests (test_plans_*.py): GraphQL documents, the Api client, fixtures."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from tests.factories import TEACHER_A, World

if TYPE_CHECKING:  # imported for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

ERRORS = "userErrors { field message code }"
PLAN = "plan { id cycle title status }"
GOAL = (
    "goal { id title description dueOn progress elements { code } baselineLevel { key } "
    "targetLevel { key } districtGoal { id title } }"
)
STEP = "actionStep { id description status dueOn reflection completedAt }"

CREATE_PLAN = (
    "mutation($input: CreateLearningPlanInput!) { createLearningPlan(input: $input) { "
    f"{PLAN} {ERRORS} }} }}"
)
ADD_GOAL = f"mutation($input: AddGoalInput!) {{ addGoal(input: $input) {{ {GOAL} {ERRORS} }} }}"
UPDATE_GOAL = (
    f"mutation($input: UpdateGoalInput!) {{ updateGoal(input: $input) {{ {GOAL} {ERRORS} }} }}"
)
ADD_STEP = (
    "mutation($input: AddActionStepInput!) { addActionStep(input: $input) { "
    f"{STEP} {ERRORS} }} }}"
)
UPDATE_STEP = (
    "mutation($input: UpdateActionStepInput!) { updateActionStep(input: $input) { "
    f"{STEP} {ERRORS} }} }}"
)
TRANSITIONS = ("submitPlan", "approvePlan", "returnPlan", "completePlan")

NODE = """query($id: ID!) { node(id: $id) { id
  ... on LearningPlan { status }
  ... on Goal { title }
  ... on ActionStep { description }
  ... on DistrictGoal { title }
  ... on Teacher { plans { id } }
} }"""

PLAN_DETAIL = """query($id: ID!) { node(id: $id) { ... on LearningPlan {
  id cycle title status createdAt updatedAt
  teacher { name }
  history { action fromStatus toStatus note at actor { name } }
  goals {
    id title description dueOn progress
    elements { code } baselineLevel { key } targetLevel { key } districtGoal { title }
    plan { id }
    actionSteps { id description status dueOn reflection completedAt goal { id } }
  }
} } }"""


@dataclass
class Extras:
    """Rows the plan API refers to but does not create: district goals and a PD resource."""

    district_goal: str
    inactive_district_goal: str
    other_district_goal: str
    resource: str


@pytest.fixture
async def extras(db: TestDatabase, world: World) -> Extras:
    async with db.sessionmaker.begin() as session:
        active = models.DistrictGoal(district_id=world.district_id, title="Literacy for all")
        retired = models.DistrictGoal(
            district_id=world.district_id, title="Old initiative", active=False
        )
        foreign = models.DistrictGoal(district_id=world.other_district_id, title="Elsewhere")
        resource = models.Resource(
            provider="test",
            external_id="r1",
            framework_id=world.framework_id,
            title="Questioning strategies",
            format="video",
        )
        session.add_all([active, retired, foreign, resource])
        await session.flush()
        return Extras(
            to_global_id("DistrictGoal", active.id),
            to_global_id("DistrictGoal", retired.id),
            to_global_id("DistrictGoal", foreign.id),
            to_global_id("Resource", resource.id),
        )


class Api:
    """The plan mutations as a client app would call them, with the payload of each."""

    def __init__(self, client: GraphQLClient) -> None:
        self.client = client

    async def _run(self, query: str, name: str, as_: str, **input: Any) -> dict[str, Any]:
        data = await self.client.execute(query, {"input": input}, as_=as_)
        return data[name]

    async def create_plan(self, as_: str, cycle: str = "2026-27", **more: Any) -> dict[str, Any]:
        return await self._run(CREATE_PLAN, "createLearningPlan", as_, cycle=cycle, **more)

    async def add_goal(self, plan_id: str, as_: str = TEACHER_A, **more: Any) -> dict[str, Any]:
        fields = {"title": "Ask better questions", "elementCodes": ["1.5"], **more}
        return await self._run(ADD_GOAL, "addGoal", as_, planId=plan_id, **fields)

    async def update_goal(self, goal_id: str, as_: str = TEACHER_A, **more: Any) -> dict[str, Any]:
        return await self._run(UPDATE_GOAL, "updateGoal", as_, goalId=goal_id, **more)

    async def add_step(self, goal_id: str, as_: str = TEACHER_A, **more: Any) -> dict[str, Any]:
        fields = {"description": "Watch the video", **more}
        return await self._run(ADD_STEP, "addActionStep", as_, goalId=goal_id, **fields)

    async def update_step(self, step_id: str, as_: str = TEACHER_A, **more: Any) -> dict[str, Any]:
        return await self._run(UPDATE_STEP, "updateActionStep", as_, actionStepId=step_id, **more)

    async def move(
        self, mutation: str, plan_id: str, as_: str, note: str | None = None
    ) -> dict[str, Any]:
        query = (
            f"mutation($input: PlanTransitionInput!) {{ {mutation}(input: $input) {{ "
            f"{PLAN} {ERRORS} }} }}"
        )
        return await self._run(query, mutation, as_, planId=plan_id, note=note)

    # Shortcuts for set-up: they fail the test when the step they set up does not work.

    async def new_plan(self, as_: str = TEACHER_A, cycle: str = "2026-27") -> str:
        return ok(await self.create_plan(as_, cycle), "plan")["id"]

    async def new_goal(self, plan_id: str, as_: str = TEACHER_A, **more: Any) -> str:
        return ok(await self.add_goal(plan_id, as_, **more), "goal")["id"]

    async def new_step(self, goal_id: str, as_: str = TEACHER_A, **more: Any) -> str:
        return ok(await self.add_step(goal_id, as_, **more), "actionStep")["id"]

    async def submitted_plan(self, owner: str = TEACHER_A) -> str:
        plan_id = await self.new_plan(owner)
        await self.new_goal(plan_id, owner)
        ok(await self.move("submitPlan", plan_id, owner), "plan")
        return plan_id

    async def node(self, global_id: str, as_: str) -> dict[str, Any] | None:
        return (await self.client.execute(NODE, {"id": global_id}, as_=as_))["node"]

    async def detail(self, plan_id: str, as_: str = TEACHER_A) -> dict[str, Any]:
        plan = (await self.client.execute(PLAN_DETAIL, {"id": plan_id}, as_=as_))["node"]
        assert plan is not None
        return plan


@pytest.fixture
def api(client: GraphQLClient) -> Api:
    return Api(client)


def ok(payload: dict[str, Any], key: str) -> dict[str, Any]:
    assert payload["userErrors"] == [], payload["userErrors"]
    assert payload[key] is not None
    return payload[key]


def error(payload: dict[str, Any], key: str) -> dict[str, Any]:
    """The one userError of a failed mutation, whose result must be null."""
    assert payload[key] is None, payload
    assert len(payload["userErrors"]) == 1, payload["userErrors"]
    return payload["userErrors"][0]


async def count(db: TestDatabase, model: type[models.Base]) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
