"""Learning plans through GraphQL: who sees which plans, and nested reads in constant SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mypd_graph.schema.relay import to_global_id
from tests.factories import (
    ADMIN,
    COACH,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    World,
)
from tests.plans_helpers import Api, Extras, ok
from tests.plans_helpers import api as api
from tests.plans_helpers import extras as extras

if TYPE_CHECKING:  # imported for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase


# --- who may see ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [
        (TEACHER_A, True),
        (COACH, True),
        (PRINCIPAL_NORTH, True),
        (ADMIN, True),
        (TEACHER_B, False),
        (TEACHER_C, False),
        (PRINCIPAL_SOUTH, False),
        (OUTSIDER, False),
    ],
)
async def test_who_sees_a_plan_its_goals_and_steps(
    api: Api, world: World, viewer: str, sees: bool
) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    goal_id = await api.new_goal(plan_id, title="Secret goal")
    step_id = await api.new_step(goal_id, description="Secret step")
    # A draft is the teacher's alone (docs/privacy.md): approvers see it once it is submitted.
    draft = [await api.node(i, viewer) for i in (plan_id, goal_id, step_id)]
    assert (draft[0] is not None) == (viewer == TEACHER_A)
    assert draft.count(None) == (0 if viewer == TEACHER_A else 3)
    ok(await api.move("submitPlan", plan_id, TEACHER_A), "plan")

    plan, goal, step = [await api.node(i, viewer) for i in (plan_id, goal_id, step_id)]
    teacher = await api.node(to_global_id("Teacher", world.id(TEACHER_A)), viewer)
    if sees:
        assert plan == {"id": plan_id, "status": "SUBMITTED"}
        assert goal == {"id": goal_id, "title": "Secret goal"}
        assert step == {"id": step_id, "description": "Secret step"}
        assert teacher == {
            "id": to_global_id("Teacher", world.id(TEACHER_A)),
            "plans": [{"id": plan_id}],
        }
    else:
        assert (plan, goal, step, teacher) == (None, None, None, None)


async def test_teacher_plans_newest_cycle_first_and_by_cycle(
    api: Api, client: GraphQLClient
) -> None:
    for cycle in ("2025-26", "2027-28", "2026-27"):
        await api.new_plan(TEACHER_A, cycle)
    await api.new_plan(TEACHER_B, "2026-27")
    query = """{ viewer { teacher {
        all: plans { cycle teacher { name } }
        one: plans(cycle: "2026-27") { cycle }
        none: plans(cycle: "2030-31") { cycle }
    } } }"""
    teacher = (await client.execute(query, as_=TEACHER_A))["viewer"]["teacher"]
    assert [p["cycle"] for p in teacher["all"]] == ["2027-28", "2026-27", "2025-26"]
    assert {p["teacher"]["name"] for p in teacher["all"]} == {"Ana Alvarez"}
    assert teacher["one"] == [{"cycle": "2026-27"}]
    assert teacher["none"] == []


async def test_supervisors_read_the_plans_of_the_teachers_they_serve(
    api: Api, client: GraphQLClient
) -> None:
    for teacher in (TEACHER_A, TEACHER_B, TEACHER_C):
        await api.submitted_plan(teacher)
    query = "{ district { teachers { nodes { name plans { cycle } } } } }"
    expected = {
        COACH: {"Ana Alvarez"},
        PRINCIPAL_NORTH: {"Ana Alvarez", "Ben Brooks"},
        PRINCIPAL_SOUTH: {"Cam Chen"},
        ADMIN: {"Ana Alvarez", "Ben Brooks", "Cam Chen"},
    }
    for viewer, names in expected.items():
        nodes = (await client.execute(query, as_=viewer))["district"]["teachers"]["nodes"]
        assert {n["name"] for n in nodes if n["plans"] == [{"cycle": "2026-27"}]} == names


async def test_district_goals_belong_to_their_district(
    api: Api, client: GraphQLClient, extras: Extras
) -> None:
    query = "{ districtGoals { id title } }"
    ours = (await client.execute(query, as_=TEACHER_A))["districtGoals"]
    assert ours == [{"id": extras.district_goal, "title": "Literacy for all"}]
    theirs = (await client.execute(query, as_=OUTSIDER))["districtGoals"]
    assert theirs == [{"id": extras.other_district_goal, "title": "Elsewhere"}]
    assert await api.node(extras.district_goal, OUTSIDER) is None
    assert await api.node(extras.other_district_goal, TEACHER_A) is None
    assert (await api.node(extras.inactive_district_goal, TEACHER_A))["title"] == "Old initiative"


# --- reading efficiently --------------------------------------------------------------------------

DISTRICT_PLANS = """{ district { teachers { nodes { name plans {
  id status teacher { name }
  history { action at actor { name } }
  goals {
    title elements { code } baselineLevel { key } targetLevel { key } districtGoal { title }
    actionSteps { description status }
  }
} } } } }"""


async def test_nested_plan_reads_run_a_constant_number_of_statements(
    api: Api, client: GraphQLClient, db: TestDatabase, extras: Extras
) -> None:
    async def grow(owner: str, cycle: str, goals: int, steps: int) -> None:
        plan_id = await api.new_plan(owner, cycle)
        for n in range(goals):
            goal_id = await api.new_goal(
                plan_id,
                owner,
                title=f"Goal {n}",
                elementCodes=["1.1", "2.2"],
                baselineLevel="emerging",
                targetLevel="applying",
                districtGoalId=extras.district_goal,
            )
            for m in range(steps):
                await api.new_step(goal_id, owner, description=f"Step {m}")
        ok(await api.move("submitPlan", plan_id, owner), "plan")

    async def statements() -> tuple[int, int]:
        data, counter = await db.fewest_statements(
            lambda: client.execute(DISTRICT_PLANS, as_=ADMIN)
        )
        plans = [p for t in data["district"]["teachers"]["nodes"] for p in t["plans"]]
        return counter.count, sum(len(p["goals"]) for p in plans)

    await grow(TEACHER_A, "2026-27", goals=1, steps=1)
    small, small_goals = await statements()
    await grow(TEACHER_A, "2027-28", goals=3, steps=2)
    await grow(TEACHER_B, "2026-27", goals=2, steps=3)
    await grow(TEACHER_C, "2026-27", goals=2, steps=1)
    large, large_goals = await statements()

    assert (small_goals, large_goals) == (1, 8)
    assert large == small, f"{small} statements for 1 goal, {large} for 8"


async def test_cross_domain_goal_fields_are_wired(api: Api, client: GraphQLClient) -> None:
    """Comments, evidence and resources belong to other modules; here they only have to resolve."""
    goal_id = await api.new_goal(await api.new_plan(TEACHER_A))
    await api.new_step(goal_id)
    query = """query($id: ID!) { node(id: $id) { ... on Goal {
        comments { id } evidence { id } actionSteps { resource { id } }
    } } }"""
    goal = (await client.execute(query, {"id": goal_id}, as_=TEACHER_A))["node"]
    assert set(goal) == {"comments", "evidence", "actionSteps"}
    assert isinstance(goal["comments"], list) and isinstance(goal["evidence"], list)
