"""The teacher's own lists and settings: their students' results (/app/students) and who sees
what of their record (/app/sharing)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import mypd_graph.web.session as session
from mypd_graph.services.access import Actor
from mypd_graph.web.core import not_found, render, run, signed_in
from mypd_graph.web.forms import Failed, add_user_errors, kept, saved

AUDIENCE_NAMES = {
    "PRIVATE": "Only me",
    "COACH": "Me and my coaches",
    "SUPERVISORS": "Me, my coaches, my principal and district admins",
}


@signed_in
async def my_students(request: Request, actor: Actor) -> Response:
    """/app/students[?name=&year=&after=]: the teacher's students, 25 at a time, with results."""
    name = request.query_params.get("name", "").strip()[:100]
    year = request.query_params.get("year", "").strip()[:20]
    where = {"nameContains": name or None, "schoolYear": year or None}
    variables = {"where": where, "after": request.query_params.get("after") or None}
    data = await run(request, actor, "students", "MyStudents", variables)
    teacher = data["viewer"]["teacher"]
    if teacher is None:
        raise not_found()
    return render(
        request,
        "students.html",
        title="My students",
        viewer=data["viewer"],
        students=teacher["students"],
        name=name,
        year=year,
    )


async def _sharing(
    request: Request, actor: Actor, status_code: int = 200, **values: Any
) -> Response:
    data = await run(request, actor, "sharing", "SharingPage")
    teacher = data["viewer"]["teacher"]
    if teacher is None:
        raise not_found()
    return render(
        request,
        "sharing.html",
        status_code=status_code,
        title="Sharing",
        viewer=data["viewer"],
        t=teacher,
        profile=data["myGrowthProfileAudience"],
        audiences=AUDIENCE_NAMES,
        **values,
    )


@signed_in
async def sharing(request: Request, actor: Actor) -> Response:
    """/app/sharing: the growth profile's audience and each piece of evidence's (POST saves)."""
    if request.method == "GET":
        return await _sharing(request, actor, message=request.query_params.get("saved") == "1")
    form = await request.form()
    values = kept(form)
    key = "profile" if values.get("action") == "profile" else "evidence"
    failed = Failed(key, values=values)
    if not session.csrf_ok(request, form):
        failed.problems.append("The form had expired; please submit again.")
        return await _sharing(request, actor, status_code=403, failed=failed)
    audience = values.get("audience") or None
    if audience is not None and audience not in AUDIENCE_NAMES:
        failed.add("audience", "Choose one of the listed audiences.")
        return await _sharing(request, actor, status_code=400, failed=failed)
    if key == "profile":
        data = await run(
            request, actor, "sharing", "SetGrowthProfileAudience", {"input": {"audience": audience}}
        )
        errors = data["setGrowthProfileAudience"]["userErrors"]
    else:
        if audience is None:
            raise not_found()
        variables = {"input": {"evidenceId": values.get("evidenceId", ""), "audience": audience}}
        data = await run(request, actor, "sharing", "SetEvidenceAudience", variables)
        errors = data["updateEvidence"]["userErrors"]
    if add_user_errors(failed, errors):
        return await _sharing(request, actor, status_code=400, failed=failed)
    return saved("/app/sharing", saved=1)
