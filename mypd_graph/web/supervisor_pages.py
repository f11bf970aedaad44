"""The pages of the people who serve teachers (coaches, principals, district admins): their
teachers with filters (/app/teachers), a teacher's page as far as it is shared with them, where
they approve or return a submitted plan and comment (/app/teachers/{id}), and the observation
form (/app/teachers/{id}/observe). The API decides who may do what; its userErrors show beside
the fields they name."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import mypd_graph.web.session as session
from mypd_graph.services.access import Actor
from mypd_graph.web.core import not_found, render, run, signed_in
from mypd_graph.web.forms import Failed, add_user_errors, kept, saved

PLAN_STATUS = (
    ("", "Any"),
    ("DRAFT", "Draft"),
    ("SUBMITTED", "Submitted, waiting for a decision"),
    ("APPROVED", "Approved"),
    ("COMPLETED", "Completed"),
)
OBSERVATION_KINDS = (
    ("FORMAL", "Formal"),
    ("INFORMAL", "Informal"),
    ("WALKTHROUGH", "Walkthrough"),
    ("COACHING", "Coaching"),
)
FORM_KEY = re.compile(r"^[a-z0-9-]{1,40}$")
SAVED = {
    "approve": "The plan is approved.",
    "return": "The plan is returned to the teacher with your note.",
    "comment": "Your comment is added.",
    "observation": "The observation is recorded.",
}
COMMENT_TARGETS = ("goalId", "observationId", "evidenceId")


def _serves_teachers(actor: Actor) -> None:
    if actor.role.value not in ("coach", "principal", "district_admin"):
        raise not_found()


@signed_in
async def my_teachers(request: Request, actor: Actor) -> Response:
    """/app/teachers: the teachers the viewer serves, filtered, 25 a page."""
    _serves_teachers(actor)
    query = request.query_params
    filters = {
        name: query.get(name, "").strip()[:100]
        for name in ("school", "element", "status", "cycle", "name")
    }
    where = {
        "schoolId": filters["school"] or None,
        "focusElementCode": filters["element"] or None,
        "planStatus": filters["status"] if filters["status"] in dict(PLAN_STATUS) else None,
        "planCycle": filters["cycle"] or None,
        "nameContains": filters["name"] or None,
    }
    where = {k: v for k, v in where.items() if v}
    variables = {"where": where, "after": query.get("after") or None}
    data = await run(request, actor, "teachers", "MyTeachers", variables)
    return render(
        request,
        "teachers.html",
        title="Teachers",
        viewer=data["viewer"],
        district=data["district"],
        filters=filters,
        plan_status=PLAN_STATUS,
    )


async def _teacher(
    request: Request, actor: Actor, status_code: int = 200, **values: Any
) -> Response:
    data = await run(
        request, actor, "teacher_home", "TeacherPage", {"id": request.path_params["id"]}
    )
    if data["teacher"] is None:
        raise not_found()
    teacher = data["teacher"]
    return render(
        request,
        "teacher_home.html",
        status_code=status_code,
        title=teacher["name"],
        viewer=data["viewer"],
        t=teacher,
        **values,
    )


def _teacher_action(failed: Failed) -> tuple[str, str, dict[str, Any]]:
    values = failed.values
    action = values.get("action", "")
    if action in ("approve", "return"):
        note = values.get("note") or None
        if action == "return" and note is None:
            failed.add("note", "Say what to change: the teacher reads this note.")
        operation = "ApprovePlan" if action == "approve" else "ReturnPlan"
        field = "approvePlan" if action == "approve" else "returnPlan"
        return operation, field, {"planId": values.get("planId", ""), "note": note}
    if action == "comment":
        target = {name: values[name] for name in COMMENT_TARGETS if values.get(name)}
        if not values.get("body"):
            failed.add("body", "Write a comment first.")
        return "AddComment", "addComment", {"body": values.get("body", ""), **target}
    raise not_found()


@signed_in
async def teacher_page(request: Request, actor: Actor) -> Response:
    """/app/teachers/{id}: a teacher's overview, as far as the viewer may see it; POST approves
    or returns the submitted plan, or comments on a goal, an observation or evidence."""
    if request.method == "GET":
        return await _teacher(
            request, actor, message=SAVED.get(request.query_params.get("saved", ""))
        )
    form = await request.form()
    values = kept(form)
    key = values.get("form", "")
    failed = Failed(key if FORM_KEY.match(key) else "form", values=values)
    if not session.csrf_ok(request, form):
        failed.problems.append("The form had expired; please submit again.")
        return await _teacher(request, actor, status_code=403, failed=failed)
    operation, field, variables = _teacher_action(failed)
    if not failed:
        given = {name: v for name, v in variables.items() if v is not None}
        data = await run(request, actor, "teacher_home", operation, {"input": given})
        add_user_errors(failed, data[field]["userErrors"])
    if failed:
        return await _teacher(request, actor, status_code=400, failed=failed)
    return saved(f"/app/teachers/{request.path_params['id']}", saved=values["action"])


async def _observation_form(
    request: Request, actor: Actor, status_code: int = 200, **values: Any
) -> Response:
    _serves_teachers(actor)
    data = await run(
        request, actor, "observe", "ObservationForm", {"id": request.path_params["id"]}
    )
    if data["teacher"] is None:
        raise not_found()
    return render(
        request,
        "observe.html",
        status_code=status_code,
        title=f"Observe {data['teacher']['name']}",
        viewer=data["viewer"],
        t=data["teacher"],
        framework=data["district"]["activeFramework"],
        kinds=OBSERVATION_KINDS,
        today=date.today().isoformat(),
        **values,
    )


@signed_in
async def observe(request: Request, actor: Actor) -> Response:
    """/app/teachers/{id}/observe: record an observation with ratings (recordObservation)."""
    if request.method == "GET":
        return await _observation_form(request, actor)
    form = await request.form()
    values = kept(form)
    failed = Failed("observation", values=values)
    if not session.csrf_ok(request, form):
        failed.problems.append("The form had expired; please submit again.")
        return await _observation_form(request, actor, status_code=403, failed=failed)
    ratings = [
        {"elementCode": name.removeprefix("level:"), "level": level}
        for name, level in values.items()
        if name.startswith("level:") and level
    ]
    observed_on = values.get("observedOn", "")
    try:
        observed_on = date.fromisoformat(observed_on).isoformat()
    except ValueError:
        failed.add("observedOn", "Enter a date like 2026-05-29.")
    if not failed:
        variables = {
            "teacherId": request.path_params["id"],
            "kind": values.get("kind")
            if values.get("kind") in dict(OBSERVATION_KINDS)
            else "FORMAL",
            "observedOn": observed_on,
            "notes": values.get("notes", ""),
            "ratings": ratings,
        }
        data = await run(request, actor, "observe", "RecordObservation", {"input": variables})
        errors = data["recordObservation"]["userErrors"]
        for error in errors:  # input.ratings.<i>.level: beside that element's scale
            path = error["field"]
            if path[:2] == ["input", "ratings"] and len(path) > 2 and path[2].isdigit():
                failed.add("level:" + ratings[int(path[2])]["elementCode"], error["message"])
            else:
                add_user_errors(failed, [error])
    if failed:
        return await _observation_form(request, actor, status_code=400, failed=failed)
    return saved(f"/app/teachers/{request.path_params['id']}", saved="observation")
