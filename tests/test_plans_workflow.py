"""Learning plans through GraphQL: the workflow from draft to completed, and its history."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pytest

from mypd_graph import models
from tests.factories import COACH, PRINCIPAL_NORTH, TEACHER_A
from tests.plans_helpers import TRANSITIONS, Api, Extras, count, error, ok
from tests.plans_helpers import api as api
from tests.plans_helpers import extras as extras

if TYPE_CHECKING:  # imported for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import TestDatabase


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

    for mutation in (
        "approvePlan",
        "returnPlan",
    ):  # a draft never submitted: not in the coach's view
        problem = error(await api.move(mutation, plan_id, COACH, "a note"), "plan")
        assert (problem["field"], problem["code"]) == (["input", "planId"], "NOT_FOUND")
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
