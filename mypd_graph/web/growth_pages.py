"""Growth over time: /app/growth (the signed-in teacher's) and /app/teachers/{id}/growth (a
teacher the viewer serves, as far as the teacher shares their growth profile). A chart per
element of self and observed levels, training hours per year, the students' results by term
with small groups suppressed; every chart with a table of the same figures."""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

import mypd_graph.web.charts as charts
from mypd_graph.services.access import Actor
from mypd_graph.web.core import not_found, render, run, signed_in


def _charts(growth: dict[str, Any], levels: list[dict[str, Any]]) -> dict[str, Any]:
    """The chart images (data: URLs) by element code, and the hours chart."""
    drawn = {
        item["element"]["code"]: charts.levels_over_time(item, levels)
        for item in growth["elements"]
    }
    hours = charts.hours_by_year(growth["trainingHours"]) if growth["trainingHours"] else None
    return {"elements": drawn, "hours": hours}


async def _page(
    request: Request, teacher: dict[str, Any] | None, data: dict[str, Any], own: bool
) -> Response:
    if teacher is None:
        raise not_found()
    scale = data["district"]["activeFramework"]["levels"]
    # pygal is CPU work: off the event loop, as the other requests go on.
    drawn = await asyncio.to_thread(_charts, teacher["growth"], scale)
    return render(
        request,
        "growth.html",
        title="My growth" if own else f"{teacher['name']}: growth",
        viewer=data["viewer"],
        t=teacher,
        own=own,
        g=teacher["growth"],
        charts=drawn,
        minimum=data["district"]["personalizationSettings"]["minimumGroupSize"],
    )


@signed_in
async def my_growth(request: Request, actor: Actor) -> Response:
    """/app/growth: the signed-in teacher's growth."""
    data = await run(request, actor, "growth", "MyGrowth")
    return await _page(request, data["viewer"]["teacher"], data, own=True)


@signed_in
async def teacher_growth(request: Request, actor: Actor) -> Response:
    """/app/teachers/{id}/growth: a teacher's growth, as far as they share it with the viewer."""
    data = await run(request, actor, "growth", "TeacherGrowth", {"id": request.path_params["id"]})
    return await _page(request, data["teacher"], data, own=False)
