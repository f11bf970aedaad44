"""The teacher's learning plan at /app/plan: start a plan, add and edit goals and action steps,
mark steps done, record progress and submit the plan, each form one of the plan mutations
(operations/plan.graphql). The API decides what the plan's status allows; its userErrors show
beside the fields they name."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import mypd_graph.web.session as session
from mypd_graph.services.access import Actor, school_year_of
from mypd_graph.web.core import not_found, render, run, signed_in
from mypd_graph.web.forms import (
    Failed,
    add_user_errors,
    kept,
    optional_date,
    optional_int,
    saved,
)

STATUS = {
    "DRAFT": "Draft",
    "SUBMITTED": "Submitted, waiting for a decision",
    "APPROVED": "Approved",
    "COMPLETED": "Completed",
}
STEP_STATUS = (("NOT_STARTED", "Not started"), ("IN_PROGRESS", "In progress"), ("DONE", "Done"))
REFLECTION_AUDIENCE = (
    ("PRIVATE", "Only me"),
    ("COACH", "Me and my coaches"),
    ("SUPERVISORS", "Me, my coaches, my principal and district admins"),
)
SAVED = {
    "create-plan": "Your plan is started. Add a goal next.",
    "add-goal": "The goal is added.",
    "edit-goal": "The goal is saved.",
    "goal-progress": "The progress is saved.",
    "add-step": "The action step is added.",
    "edit-step": "The action step is saved.",
    "submit": "Your plan is submitted. Your principal or coach will approve it or return it with a note.",
}
FORM_KEY = re.compile(r"^[a-z0-9-]{1,40}$")
Build = Callable[[Failed], tuple[str, str, dict[str, Any]]]


def _text(failed: Failed, name: str) -> str:
    return str(failed.values.get(name, ""))


def _create_plan(f: Failed) -> tuple[str, str, dict[str, Any]]:
    return (
        "CreatePlan",
        "createLearningPlan",
        {"cycle": _text(f, "cycle"), "title": _text(f, "title")},
    )


def _goal_fields(f: Failed) -> dict[str, Any]:
    return {
        "title": _text(f, "title"),
        "description": _text(f, "description"),
        "elementCodes": f.values.get("elementCodes", []),
        "baselineLevel": _text(f, "baselineLevel") or None,
        "targetLevel": _text(f, "targetLevel") or None,
        "dueOn": optional_date(f, "dueOn"),
    }


def _add_goal(f: Failed) -> tuple[str, str, dict[str, Any]]:
    return "AddGoal", "addGoal", {"planId": _text(f, "planId"), **_goal_fields(f)}


def _edit_goal(f: Failed) -> tuple[str, str, dict[str, Any]]:
    fields = {k: v for k, v in _goal_fields(f).items() if v is not None}
    fields["progress"] = optional_int(f, "progress", 0, 100)
    return "UpdateGoal", "updateGoal", {"goalId": _text(f, "goalId"), **fields}


def _goal_progress(f: Failed) -> tuple[str, str, dict[str, Any]]:
    progress = optional_int(f, "progress", 0, 100)
    if progress is None and "progress" not in f.errors:
        f.add("progress", "Enter a whole number from 0 to 100.")
    return "UpdateGoal", "updateGoal", {"goalId": _text(f, "goalId"), "progress": progress}


def _add_step(f: Failed) -> tuple[str, str, dict[str, Any]]:
    variables = {
        "goalId": _text(f, "goalId"),
        "description": _text(f, "description"),
        "dueOn": optional_date(f, "dueOn"),
    }
    return "AddActionStep", "addActionStep", variables


def _edit_step(f: Failed) -> tuple[str, str, dict[str, Any]]:
    variables: dict[str, Any] = {
        "actionStepId": _text(f, "actionStepId"),
        "status": _text(f, "status") or None,
        "reflection": _text(f, "reflection"),
        "reflectionAudience": _text(f, "reflectionAudience") or None,
    }
    if "description" in f.values:  # a draft's step: its words too
        variables["description"] = _text(f, "description")
        variables["dueOn"] = optional_date(f, "dueOn")
    return "UpdateActionStep", "updateActionStep", variables


def _submit(f: Failed) -> tuple[str, str, dict[str, Any]]:
    return (
        "SubmitPlan",
        "submitPlan",
        {"planId": _text(f, "planId"), "note": _text(f, "note") or None},
    )


ACTIONS: dict[str, Build] = {
    "create-plan": _create_plan,
    "add-goal": _add_goal,
    "edit-goal": _edit_goal,
    "goal-progress": _goal_progress,
    "add-step": _add_step,
    "edit-step": _edit_step,
    "submit": _submit,
}


async def _show(
    request: Request, actor: Actor, cycle: str | None, status_code: int = 200, **values: Any
) -> Response:
    data = await run(request, actor, "plan", "PlanPage", {"cycle": cycle or None})
    teacher = data["viewer"]["teacher"]
    if teacher is None:
        raise not_found()
    plan = teacher["plans"][0] if teacher["plans"] else None
    return render(
        request,
        "plan.html",
        status_code=status_code,
        title="My learning plan",
        viewer=data["viewer"],
        plan=plan,
        all_plans=teacher["allPlans"],
        framework=data["district"]["activeFramework"],
        level_options=[("", "None chosen")]
        + [
            (level["key"], level["label"])
            for level in data["district"]["activeFramework"]["levels"]
        ],
        status_names=STATUS,
        step_status=STEP_STATUS,
        reflection_audience=REFLECTION_AUDIENCE,
        next_cycle=_next_cycle(teacher["allPlans"]),
        **values,
    )


def _next_cycle(plans: list[dict[str, Any]]) -> str:
    """The school year a new plan most likely is for: this one, or the one after the newest."""
    current = school_year_of(date.today())
    taken = {p["cycle"] for p in plans}
    if current not in taken:
        return current
    start = int(max(taken)[:4]) + 1
    return f"{start}-{(start + 1) % 100:02d}"


@signed_in
async def plan_page(request: Request, actor: Actor) -> Response:
    """/app/plan[?cycle=]: the teacher's plan for a cycle (the newest by default)."""
    cycle = request.query_params.get("cycle", "")[:20] or None
    if request.method == "GET":
        message = SAVED.get(request.query_params.get("saved", ""))
        return await _show(request, actor, cycle, message=message)
    form = await request.form()
    values = kept(form, lists=("elementCodes",))
    key = values.get("form", "")
    failed = Failed(key if FORM_KEY.match(key) else "form", values=values)
    cycle = values.get("cycle") or cycle
    if not session.csrf_ok(request, form):
        failed.problems.append("The form had expired; please submit again.")
        return await _show(request, actor, cycle, status_code=403, failed=failed)
    build = ACTIONS.get(values.get("action", ""))
    if build is None:
        raise not_found()
    operation, field, variables = build(failed)
    if not failed:
        given = {name: v for name, v in variables.items() if v is not None}  # None: unchanged
        data = await run(request, actor, "plan", operation, {"input": given})
        add_user_errors(failed, data[field]["userErrors"])
    if failed:
        return await _show(request, actor, cycle, status_code=400, failed=failed)
    return saved("/app/plan", cycle=cycle, saved=values["action"])
