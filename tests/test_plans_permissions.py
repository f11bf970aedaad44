"""Learning plans through GraphQL: who may create, edit, submit, approve, return, complete."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mypd_graph import models
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
)
from tests.plans_helpers import TRANSITIONS, Api, count, error, ok
from tests.plans_helpers import api as api

if TYPE_CHECKING:  # imported for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import TestDatabase


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
        # A plan never submitted is the teacher's alone: to those who serve them it does not
        # exist (docs/privacy.md), so they are told NOT_FOUND rather than FORBIDDEN.
        assert error(payload, key)["code"] == "NOT_FOUND"

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
