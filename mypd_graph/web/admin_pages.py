"""District admins' pages: district views (/app/district: coverage heat map by school and
element, rating distributions, top needs, PD impact) and the audit trail search (/app/audit).
The API decides who reads what (district views are FORBIDDEN to teachers: the page is not
found for them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from mypd_graph.services.access import Actor
from mypd_graph.web.core import not_found, render, run, signed_in

SIGNALS = {
    "STUDENT_PERFORMANCE": "Students' results",
    "STUDENT_GROWTH": "Students' growth",
    "TRAINING": "Past training",
    "SELF_ASSESSMENT": "Self-assessment",
    "OBSERVATION": "Observations",
}


def _staff(actor: Actor) -> None:
    if actor.role.value not in ("coach", "principal", "district_admin"):
        raise not_found()


def _admin(actor: Actor) -> None:
    if actor.role.value != "district_admin":
        raise not_found()


def heat_class(share: float) -> str:
    """A cell's shade, from none to most of the school's teachers (the number is in the cell)."""
    if share <= 0:
        return "heat-0"
    return f"heat-{min(4, 1 + int(share * 4))}"


def _heat_map(
    schools: list[dict[str, Any]], coverages: list[dict[str, Any]], codes: list[str]
) -> list[dict[str, Any]]:
    """Rows per school: teachers, and per element the teachers with it as a focus or a goal."""
    rows = []
    for school, coverage in zip(schools, coverages, strict=True):
        teachers = coverage["teachers"]
        by_code = {item["element"]["code"]: item for item in coverage["elements"]}
        cells = []
        for code in codes:
            item = by_code.get(code)
            count = max(item["focusTeachers"], item["goalTeachers"]) if item else 0
            share = count / teachers if teachers else 0.0
            cells.append({"code": code, "count": count, "shade": heat_class(share)})
        rows.append({"school": school["name"], "teachers": teachers, "cells": cells})
    return rows


@signed_in
async def district_views(request: Request, actor: Actor) -> Response:
    """/app/district: the district's views over the teachers the viewer serves."""
    _staff(actor)
    data = await run(request, actor, "district", "DistrictViews")
    district = data["district"]
    codes = [
        e["code"]
        for standard in district["activeFramework"]["standards"]
        for e in standard["elements"]
        if not e["retired"]
    ]
    coverages = []
    for school in district["schools"]:
        answer = await run(request, actor, "district", "SchoolCoverage", {"schoolId": school["id"]})
        coverages.append(answer["district"]["insights"]["coverage"])
    return render(
        request,
        "district.html",
        title="District views",
        viewer=data["viewer"],
        district=district,
        insights=district["insights"],
        heat=_heat_map(district["schools"], coverages, codes),
        codes=codes,
        signals=SIGNALS,
    )


def _instant(value: str, field: str, problems: list[str]) -> str | None:
    """A date from the search form as the start of that day (UTC)."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).strftime("%Y-%m-%dT00:00:00+00:00")
    except ValueError:
        problems.append(f"{field}: enter a date like 2026-05-29.")
        return None


@signed_in
async def audit_trail(request: Request, actor: Actor) -> Response:
    """/app/audit: search the district's audit trail by action, record kind, person and dates."""
    _admin(actor)
    query = request.query_params
    form = {
        name: query.get(name, "").strip()[:100]
        for name in ("action", "entity", "actor", "teacher", "since", "until")
    }
    problems: list[str] = []
    where = {
        "action": form["action"] or None,
        "entity": form["entity"] or None,
        "actorId": form["actor"] or None,
        "teacherId": form["teacher"] or None,
        "since": _instant(form["since"], "From", problems),
        "until": _instant(form["until"], "Until", problems),
    }
    where = {k: v for k, v in where.items() if v}
    variables = {"where": where, "after": query.get("after") or None}
    data = await run(request, actor, "audit", "AuditTrail", variables)
    return render(
        request,
        "audit.html",
        status_code=400 if problems else 200,
        title="Audit trail",
        viewer=data["viewer"],
        trail=data["auditTrail"],
        form=form,
        problems=problems,
    )
