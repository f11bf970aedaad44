"""GraphQL overhead of the teacher dashboard, against a floor measured in the same run.

For districts of 10, 100 and 1000 teachers (each with a plan, goals, goal elements, evidence and
observations with ratings) this runs the dashboard query through the real ASGI app (authentication,
Strawberry, DataLoaders, JSON), paging through every teacher 100 at a time, and prints:

- SQL statements per request: must stay flat as the district grows (no N+1);
- the ratio of the GraphQL time to the SQL floor: the same rows read with plain SQL (one statement
  per table) and serialized with json.dumps;
- the ratio to the executor floor: bare graphql-core answering the same query from the same
  response held as plain dicts (the schema built from schema.graphql, default resolvers), in wall
  time and in this process's CPU time (steadier on a shared machine; it leaves out PostgreSQL's
  own work, which runs in the server's processes).

Each GraphQL run first sends one untimed request (a running server has its connections open and
its caches warm); the three measures are interleaved, ``--repeat`` times, and their medians
compared. Machines are noisy, so only ratios measured in one run mean anything. Usage:

    .venv/bin/python bench/graphql_overhead.py [--sizes 10,100,1000] [--repeat 5]
    MYPD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1/bench .venv/bin/python bench/...
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
from graphql import build_schema, graphql_sync
from sqlalchemy import event, insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mypd_graph import migrate, models  # noqa: E402
from mypd_graph.app import create_app  # noqa: E402
from mypd_graph.auth import mint_token  # noqa: E402
from mypd_graph.db import create_engine, create_sessionmaker  # noqa: E402
from mypd_graph.models.base import AUDIT_SCHEMA  # noqa: E402
from mypd_graph.plugins.manager import load_plugins  # noqa: E402
from mypd_graph.services.frameworks.registry import sync_frameworks  # noqa: E402
from mypd_graph.settings import Settings  # noqa: E402

SECRET = "bench-secret-key-long-enough-for-hs256!"
GOALS_PER_PLAN = 3
EVIDENCE_PER_TEACHER = 2
OBSERVATIONS_PER_TEACHER = 2

DASHBOARD = """
query Dashboard($after: String) {
  district {
    teachers(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id name email
        plans { cycle status goals { title progress elements { code } } }
        evidence { title kind elements { code } }
        observations { kind observedOn ratings { element { code } level { key } } }
      }
    }
  }
}
"""


async def build_district(database_url: str, teachers: int) -> int:
    """A district of ``teachers`` teachers with plans, goals, evidence and observations; the admin id."""
    engine = create_engine(database_url)
    await migrate.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    plugins = load_plugins(allow=("cstp",))
    async with sessionmaker.begin() as session:
        for table in reversed(models.Base.metadata.sorted_tables):
            if table.schema != AUDIT_SCHEMA:  # the audit trail is append-only (and apart)
                await session.execute(table.delete())
        await sync_frameworks(session, plugins)
        framework = await session.scalar(
            select(models.Framework).where(models.Framework.key == "cstp-2009")
        )
        assert framework is not None
        elements = list(
            await session.scalars(
                select(models.Standard.id).where(
                    models.Standard.framework_id == framework.id, models.Standard.is_element
                )
            )
        )
        levels = list(
            await session.scalars(
                select(models.RatingLevel.id)
                .where(models.RatingLevel.framework_id == framework.id)
                .order_by(models.RatingLevel.position)
            )
        )
        district = models.District(key="bench", name="Bench", active_framework_id=framework.id)
        session.add(district)
        await session.flush()
        school = models.School(district_id=district.id, code="B", name="Bench School")
        admin = models.User(
            district_id=district.id, email="admin@bench.test", name="Admin", role="district_admin"
        )
        session.add_all([school, admin])
        await session.flush()
        base = 1000
        users = [
            {
                "id": base + i,
                "district_id": district.id,
                "school_id": school.id,
                "email": f"t{i}@bench.test",
                "name": f"Teacher {i}",
                "role": "teacher",
                "active": True,
            }
            for i in range(teachers)
        ]
        await session.execute(insert(models.User), users)
        await session.execute(
            insert(models.TeacherProfile),
            [
                {
                    "user_id": u["id"],
                    "school_id": school.id,
                    "subjects": ["Math"],
                    "grade_levels": ["5"],
                    "years_experience": 5,
                    "bio": "",
                }
                for u in users
            ],
        )
        await session.execute(
            insert(models.LearningPlan),
            [
                {
                    "id": u["id"],
                    "teacher_id": u["id"],
                    "cycle": "2025-26",
                    "title": "Plan",
                    "status": "approved",
                }
                for u in users
            ],
        )
        goals, goal_elements, evidence, evidence_elements = [], [], [], []
        observations, ratings = [], []
        for i, user in enumerate(users):
            for g in range(GOALS_PER_PLAN):
                goal_id = user["id"] * 10 + g
                goals.append(
                    {
                        "id": goal_id,
                        "plan_id": user["id"],
                        "title": f"Goal {g}",
                        "description": "",
                        "progress": 10 * g,
                        "baseline_level_id": levels[1],
                        "target_level_id": levels[2],
                    }
                )
                goal_elements.append({"goal_id": goal_id, "element_id": elements[(i + g) % 38]})
            for e in range(EVIDENCE_PER_TEACHER):
                evidence_id = user["id"] * 10 + e
                evidence.append(
                    {
                        "id": evidence_id,
                        "teacher_id": user["id"],
                        "kind": "artifact",
                        "title": f"Artifact {e}",
                        "body": "",
                        "url": "",
                    }
                )
                evidence_elements.append({"evidence_id": evidence_id, "element_id": elements[e]})
            for o in range(OBSERVATIONS_PER_TEACHER):
                observation_id = user["id"] * 10 + o
                observations.append(
                    {
                        "id": observation_id,
                        "teacher_id": user["id"],
                        "observer_id": admin.id,
                        "kind": "formal",
                        "notes": "",
                        "observed_on": date(2025, 10, 1) + timedelta(days=o),
                    }
                )
                for r in range(3):
                    ratings.append(
                        {
                            "observation_id": observation_id,
                            "element_id": elements[r],
                            "level_id": levels[(i + r) % len(levels)],
                            "note": "",
                        }
                    )
        for model, rows in [
            (models.Goal, goals),
            (models.GoalElement, goal_elements),
            (models.Evidence, evidence),
            (models.EvidenceElement, evidence_elements),
            (models.Observation, observations),
            (models.ObservationRating, ratings),
        ]:
            await session.execute(insert(model), rows)
        admin_id = admin.id
    if engine.dialect.name == "postgresql":
        async with engine.begin() as connection:
            for table in ("learning_plan", "goal", "evidence", "observation"):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
    await engine.dispose()
    return admin_id


async def floor(database_url: str) -> tuple[float, int]:
    """The same rows with plain SQL, one statement per table, serialized with json.dumps."""
    engine = create_engine(database_url)
    try:
        started = time.perf_counter()
        async with engine.connect() as c:
            teachers = (
                await c.execute(
                    text(
                        "SELECT u.id, u.name, u.email FROM teacher_profile p JOIN app_user u ON u.id = p.user_id "
                        "ORDER BY u.id"
                    )
                )
            ).all()
            plans = (
                await c.execute(text("SELECT id, teacher_id, cycle, status FROM learning_plan"))
            ).all()
            goals = (
                await c.execute(
                    text(
                        "SELECT g.id, g.plan_id, g.title, g.progress, s.code FROM goal g "
                        "JOIN goal_element ge ON ge.goal_id = g.id JOIN standard s ON s.id = ge.element_id"
                    )
                )
            ).all()
            evidence = (
                await c.execute(
                    text(
                        "SELECT e.id, e.teacher_id, e.title, e.kind, s.code FROM evidence e "
                        "JOIN evidence_element ee ON ee.evidence_id = e.id "
                        "JOIN standard s ON s.id = ee.element_id"
                    )
                )
            ).all()
            observations = (
                await c.execute(
                    text(
                        "SELECT o.id, o.teacher_id, o.kind, o.observed_on, s.code, l.key FROM observation o "
                        "JOIN observation_rating r ON r.observation_id = o.id "
                        "JOIN standard s ON s.id = r.element_id JOIN rating_level l ON l.id = r.level_id"
                    )
                )
            ).all()
        goals_by_plan: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for goal in goals:
            goals_by_plan[goal.plan_id].append(
                {"title": goal.title, "progress": goal.progress, "elements": [{"code": goal.code}]}
            )
        plans_by_teacher: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for plan in plans:
            plans_by_teacher[plan.teacher_id].append(
                {"cycle": plan.cycle, "status": plan.status, "goals": goals_by_plan[plan.id]}
            )
        evidence_by_teacher: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for item in evidence:
            evidence_by_teacher[item.teacher_id].append(
                {"title": item.title, "kind": item.kind, "elements": [{"code": item.code}]}
            )
        observations_by_teacher: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
        for row in observations:
            entry = observations_by_teacher[row.teacher_id].setdefault(
                row.id, {"kind": row.kind, "observedOn": str(row.observed_on), "ratings": []}
            )
            entry["ratings"].append({"element": {"code": row.code}, "level": {"key": row.key}})
        payload = json.dumps(
            [
                {
                    "id": t.id,
                    "name": t.name,
                    "email": t.email,
                    "plans": plans_by_teacher[t.id],
                    "evidence": evidence_by_teacher[t.id],
                    "observations": list(observations_by_teacher[t.id].values()),
                }
                for t in teachers
            ]
        )
        return time.perf_counter() - started, len(payload)
    finally:
        await engine.dispose()


def executor_floor(
    pages: list[tuple[dict[str, Any] | None, dict[str, Any]]],
) -> tuple[float, float]:
    """Bare graphql-core over the same responses: the schema built from schema.graphql, each
    page's answer given as the root value (plain dicts, resolved by graphql-core's default
    resolver), parsed, validated, executed and serialized with json.dumps, like a request.
    Wall time and this process's CPU time."""
    schema = build_schema((ROOT / "schema.graphql").read_text())
    started, cpu = time.perf_counter(), time.process_time()
    for variables, data in pages:
        result = graphql_sync(schema, DASHBOARD, root_value=data, variable_values=variables)
        assert result.errors is None, result.errors
        json.dumps(result.data)
    return time.perf_counter() - started, time.process_time() - cpu


