"""Learning plans through GraphQL: the workflow and its history, who may see and do what, every
userError with its field path and code, and a constant number of SQL statements for nested reads."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, select, text

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from mypd_graph.services.access import Actor
from mypd_graph.services.errors import UserInputError
from mypd_graph.services.plans import edits as plan_service
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


# --- the workflow ---------------------------------------------------------------------------------


async def test_whole_workflow_is_recorded_in_history(api: Api, extras: Extras) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    goal_id = await api.new_goal(
        plan_id,
        title="Questioning",
        description="Use open questions",
        elementCodes=["2.3", "1.1"],
        baselineLevel="emerging",
        targetLevel="applying",
        dueOn="2027-05-01",
        districtGoalId=extras.district_goal,
    )
    step_id = await api.new_step(goal_id, resourceId=extras.resource, dueOn="2026-11-01")

    assert ok(await api.move("submitPlan", plan_id, TEACHER_A, "Ready"), "plan")["status"] == (
        "SUBMITTED"
    )
    approved = ok(await api.move("approvePlan", plan_id, COACH, "Looks good"), "plan")
    assert approved["status"] == "APPROVED"
    assert ok(await api.update_goal(goal_id, progress=60), "goal")["progress"] == 60
    step = ok(await api.update_step(step_id, status="DONE", reflection="It worked"), "actionStep")
    assert step["status"] == "DONE" and step["completedAt"] is not None
    assert ok(await api.move("completePlan", plan_id, TEACHER_A), "plan")["status"] == "COMPLETED"

    plan = await api.detail(plan_id)
    assert (plan["cycle"], plan["status"], plan["teacher"]["name"]) == (
        "2026-27",
        "COMPLETED",
        "Ana Alvarez",
    )
    history = [
        (e["action"], e["fromStatus"], e["toStatus"], e["actor"]["name"], e["note"])
        for e in plan["history"]
    ]
    assert history == [
        ("SUBMIT", "DRAFT", "SUBMITTED", "Ana Alvarez", "Ready"),
        ("APPROVE", "SUBMITTED", "APPROVED", "Cora Coach", "Looks good"),
        ("COMPLETE", "APPROVED", "COMPLETED", "Ana Alvarez", ""),
    ]
    times = [datetime.fromisoformat(e["at"]) for e in plan["history"]]
    assert times == sorted(times) and all(t.tzinfo is not None for t in times)
    assert datetime.fromisoformat(plan["updatedAt"]) == times[-1]
    assert datetime.fromisoformat(plan["createdAt"]) <= times[0]

    [goal] = plan["goals"]
    assert goal["id"] == goal_id and goal["plan"]["id"] == plan_id
    assert [e["code"] for e in goal["elements"]] == ["1.1", "2.3"]
    assert (goal["baselineLevel"]["key"], goal["targetLevel"]["key"]) == ("emerging", "applying")
    assert (goal["dueOn"], goal["progress"]) == ("2027-05-01", 60)
    assert goal["districtGoal"] == {"title": "Literacy for all"}
    [step] = goal["actionSteps"]
    assert (step["id"], step["status"], step["reflection"], step["dueOn"]) == (
        step_id,
        "DONE",
        "It worked",
        "2026-11-01",
    )
    assert step["goal"]["id"] == goal_id


async def test_returned_plan_is_editable_again_and_can_be_resubmitted(api: Api) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    goal_id = await api.new_goal(plan_id)
    ok(await api.move("submitPlan", plan_id, TEACHER_A), "plan")
    returned = ok(await api.move("returnPlan", plan_id, PRINCIPAL_NORTH, "Tie it to 1.6"), "plan")
    assert returned["status"] == "DRAFT"

    assert ok(await api.update_goal(goal_id, title="Revised"), "goal")["title"] == "Revised"
    ok(await api.move("submitPlan", plan_id, TEACHER_A), "plan")

    history = (await api.detail(plan_id))["history"]
    assert [(e["action"], e["toStatus"]) for e in history] == [
        ("SUBMIT", "SUBMITTED"),
        ("RETURN", "DRAFT"),
        ("SUBMIT", "SUBMITTED"),
    ]
    assert (history[1]["actor"]["name"], history[1]["note"]) == ("Pat North", "Tie it to 1.6")


async def test_submitting_needs_a_goal(api: Api, db: TestDatabase) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    problem = error(await api.move("submitPlan", plan_id, TEACHER_A), "plan")
    assert (problem["field"], problem["code"]) == (["input", "planId"], "NO_GOALS")
    assert (await api.node(plan_id, TEACHER_A))["status"] == "DRAFT"
    assert await count(db, models.PlanEvent) == 0


@pytest.mark.parametrize("note", [None, "", "   "])
async def test_returning_needs_a_note(api: Api, db: TestDatabase, note: str | None) -> None:
    plan_id = await api.submitted_plan(TEACHER_A)
    problem = error(await api.move("returnPlan", plan_id, COACH, note), "plan")
    assert (problem["field"], problem["code"]) == (["input", "note"], "REQUIRED")
    assert (await api.node(plan_id, TEACHER_A))["status"] == "SUBMITTED"
    assert await count(db, models.PlanEvent) == 1


async def test_wrong_transitions_name_the_current_status(api: Api, db: TestDatabase) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    await api.new_goal(plan_id)

    async def refused(mutation: str, as_: str, status: str) -> None:
        problem = error(await api.move(mutation, plan_id, as_, "a note"), "plan")
        assert (problem["field"], problem["code"]) == (["input", "planId"], "INVALID_TRANSITION")
        assert f"the plan is {status}" in problem["message"]

    await refused("approvePlan", COACH, "DRAFT")
    await refused("returnPlan", COACH, "DRAFT")
    await refused("completePlan", TEACHER_A, "DRAFT")
    ok(await api.move("submitPlan", plan_id, TEACHER_A), "plan")
    await refused("submitPlan", TEACHER_A, "SUBMITTED")
    await refused("completePlan", TEACHER_A, "SUBMITTED")
    ok(await api.move("approvePlan", plan_id, COACH), "plan")
    await refused("submitPlan", TEACHER_A, "APPROVED")
    await refused("approvePlan", COACH, "APPROVED")
    await refused("returnPlan", COACH, "APPROVED")
    ok(await api.move("completePlan", plan_id, COACH), "plan")
    for mutation in TRANSITIONS:
        await refused(mutation, COACH if mutation != "submitPlan" else TEACHER_A, "COMPLETED")

    assert await count(db, models.PlanEvent) == 3


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

    plan, goal, step = [await api.node(i, viewer) for i in (plan_id, goal_id, step_id)]
    teacher = await api.node(to_global_id("Teacher", world.id(TEACHER_A)), viewer)
    if sees:
        assert plan == {"id": plan_id, "status": "DRAFT"}
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
        await api.new_plan(teacher)
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


# --- who may do what ------------------------------------------------------------------------------


@pytest.mark.parametrize("mutation", ["approvePlan", "returnPlan"])
@pytest.mark.parametrize(
    ("decider", "owner", "outcome"),
    [
        (COACH, TEACHER_A, "DONE"),
        (COACH, TEACHER_B, "NOT_FOUND"),  # the coach serves A only
        (PRINCIPAL_NORTH, TEACHER_A, "DONE"),
        (PRINCIPAL_NORTH, TEACHER_B, "DONE"),
        (PRINCIPAL_SOUTH, TEACHER_A, "NOT_FOUND"),  # another school's teacher
        (PRINCIPAL_SOUTH, TEACHER_C, "DONE"),
        (ADMIN, TEACHER_C, "DONE"),
        (OUTSIDER, TEACHER_A, "NOT_FOUND"),  # another district's admin
        (TEACHER_A, TEACHER_A, "FORBIDDEN"),  # nobody approves their own plan
        (TEACHER_B, TEACHER_A, "NOT_FOUND"),
    ],
)
async def test_who_decides_on_a_submitted_plan(
    api: Api, mutation: str, decider: str, owner: str, outcome: str
) -> None:
    plan_id = await api.submitted_plan(owner)
    payload = await api.move(mutation, plan_id, decider, "Reviewed")
    if outcome == "DONE":
        expected = "APPROVED" if mutation == "approvePlan" else "DRAFT"
        assert ok(payload, "plan")["status"] == expected
        history = (await api.detail(plan_id, owner))["history"]
        assert len(history) == 2 and history[1]["note"] == "Reviewed"
        return
    problem = error(payload, "plan")
    assert problem["code"] == outcome
    assert problem["field"] == (["input", "planId"] if outcome == "NOT_FOUND" else ["input"])
    plan = await api.detail(plan_id, owner)
    assert plan["status"] == "SUBMITTED" and len(plan["history"]) == 1


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        (TEACHER_A, "DONE"),
        (COACH, "DONE"),
        (PRINCIPAL_NORTH, "DONE"),
        (ADMIN, "DONE"),
        (TEACHER_B, "NOT_FOUND"),
        (PRINCIPAL_SOUTH, "NOT_FOUND"),
        (OUTSIDER, "NOT_FOUND"),
    ],
)
async def test_who_completes_an_approved_plan(api: Api, actor: str, outcome: str) -> None:
    plan_id = await api.submitted_plan(TEACHER_A)
    ok(await api.move("approvePlan", plan_id, COACH), "plan")
    payload = await api.move("completePlan", plan_id, actor)
    if outcome == "DONE":
        assert ok(payload, "plan")["status"] == "COMPLETED"
        assert (await api.detail(plan_id))["history"][-1]["action"] == "COMPLETE"
    else:
        assert error(payload, "plan")["code"] == outcome
        assert (await api.node(plan_id, TEACHER_A))["status"] == "APPROVED"


@pytest.mark.parametrize("actor", [COACH, PRINCIPAL_NORTH, ADMIN])
async def test_only_the_owner_submits_and_edits(api: Api, db: TestDatabase, actor: str) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    goal_id = await api.new_goal(plan_id, title="Original")
    step_id = await api.new_step(goal_id, description="Original")

    attempts = [
        (await api.move("submitPlan", plan_id, actor), "plan"),
        (await api.add_goal(plan_id, actor), "goal"),
        (await api.update_goal(goal_id, actor, title="Hijacked", progress=99), "goal"),
        (await api.add_step(goal_id, actor), "actionStep"),
        (
            await api.update_step(step_id, actor, description="Hijacked", status="DONE"),
            "actionStep",
        ),
    ]
    for payload, key in attempts:
        problem = error(payload, key)
        assert (problem["field"], problem["code"]) == (["input"], "FORBIDDEN")

    plan = await api.detail(plan_id)
    assert plan["status"] == "DRAFT" and plan["history"] == []
    [goal] = plan["goals"]
    assert (goal["title"], goal["progress"]) == ("Original", 0)
    assert [(s["description"], s["status"]) for s in goal["actionSteps"]] == [
        ("Original", "NOT_STARTED")
    ]
    assert await count(db, models.Goal) == 1


@pytest.mark.parametrize("actor", [COACH, ADMIN, PRINCIPAL_NORTH])
async def test_only_teachers_create_plans(api: Api, db: TestDatabase, actor: str) -> None:
    problem = error(await api.create_plan(actor), "plan")
    assert (problem["field"], problem["code"]) == (["input"], "FORBIDDEN")
    assert await count(db, models.LearningPlan) == 0


@pytest.mark.parametrize("viewer", [TEACHER_B, PRINCIPAL_SOUTH, OUTSIDER])
async def test_an_invisible_plan_is_indistinguishable_from_a_missing_one(
    api: Api, db: TestDatabase, viewer: str
) -> None:
    """Every mutation answers the same for "not yours to see" as for "does not exist"."""
    plan_id = await api.new_plan(TEACHER_A)
    goal_id = await api.new_goal(plan_id)
    step_id = await api.new_step(goal_id)
    missing_plan = to_global_id("LearningPlan", 999_999)
    missing_goal = to_global_id("Goal", 999_999)
    missing_step = to_global_id("ActionStep", 999_999)

    async def answers(plan: str, goal: str, step: str) -> list[tuple[list[str], str, str]]:
        payloads = [(await api.move(m, plan, viewer, "note"), "plan") for m in TRANSITIONS]
        payloads += [
            (await api.add_goal(plan, viewer), "goal"),
            (await api.update_goal(goal, viewer, progress=5), "goal"),
            (await api.add_step(goal, viewer), "actionStep"),
            (await api.update_step(step, viewer, status="DONE"), "actionStep"),
        ]
        problems = [error(payload, key) for payload, key in payloads]
        return [(p["field"], p["message"], p["code"]) for p in problems]

    hidden = await answers(plan_id, goal_id, step_id)
    assert hidden == await answers(missing_plan, missing_goal, missing_step)
    assert {code for _, _, code in hidden} == {"NOT_FOUND"}
    assert [field[-1] for field, _, _ in hidden] == [
        *["planId"] * 5,
        "goalId",
        "goalId",
        "actionStepId",
    ]
    assert await count(db, models.PlanEvent) == 0


# --- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "cycle", ["2026-2027", "2026-28", "26-27", "2026/27", "2026-27x", "", "twenty"]
)
async def test_cycle_must_be_a_school_year(api: Api, db: TestDatabase, cycle: str) -> None:
    problem = error(await api.create_plan(TEACHER_A, cycle), "plan")
    assert (problem["field"], problem["code"]) == (["input", "cycle"], "BAD_CYCLE")
    assert await count(db, models.LearningPlan) == 0


@pytest.mark.parametrize(
    ("cycle", "stored"), [("2026-27", "2026-27"), ("2099-00", "2099-00"), (" 2030-31 ", "2030-31")]
)
async def test_valid_cycles_are_accepted(api: Api, cycle: str, stored: str) -> None:
    plan = ok(await api.create_plan(TEACHER_A, cycle, title="My plan"), "plan")
    assert (plan["cycle"], plan["title"], plan["status"]) == (stored, "My plan", "DRAFT")


async def test_one_plan_per_teacher_per_cycle(api: Api, db: TestDatabase) -> None:
    await api.new_plan(TEACHER_A, "2026-27")
    problem = error(await api.create_plan(TEACHER_A, "2026-27"), "plan")
    assert (problem["field"], problem["code"]) == (["input", "cycle"], "DUPLICATE")
    await api.new_plan(TEACHER_A, "2027-28")  # another cycle is fine
    await api.new_plan(TEACHER_B, "2026-27")  # and so is another teacher
    assert await count(db, models.LearningPlan) == 3


@pytest.mark.postgres_only
async def test_a_concurrent_duplicate_create_is_a_user_error(
    db: TestDatabase, world: World
) -> None:
    """Two requests race past the duplicate check; the unique index decides, and the loser gets
    DUPLICATE rather than a server error."""
    actor = Actor(
        world.id(TEACHER_A), world.district_id, world.school_ids["N"], models.Role.TEACHER
    )
    async with db.sessionmaker() as first, db.sessionmaker() as second:
        await first.begin()
        await plan_service.create_plan(first, actor, "2026-27")
        await second.begin()
        racing = asyncio.create_task(plan_service.create_plan(second, actor, "2026-27"))
        async with db.engine.connect() as watcher:
            blocked = "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            blocked += "AND wait_event_type = 'Lock'"
            for _ in range(200):  # until the second INSERT waits on the first one's index entry
                if await watcher.scalar(text(blocked)):
                    break
                await asyncio.sleep(0.02)
            else:
                racing.cancel()
                pytest.fail("the second create never blocked on the unique index")
        await first.commit()
        with pytest.raises(UserInputError) as caught:
            await racing
        await second.rollback()
    [problem] = caught.value.problems
    assert (problem.field, problem.code) == (("input", "cycle"), "DUPLICATE")
    assert await count(db, models.LearningPlan) == 1


async def test_plan_title_length_is_bounded(api: Api) -> None:
    problem = error(await api.create_plan(TEACHER_A, title="x" * 201), "plan")
    assert (problem["field"], problem["code"]) == (["input", "title"], "TOO_LONG")


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"title": "  "}, "title", "REQUIRED"),
        ({"title": "x" * 301}, "title", "TOO_LONG"),
        ({"elementCodes": []}, "elementCodes", "REQUIRED"),
        ({"elementCodes": ["1.1", "9.9"]}, "elementCodes", "UNKNOWN_ELEMENT"),
        ({"elementCodes": ["1"]}, "elementCodes", "UNKNOWN_ELEMENT"),  # a standard, not an element
        ({"baselineLevel": "expert"}, "baselineLevel", "UNKNOWN_LEVEL"),
        ({"targetLevel": "expert"}, "targetLevel", "UNKNOWN_LEVEL"),
        (
            {"baselineLevel": "applying", "targetLevel": "exploring"},
            "targetLevel",
            "TARGET_NOT_ABOVE_BASELINE",
        ),
        (
            {"baselineLevel": "applying", "targetLevel": "applying"},
            "targetLevel",
            "TARGET_NOT_ABOVE_BASELINE",
        ),
        ({"planId": "not-an-id"}, "planId", "BAD_ID"),
        ({"districtGoalId": "not-an-id"}, "districtGoalId", "BAD_ID"),
    ],
)
async def test_goal_input_is_checked(
    api: Api, db: TestDatabase, fields: dict[str, Any], field: str, code: str
) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    fields = dict(fields)  # the parameters are shared by both backends' runs
    problem = error(await api.add_goal(fields.pop("planId", plan_id), **fields), "goal")
    assert (problem["field"], problem["code"]) == (["input", field], code)
    assert await count(db, models.Goal) == 0


async def test_goal_problems_are_reported_together(api: Api) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    payload = await api.add_goal(
        plan_id, title="", elementCodes=["9.9"], baselineLevel="innovating", targetLevel="emerging"
    )
    assert payload["goal"] is None
    assert [(e["field"][-1], e["code"]) for e in payload["userErrors"]] == [
        ("title", "REQUIRED"),
        ("elementCodes", "UNKNOWN_ELEMENT"),
        ("targetLevel", "TARGET_NOT_ABOVE_BASELINE"),
    ]
    assert "9.9" in payload["userErrors"][1]["message"]


async def test_ids_of_the_wrong_type_or_district_are_refused(
    api: Api, world: World, extras: Extras
) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    goal_id = await api.new_goal(plan_id)
    step_id = await api.new_step(goal_id)
    teacher_id = to_global_id("Teacher", world.id(TEACHER_A))

    def check(payload: dict[str, Any], key: str, field: str, code: str) -> None:
        problem = error(payload, key)
        assert (problem["field"], problem["code"]) == (["input", field], code)

    check(await api.add_goal(goal_id), "goal", "planId", "BAD_ID")
    check(
        await api.add_goal(plan_id, districtGoalId=teacher_id), "goal", "districtGoalId", "BAD_ID"
    )
    for foreign in (extras.other_district_goal, extras.inactive_district_goal):
        check(
            await api.add_goal(plan_id, districtGoalId=foreign),
            "goal",
            "districtGoalId",
            "NOT_FOUND",
        )
    check(await api.update_goal(plan_id, progress=1), "goal", "goalId", "BAD_ID")
    check(await api.add_step(step_id), "actionStep", "goalId", "BAD_ID")
    check(await api.add_step(goal_id, resourceId="zzz"), "actionStep", "resourceId", "BAD_ID")
    check(
        await api.add_step(goal_id, resourceId=to_global_id("Resource", 999_999)),
        "actionStep",
        "resourceId",
        "NOT_FOUND",
    )
    check(await api.update_step(goal_id, status="DONE"), "actionStep", "actionStepId", "BAD_ID")
    check(await api.move("submitPlan", "", TEACHER_A), "plan", "planId", "BAD_ID")
    assert await api.node("garbage", TEACHER_A) is None


async def test_update_goal_changes_only_what_is_given(api: Api, extras: Extras) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    goal_id = await api.new_goal(
        plan_id,
        description="Keep me",
        elementCodes=["1.1"],
        baselineLevel="exploring",
        targetLevel="integrating",
        dueOn="2027-01-15",
        districtGoalId=extras.district_goal,
    )
    goal = ok(
        await api.update_goal(goal_id, title="New title", elementCodes=["3.1", "1.6"]), "goal"
    )
    assert goal["title"] == "New title" and goal["description"] == "Keep me"
    assert [e["code"] for e in goal["elements"]] == ["1.6", "3.1"]
    assert (goal["baselineLevel"]["key"], goal["targetLevel"]["key"]) == (
        "exploring",
        "integrating",
    )
    assert goal["dueOn"] == "2027-01-15" and goal["districtGoal"]["id"] == extras.district_goal

    goal = ok(await api.update_goal(goal_id, dueOn=None, districtGoalId=None), "goal")
    assert (goal["dueOn"], goal["districtGoal"]) == (None, None)
    assert goal["title"] == "New title"
    goal = ok(await api.update_goal(goal_id, targetLevel="innovating"), "goal")
    assert (
        goal["targetLevel"]["key"] == "innovating" and goal["baselineLevel"]["key"] == "exploring"
    )
    goal = ok(await api.update_goal(goal_id, baselineLevel=None), "goal")
    assert goal["baselineLevel"] is None and goal["targetLevel"]["key"] == "innovating"

    before = (await api.detail(plan_id))["updatedAt"]
    unchanged = ok(await api.update_goal(goal_id), "goal")  # nothing asked, nothing changes
    assert unchanged["title"] == "New title"
    assert (await api.detail(plan_id))["updatedAt"] == before


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"progress": 101}, "progress", "OUT_OF_RANGE"),
        ({"progress": -1}, "progress", "OUT_OF_RANGE"),
        ({"targetLevel": "exploring"}, "targetLevel", "TARGET_NOT_ABOVE_BASELINE"),  # = baseline
        ({"baselineLevel": "innovating"}, "targetLevel", "TARGET_NOT_ABOVE_BASELINE"),
        ({"elementCodes": []}, "elementCodes", "REQUIRED"),
        ({"elementCodes": ["7.1"]}, "elementCodes", "UNKNOWN_ELEMENT"),
        ({"title": ""}, "title", "REQUIRED"),
        ({"districtGoalId": "bad"}, "districtGoalId", "BAD_ID"),
    ],
)
async def test_update_goal_input_is_checked(
    api: Api, fields: dict[str, Any], field: str, code: str
) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    goal_id = await api.new_goal(plan_id, baselineLevel="exploring", targetLevel="applying")
    problem = error(await api.update_goal(goal_id, **fields), "goal")
    assert (problem["field"], problem["code"]) == (["input", field], code)
    plan = await api.detail(plan_id)
    [goal] = plan["goals"]
    assert (goal["progress"], goal["title"], goal["targetLevel"]["key"]) == (
        0,
        "Ask better questions",
        "applying",
    )
    assert [e["code"] for e in goal["elements"]] == ["1.5"]


@pytest.mark.parametrize("progress", [0, 100])
async def test_progress_bounds_are_inclusive(api: Api, progress: int) -> None:
    goal_id = await api.new_goal(await api.new_plan(TEACHER_A))
    assert ok(await api.update_goal(goal_id, progress=progress), "goal")["progress"] == progress


async def test_action_step_input_is_checked(api: Api, db: TestDatabase) -> None:
    goal_id = await api.new_goal(await api.new_plan(TEACHER_A))
    problem = error(await api.add_step(goal_id, description=" "), "actionStep")
    assert (problem["field"], problem["code"]) == (["input", "description"], "REQUIRED")
    step_id = await api.new_step(goal_id)
    problem = error(await api.update_step(step_id, description=""), "actionStep")
    assert (problem["field"], problem["code"]) == (["input", "description"], "REQUIRED")
    assert await count(db, models.ActionStep) == 1


async def test_done_records_when_and_undoing_forgets_it(api: Api) -> None:
    goal_id = await api.new_goal(await api.new_plan(TEACHER_A))
    step_id = await api.new_step(goal_id)
    started = ok(await api.update_step(step_id, status="IN_PROGRESS"), "actionStep")
    assert (started["status"], started["completedAt"]) == ("IN_PROGRESS", None)
    done = ok(await api.update_step(step_id, status="DONE"), "actionStep")
    assert done["completedAt"] is not None
    again = ok(await api.update_step(step_id, status="DONE", reflection="Still done"), "actionStep")
    assert datetime.fromisoformat(again["completedAt"]) == datetime.fromisoformat(
        done["completedAt"]
    )
    undone = ok(await api.update_step(step_id, status="IN_PROGRESS"), "actionStep")
    assert undone["completedAt"] is None and undone["reflection"] == "Still done"


async def test_structure_is_frozen_after_submission_but_tracking_continues(api: Api) -> None:
    plan_id = await api.new_plan(TEACHER_A)
    goal_id = await api.new_goal(plan_id)
    step_id = await api.new_step(goal_id)
    ok(await api.move("submitPlan", plan_id, TEACHER_A), "plan")

    def locked(payload: dict[str, Any], key: str, field: str) -> None:
        problem = error(payload, key)
        assert (problem["field"], problem["code"]) == (["input", field], "PLAN_LOCKED")

    # Submitted: under review, nothing changes.
    locked(await api.add_goal(plan_id), "goal", "planId")
    locked(await api.update_goal(goal_id, progress=10), "goal", "progress")
    locked(await api.update_step(step_id, status="IN_PROGRESS"), "actionStep", "status")

    # Approved: progress, step status and reflections move; the plan's content does not.
    ok(await api.move("approvePlan", plan_id, PRINCIPAL_NORTH), "plan")
    assert ok(await api.update_goal(goal_id, progress=40), "goal")["progress"] == 40
    step = ok(
        await api.update_step(step_id, status="IN_PROGRESS", reflection="Going"), "actionStep"
    )
    assert (step["status"], step["reflection"]) == ("IN_PROGRESS", "Going")
    locked(await api.add_goal(plan_id), "goal", "planId")
    locked(await api.update_goal(goal_id, title="New", progress=50), "goal", "title")
    locked(await api.update_goal(goal_id, elementCodes=["1.1"]), "goal", "elementCodes")
    locked(await api.add_step(goal_id), "actionStep", "goalId")
    locked(await api.update_step(step_id, dueOn="2027-01-01"), "actionStep", "dueOn")

    # Completed: the record is final.
    ok(await api.move("completePlan", plan_id, TEACHER_A), "plan")
    locked(await api.update_goal(goal_id, progress=100), "goal", "progress")
    locked(await api.update_step(step_id, reflection="Late"), "actionStep", "reflection")

    [goal] = (await api.detail(plan_id))["goals"]
    assert goal["progress"] == 40 and goal["title"] == "Ask better questions"
    assert [s["reflection"] for s in goal["actionSteps"]] == ["Going"]


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
        with db.count_statements() as counter:
            data = await client.execute(DISTRICT_PLANS, as_=ADMIN)
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
