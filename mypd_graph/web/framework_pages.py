"""The framework switch (/app/framework, district admins): pick a framework, preview what the
switch would carry over (focus elements, open goals' elements, latest ratings: mapped through
the crosswalk or not, in total and per teacher), then switch. Both are activateFramework, the
first with preview, which changes nothing."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import mypd_graph.web.session as session
from mypd_graph.services.access import Actor
from mypd_graph.web.core import not_found, render, run, signed_in
from mypd_graph.web.forms import Failed, add_user_errors, kept


async def _page(request: Request, actor: Actor, status_code: int = 200, **values: Any) -> Response:
    data = await run(request, actor, "framework", "FrameworkPage")
    return render(
        request,
        "framework.html",
        status_code=status_code,
        title="Framework",
        viewer=data["viewer"],
        active=data["district"]["activeFramework"],
        frameworks=data["frameworks"],
        **values,
    )


@signed_in
async def framework(request: Request, actor: Actor) -> Response:
    """/app/framework: GET shows the choice; POST previews (preview=1) or switches."""
    if actor.role.value != "district_admin":
        raise not_found()
    if request.method == "GET":
        return await _page(request, actor)
    form = await request.form()
    values = kept(form)
    failed = Failed("switch", values=values)
    if not session.csrf_ok(request, form):
        failed.problems.append("The form had expired; please submit again.")
        return await _page(request, actor, status_code=403, failed=failed)
    preview = values.get("action") != "switch"
    variables = {"input": {"key": values.get("key", ""), "preview": preview}}
    data = await run(request, actor, "framework", "SwitchFramework", variables)
    answer = data["activateFramework"]
    if add_user_errors(failed, answer["userErrors"]):
        return await _page(request, actor, status_code=400, failed=failed)
    # A preview shows what would happen; a switch shows what did (the page reads the new state).
    return await _page(request, actor, swap=answer["swap"], chosen=values.get("key", ""))