async def graphql(
    database_url: str,
    admin_id: int,
    keep: list[tuple[dict[str, Any] | None, dict[str, Any]]] | None = None,
) -> tuple[float, list[int], int, float]:
    """Page through the dashboard over HTTP semantics; time, statements per request, teachers
    and this process's CPU time (the app's; PostgreSQL's own work is in another process).
    ``keep`` receives each page's variables and answer (for the executor floor)."""
    engine = create_engine(database_url)
    statements: list[int] = [0]
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda *_: statements.__setitem__(-1, statements[-1] + 1),
    )
    app = create_app(
        Settings(database_url=database_url, secret_key=SECRET),
        plugins=load_plugins(allow=("cstp",)),
        engine=engine,
    )
    token = mint_token(SECRET, admin_id, "admin@bench.test")
    per_request, seen, after = [], 0, None
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench"
        ) as http:
            # One untimed request first: a running server has its connections open and its
            # caches warm (a page of 100 teachers is one request, a new pool would be timed).
            warm = await http.post(
                "/graphql",
                json={"query": DASHBOARD, "variables": {"after": None}},
                headers={"Authorization": f"Bearer {token}"},
            )
            assert "errors" not in warm.json()
            started, cpu = time.perf_counter(), time.process_time()
            while True:
                statements.append(0)
                response = await http.post(
                    "/graphql",
                    json={"query": DASHBOARD, "variables": {"after": after}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = response.json()
                assert "errors" not in body, body["errors"]
                if keep is not None:
                    keep.append(({"after": after}, body["data"]))
                page = body["data"]["district"]["teachers"]
                per_request.append(statements[-1])
                seen += len(page["nodes"])
                if not page["pageInfo"]["hasNextPage"]:
                    break
                after = page["pageInfo"]["endCursor"]
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await engine.dispose()
    return elapsed, per_request, seen, cpu


async def run(database_url: str, label: str, sizes: list[int], repeat: int) -> list[str]:
    rows = []
    for size in sizes:
        admin_id = await build_district(database_url, size)
        # The three measures interleaved, so that a shared machine's load shifts them alike.
        floors, runs, executors = [], [], []
        pages: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
        for i in range(repeat):
            floors.append((await floor(database_url))[0])
            runs.append(await graphql(database_url, admin_id, pages if not i else None))
            executors.append(executor_floor(pages))
        executor = statistics.median(wall for wall, _ in executors)
        executor_cpu = statistics.median(cpu for _, cpu in executors)
        gql_time = statistics.median(r[0] for r in runs)
        gql_cpu = statistics.median(r[3] for r in runs)
        floor_time = statistics.median(floors)
        per_request = runs[0][1]
        assert runs[0][2] == size, f"paged through {runs[0][2]} of {size} teachers"
        rows.append(
            f"| {label} | {size} | {len(per_request)} | {min(per_request)}-{max(per_request)} | "
            f"{floor_time * 1000:.1f} | {executor * 1000:.1f} | {gql_time * 1000:.1f} | "
            f"{gql_time / floor_time:.1f}x | {gql_time / executor:.2f}x | "
            f"{gql_cpu / executor_cpu:.2f}x |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(
        "| database | teachers | requests | SQL statements per request | SQL floor ms | "
        "executor floor ms | GraphQL ms | over SQL floor | over executor floor | "
        "same, CPU time |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run(f"sqlite+aiosqlite:///{directory}/bench.db", "SQLite", sizes, args.repeat))
    postgres = os.environ.get("MYPD_BENCH_POSTGRES_URL")
    if postgres:
        asyncio.run(run(postgres, "PostgreSQL", sizes, args.repeat))


if __name__ == "__main__":
    main()
