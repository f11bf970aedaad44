"""The floor of bench/load.py: a plain Starlette app answering the same three requests with the same
SQL (or the same service function, for needs) and ``json.dumps``, without authentication, GraphQL,
DataLoaders or the audit trail. Served by uvicorn like the service:

    BENCH_DATABASE_URL=... .venv/bin/python -m uvicorn load_floor:create --factory --app-dir bench
"""

from __future__ import annotations

import json
import os
from typing import Any

from sqlalchemy import select, text, update
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mypd_graph import models
from mypd_graph.db import create_engine, create_sessionmaker
from mypd_graph.services.access import actor_for
from mypd_graph.services.personalization.needs import needs_by_teacher

FIRST_PAGE = """
SELECT u.id, u.name, u.email FROM teacher_profile p JOIN app_user u ON u.id = p.user_id
ORDER BY u.id LIMIT 100
"""


def create() -> Starlette:
    engine = create_engine(os.environ["BENCH_DATABASE_URL"])
    sessionmaker = create_sessionmaker(engine)

    async def dashboard(_: Request) -> Response:
        """The dashboard's first page: teachers, plans with goals, evidence, observations."""
        async with engine.connect() as c:
            teachers = (await c.execute(text(FIRST_PAGE))).all()
            ids = [t.id for t in teachers]
            plans = (
                await c.execute(
                    select(
                        models.LearningPlan.id,
                        models.LearningPlan.teacher_id,
                        models.LearningPlan.cycle,
                        models.LearningPlan.status,
                    ).where(models.LearningPlan.teacher_id.in_(ids))
                )
            ).all()
            goals = (
                await c.execute(
                    select(
                        models.Goal.plan_id,
                        models.Goal.title,
                        models.Goal.progress,
                        models.Standard.code,
                    )
                    .join(models.LearningPlan, models.LearningPlan.id == models.Goal.plan_id)
                    .join(models.GoalElement, models.GoalElement.goal_id == models.Goal.id)
                    .join(models.Standard, models.Standard.id == models.GoalElement.element_id)
                    .where(models.LearningPlan.teacher_id.in_(ids))
                )
            ).all()
            evidence = (
                await c.execute(
                    select(
                        models.Evidence.teacher_id,
                        models.Evidence.title,
                        models.Evidence.kind,
                        models.Standard.code,
                    )
                    .join(
                        models.EvidenceElement,
                        models.EvidenceElement.evidence_id == models.Evidence.id,
                    )
                    .join(models.Standard, models.Standard.id == models.EvidenceElement.element_id)
                    .where(models.Evidence.teacher_id.in_(ids))
                )
            ).all()
            observations = (
                await c.execute(
                    select(
                        models.Observation.id,
                        models.Observation.teacher_id,
                        models.Observation.kind,
                        models.Observation.observed_on,
                        models.Standard.code,
                        models.RatingLevel.key,
                    )
                    .join(
                        models.ObservationRating,
                        models.ObservationRating.observation_id == models.Observation.id,
                    )
                    .join(
                        models.Standard, models.Standard.id == models.ObservationRating.element_id
                    )
                    .join(
                        models.RatingLevel,
                        models.RatingLevel.id == models.ObservationRating.level_id,
                    )
                    .where(models.Observation.teacher_id.in_(ids))
                )
            ).all()
        goals_by_plan: dict[int, list[dict[str, Any]]] = {}
        for g in goals:
            goals_by_plan.setdefault(g.plan_id, []).append(
                {"title": g.title, "progress": g.progress, "elements": [{"code": g.code}]}
            )
        page: dict[int, dict[str, Any]] = {
            t.id: {
                "id": t.id,
                "name": t.name,
                "email": t.email,
                "plans": [],
                "evidence": [],
                "observations": {},
            }
            for t in teachers
        }
        for p in plans:
            page[p.teacher_id]["plans"].append(
                {"cycle": p.cycle, "status": p.status, "goals": goals_by_plan.get(p.id, [])}
            )
        for e in evidence:
            page[e.teacher_id]["evidence"].append(
                {"title": e.title, "kind": e.kind, "elements": [{"code": e.code}]}
            )
        for o in observations:
            entry = page[o.teacher_id]["observations"].setdefault(
                o.id, {"kind": o.kind, "observedOn": str(o.observed_on), "ratings": []}
            )
            entry["ratings"].append({"element": {"code": o.code}, "level": {"key": o.key}})
        for teacher in page.values():
            teacher["observations"] = list(teacher["observations"].values())
        return Response(json.dumps(list(page.values())), media_type="application/json")

    async def needs(request: Request) -> Response:
        """A teacher's five highest needs through the same service function, as JSON."""
        teacher_id = int(request.query_params["teacher"])
        async with sessionmaker() as session:
            user = await session.get(models.User, teacher_id)
            assert user is not None
            [found] = await needs_by_teacher(session, actor_for(user), [teacher_id])
        body = [
            {"element": {"code": need.element.code}, "score": need.score, "rank": need.rank}
            for need in list(found)[:5]
        ]
        return Response(json.dumps(body), media_type="application/json")

    async def profile(request: Request) -> Response:
        """The same write as updateProfile's: the teacher's bio, in one transaction."""
        payload = await request.json()
        async with sessionmaker.begin() as session:
            await session.execute(
                update(models.TeacherProfile)
                .where(models.TeacherProfile.user_id == int(payload["teacher"]))
                .values(bio=payload["bio"])
            )
        return Response(json.dumps({"bio": payload["bio"]}), media_type="application/json")

    return Starlette(
        routes=[
            Route("/dashboard", dashboard),
            Route("/needs", needs),
            Route("/profile", profile, methods=["POST"]),
            Route("/readyz", lambda _: Response("ok")),
        ]
    )
