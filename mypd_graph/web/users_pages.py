"""Users and caseloads (/app/users, district admins): the district's users by role and school,
each coach's caseload, and forms that add a teacher to a caseload or take one off it
(assignCoach, unassignCoach)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import mypd_graph.web.session as session
from mypd_graph.services.access import Actor
from mypd_graph.web.core import not_found, render, run, signed_in
from mypd_graph.web.forms import Failed, add_user_errors, kept, saved

ROLES = (
    ("", "Any"),
    ("TEACHER", "Teachers"),
    ("COACH", "Coaches"),
    ("PRINCIPAL", "Principals"),
    ("DISTRICT_ADMIN", "District admins"),
    ("IMPORTER", "Import services"),
)
SAVED = {
    "assign": "The teacher is on the caseload.",
    "unassign": "The teacher is off the caseload.",
}


async def _page(request: Request, actor: Actor, status_code: int = 200, **values: Any) -> Response:
    if actor.role.value != "district_admin":
        raise not_found()
    role = request.query_params.get("role", "")
    school = request.query_params.get("school", "")[:100]
    variables = {"role": role if role in dict(ROLES) and role else None, "schoolId": school or None}
    data = await run(request, actor, "users", "UsersPage", variables)
    return render(
        request,
        "users.html",
        status_code=status_code,
        title="Users and caseloads",
        viewer=data["viewer"],
        district=data["district"],
        roles=ROLES,
        role=variables["role"] or "",
        school=school,
        options=_options(data["district"]),
        **values,
    )


def _options(district: dict[str, Any]) -> dict[str, list[tuple[str, str]]]:
    """Per coach, the teachers not yet on their caseload, as (id, "name (school)") choices."""
    choices = {}
    for user in district["users"]:
        if user["role"] != "COACH":
            continue
        on = {teacher["name"] for teacher in user["caseload"]}
        choices[user["id"]] = [("", "Choose a teacher")] + [
            (t["id"], f"{t['name']} ({t['school']['name']})" if t["school"] else t["name"])
            for t in district["teachersToAssign"]
            if t["name"] not in on
        ]
    return choices


@signed_in
async def users(request: Request, actor: Actor) -> Response:
    """/app/users[?role=&school=]: GET lists; POST assigns or unassigns a coach's teacher."""
    if request.method == "GET":
        return await _page(request, actor, message=SAVED.get(request.query_params.get("saved", "")))
    form = await request.form()
    values = kept(form)
    key = values.get("form", "")
    failed = Failed(key if key.replace("-", "").isalnum() else "form", values=values)
    if not session.csrf_ok(request, form):
        failed.problems.append("The form had expired; please submit again.")
        return await _page(request, actor, status_code=403, failed=failed)
    action = values.get("action")
    if action not in SAVED:
        raise not_found()
    if not values.get("teacherId"):
        failed.add("teacherId", "Choose a teacher.")
    if not failed:
        variables = {
            "input": {"coachId": values.get("coachId", ""), "teacherId": values["teacherId"]}
        }
        operation, field = (
            ("AssignCoach", "assignCoach")
            if action == "assign"
            else (
                "UnassignCoach",
                "unassignCoach",
            )
        )
        data = await run(request, actor, "users", operation, variables)
        add_user_errors(failed, data[field]["userErrors"])
    if failed:
        return await _page(request, actor, status_code=400, failed=failed)
    return saved("/app/users", role=values.get("role"), school=values.get("school"), saved=action)
