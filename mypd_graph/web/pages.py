"""The pages: each is a named operation from ``operations/`` plus a template, and a few lines
between them. Objects outside the viewer's reach come back null from the API: here that is
"not found", the same answer a record that does not exist gets."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

import mypd_graph.web.session as session
from mypd_graph.services.access import Actor, school_year_of
from mypd_graph.web.core import not_found, render, run, signed_in

AUDIENCES = (
    ("", "My district's default"),
    ("PRIVATE", "Only me"),
    ("COACH", "Me and my coaches"),
    ("SUPERVISORS", "Me, my coaches, my principal and district admins"),
)


async def not_found_page(request: Request, error: Exception) -> Response:
    """A page that does not exist, or a record the viewer may not see: the same words for both."""
    status = getattr(error, "status_code", 404)
    message = "There is no such page, or it is not yours to see."
    return render(request, "error.html", status_code=status, title="Not found", message=message)


async def _coming_soon(request: Request, actor: Actor) -> Response:
    data = await run(request, actor, "viewer", "Viewer")
    return render(request, "coming_soon.html", title="Welcome", **data)


@signed_in
async def home(request: Request, actor: Actor) -> Response:
    """/app/: a teacher's home; other roles, for now, what is coming for them."""
    if actor.role.value != "teacher":
        return await _coming_soon(request, actor)
    data = await run(request, actor, "teacher_home", "TeacherHome")
    teacher = data["viewer"]["teacher"]
    if teacher is None:  # a teacher without a teacher profile: nothing of theirs to show yet
        return await _coming_soon(request, actor)
    return render(request, "teacher_home.html", title="Home", viewer=data["viewer"], t=teacher)


def _form_values(data: dict[str, Any], cycle: str) -> dict[str, Any]:
    """Start from the teacher's ratings for ``cycle``, if they rated it before."""
    earlier = [a for a in data["viewer"]["teacher"]["selfAssessments"] if a["cycle"] == cycle]
    if not earlier:
        return {"cycle": cycle, "audience": "", "levels": {}}
    return {
        "cycle": cycle,
        "audience": earlier[0]["audience"],
        "levels": {r["element"]["code"]: r["level"]["key"] for r in earlier[0]["ratings"]},
    }


async def _form(request: Request, actor: Actor, **values: Any) -> Response:
    data = await run(request, actor, "self_assessment", "SelfAssessmentForm")
    if data["viewer"]["teacher"] is None:
        raise not_found()
    cycle = request.query_params.get("cycle", "")[:20] or school_year_of(date.today())
    form = values.pop("form", None) or _form_values(data, cycle)
    return render(
        request,
        "self_assessment.html",
        title="Self-assessment",
        viewer=data["viewer"],
        framework=data["district"]["activeFramework"],
        focus={e["code"] for e in data["viewer"]["teacher"]["focusElements"]},
        audiences=AUDIENCES,
        form=form,
        **values,
    )


@signed_in
async def self_assessment(request: Request, actor: Actor) -> Response:
    """/app/self-assessment: rate yourself on the framework's scale (GET shows, POST submits)."""
    if request.method == "GET":
        return await _form(request, actor, saved=request.query_params.get("saved") == "1")
    form = await request.form()
    if not session.csrf_ok(request, form):
        return await _form(
            request, actor, problems=["The form had expired; please submit again."], status_code=403
        )
    levels = {
        key.removeprefix("level:"): str(value)
        for key, value in form.multi_items()
        if key.startswith("level:") and str(value)
    }
    kept = {
        "cycle": str(form.get("cycle", "")),
        "audience": str(form.get("audience", "")),
        "levels": levels,
    }
    if not levels:
        return await _form(
            request, actor, form=kept, problems=["Rate at least one element."], status_code=400
        )
    ratings = [{"elementCode": code, "level": level} for code, level in levels.items()]
    variables = {
        "input": {"cycle": kept["cycle"], "ratings": ratings, "audience": kept["audience"] or None}
    }
    data = await run(request, actor, "self_assessment", "SubmitSelfAssessment", variables)
    errors = data["submitSelfAssessment"]["userErrors"]
    if not errors:
        query = urlencode({"saved": 1, "cycle": kept["cycle"].strip()})
        return RedirectResponse(f"/app/self-assessment?{query}", status_code=303)
    by_field: dict[str, list[str]] = {}
    problems = []
    for error in errors:
        path = error["field"]
        if path[:2] == ["input", "ratings"] and len(path) > 2 and path[2].isdigit():
            code = ratings[int(path[2])]["elementCode"]
            by_field.setdefault(f"level:{code}", []).append(error["message"])
        elif path[:2] == ["input", "cycle"] or path[:2] == ["input", "audience"]:
            by_field.setdefault(path[1], []).append(error["message"])
        else:
            problems.append(error["message"])
    return await _form(
        request, actor, form=kept, errors=by_field, problems=problems, status_code=400
    )
