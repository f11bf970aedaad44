"""Learning plans through GraphQL: input checks, each userError with its field path and code."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import text

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from mypd_graph.services.access import Actor
from mypd_graph.services.errors import UserInputError
from mypd_graph.services.plans import edits as plan_service
from tests.factories import PRINCIPAL_NORTH, TEACHER_A, TEACHER_B, World
from tests.plans_helpers import Api, Extras, count, error, ok
from tests.plans_helpers import api as api
from tests.plans_helpers import extras as extras

if TYPE_CHECKING:  # imported for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import TestDatabase


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
