"""Needs and district views on a large district, against a floor measured in the same run.

Builds a district of 3,500 teachers, 70,000 students and 1.4 million assessment results (``--scale``
multiplies all three; ``--scale 0.1`` is a quick run), with focus elements, two self-assessment
cycles, observations, training, plans and completed resources for every teacher (growth on MAP's
spring results, and the students' growth signal weighed at 0.15), then times:

- the floor: one aggregate pass over the results table (``GROUP BY assessment, school year`` with
  the count below standard), the least any figure made from students' results can cost;
- every teacher's needs (:func:`mypd_graph.services.personalization.needs.assess` over the whole district, as a
  district admin);
- each district view (:mod:`mypd_graph.services.insights.district`) as a district admin.

Only ratios to the floor of the same run mean anything (machines are noisy). The target is 3x.

    .venv/bin/python bench/needs_district.py [--scale 0.1] [--repeat 3] [--only sqlite]
    MYPD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1/bench .venv/bin/python bench/...

Rows are written with the databases' bulk paths (executemany on SQLite, COPY on PostgreSQL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mypd_graph import migrate, models  # noqa: E402
from mypd_graph.db import create_engine, create_sessionmaker  # noqa: E402
from mypd_graph.plugins.manager import load_plugins  # noqa: E402
from mypd_graph.services.access import Actor, visible_teacher_ids  # noqa: E402
from mypd_graph.services.frameworks.registry import sync_frameworks  # noqa: E402
from mypd_graph.services.insights import district, plans_and_pd, student_results, top_needs  # noqa: E402
from mypd_graph.services.personalization import needs  # noqa: E402
from mypd_graph.services.resources.library import sync_resources  # noqa: E402
from mypd_graph.services.students.status import refresh_result_status  # noqa: E402

TEACHERS, STUDENTS, TEACHERS_PER_SCHOOL = 3500, 70_000, 50
YEARS = ("2024-25", "2025-26")
SUBJECTS = ("Math", "ELA")
# Per subject and year: MAP in three windows, an interim block in winter, CAASPP in spring: five
# results, so 2 subjects x 2 years x 5 = 20 results per student (1.4 million for 70,000).
WINDOWS = (
    ("map", "Fall"),
    ("map", "Winter"),
    ("map", "Spring"),
    ("iab", "Winter"),
    ("sbac", "Spring"),
)
CHUNK = 50_000
GROWTH_WEIGHT = 0.15  # the fifth need signal, students' growth, measured on
AS_OF = date(2026, 6, 5)

FLOOR = (
    "SELECT r.assessment_id, r.school_year, count(*), "
    "sum(CASE WHEN r.achievement_level < a.proficient_level THEN 1 ELSE 0 END) "
    "FROM assessment_result r JOIN assessment a ON a.id = r.assessment_id "
    "GROUP BY r.assessment_id, r.school_year"
)


# --- building the district ------------------------------------------------------------------------


async def bulk(
    session: AsyncSession, table: Any, columns: Sequence[str], rows: Iterator[tuple]
) -> int:
    """Insert tuples in chunks: COPY on PostgreSQL, executemany on SQLite."""
    total = 0
    chunk: list[tuple] = []

    async def flush() -> None:
        nonlocal total
        if not chunk:
            return
        if session.get_bind().dialect.name == "postgresql":
            connection = await (await session.connection()).get_raw_connection()
            await connection.driver_connection.copy_records_to_table(  # type: ignore[union-attr]
                table.name, records=chunk, columns=list(columns)
            )
        else:
            await session.execute(
                insert(table), [dict(zip(columns, row, strict=True)) for row in chunk]
            )
        total += len(chunk)
        chunk.clear()

    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            await flush()
    await flush()
    return total


async def build(engine: AsyncEngine, scale: float, seed: int = 7) -> tuple[Actor, dict[str, int]]:
    rng = random.Random(seed)
    teachers = max(4, round(TEACHERS * scale)) // 2 * 2
    students = max(40, round(STUDENTS * scale))
    await migrate.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    plugins = load_plugins(allow=("cstp",))
    async with sessionmaker.begin() as session:
        if engine.dialect.name == "postgresql":
            # The audit trail is append-only (its triggers refuse TRUNCATE) and has no foreign
            # key: it stays, and the benchmark's reads add to it.
            names = ", ".join(
                f'"{t.name}"' for t in models.Base.metadata.sorted_tables if not t.schema
            )
            await session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        await sync_frameworks(session, plugins)
        await sync_resources(session, plugins)
    async with sessionmaker.begin() as session:
        framework = await session.scalar(
            select(models.Framework).where(models.Framework.key == "cstp-2009")
        )
        assert framework is not None
        elements = list(
            await session.scalars(
                select(models.Standard.id)
                .where(
                    models.Standard.framework_id == framework.id,
                    models.Standard.is_element.is_(True),
                )
                .order_by(models.Standard.id)
            )
        )
        levels = list(
            await session.scalars(
                select(models.RatingLevel.id)
                .where(models.RatingLevel.framework_id == framework.id)
                .order_by(models.RatingLevel.position)
            )
        )
        catalog = list(
            await session.execute(
                select(models.ResourceElement.resource_id, models.ResourceElement.element_id)
            )
        )
        district = models.District(
            key="bench", name="Bench Unified", active_framework_id=framework.id
        )
        session.add(district)
        await session.flush()
        schools = max(1, teachers // TEACHERS_PER_SCHOOL)
        school_ids = list(range(1, schools + 1))
        await session.execute(
            insert(models.School),
            [
                {"id": i, "district_id": district.id, "code": f"S{i}", "name": f"School {i}"}
                for i in school_ids
            ],
        )
        admin_id, first_teacher = 1, 100
        users = [
            {
                "id": admin_id,
                "district_id": district.id,
                "email": "admin@bench.test",
                "name": "Admin",
                "role": "district_admin",
            }
        ]
        teacher_ids = list(range(first_teacher, first_teacher + teachers))
        users += [
            {"id": t, "district_id": district.id, "school_id": school_ids[i % schools], "email": f"t{t}@bench.test",
             "name": f"Teacher {t}", "role": "teacher"}
            for i, t in enumerate(teacher_ids)
        ]  # fmt: skip
        await session.execute(insert(models.User), users)
        await session.execute(
            insert(models.TeacherProfile),
            [
                {"user_id": t, "school_id": school_ids[i % schools], "subjects": [SUBJECTS[i // schools % 2]],
                 "grade_levels": ["6", "7", "8"], "years_experience": 1 + i % 25}
                for i, t in enumerate(teacher_ids)
            ],
        )  # fmt: skip
        kinds = ("map", "iab", "sbac")
        assessments = {f"{kind}-{subject.lower()}": 1 + n for n, (subject, kind) in
                       enumerate((subject, kind) for subject in SUBJECTS for kind in kinds)}  # fmt: skip
        await session.execute(
            insert(models.Assessment),
            [{"id": i, "district_id": district.id, "key": key, "name": key.upper(),
              "subject": SUBJECTS[(i - 1) // len(kinds)], "summative": key.startswith("sbac")}
             for key, i in assessments.items()],
        )  # fmt: skip
        # The students' growth signal on (issue 14.4): its weight is 0 by default.
        session.add(
            models.DistrictSettings(district_id=district.id, weight_student_growth=GROWTH_WEIGHT)
        )

        # Students, sections (one per teacher per year) and enrollments: each student has a Math
        # teacher and an ELA teacher each year, in their school.
        per_school = [
            [t for i, t in enumerate(teacher_ids) if school_ids[i % schools] == s]
            for s in school_ids
        ]
        student_school = [school_ids[n % schools] for n in range(students)]
        counts = {"teachers": teachers, "students": students}
        counts["students"] = await bulk(
            session, models.Student.__table__,
            ("id", "district_id", "school_id", "local_id", "first_name", "last_name", "grade_level", "created_at"),
            ((n + 1, district.id, student_school[n], f"s{n + 1}", "Student", str(n + 1), "7", datetime(2025, 7, 1, tzinfo=UTC))
             for n in range(students)),
        )  # fmt: skip
        sections = []
        section_of: dict[tuple[int, str], int] = {}
        for i, t in enumerate(teacher_ids):
            for year in YEARS:
                section_id = len(sections) + 1
                section_of[(t, year)] = section_id
                sections.append({"id": section_id, "school_id": school_ids[i % schools], "teacher_id": t,
                                 "local_id": f"{t}-{year}", "name": f"{SUBJECTS[i // schools % 2]} 7",
                                 "subject": SUBJECTS[i // schools % 2], "grade_level": "7", "school_year": year})  # fmt: skip
        await session.execute(insert(models.Section), sections)
        subject_of = {t: SUBJECTS[i // schools % 2] for i, t in enumerate(teacher_ids)}

        pools = {
            (index, subject): [t for t in per_school[index] if subject_of[t] == subject]
            for index in range(schools)
            for subject in SUBJECTS
        }

        def teacher_for(student: int, subject: str, year: str) -> int:
            pool = pools[((student - 1) % schools, subject)]
            return pool[(student // schools + (year == YEARS[1])) % len(pool)]

        def enrollments() -> Iterator[tuple]:
            n = 0
            for student in range(1, students + 1):
                for year in YEARS:
                    for subject in SUBJECTS:
                        n += 1
                        yield (n, section_of[(teacher_for(student, subject, year), year)], student)

        counts["enrollments"] = await bulk(
            session, models.Enrollment.__table__, ("id", "section_id", "student_id"), enrollments()
        )
        effect = {t: rng.gauss(0, 0.5) for t in teacher_ids}

        def results() -> Iterator[tuple]:
            n = 0
            for student in range(1, students + 1):
                ability = rng.gauss(0, 1)
                for year in YEARS:
                    for subject in SUBJECTS:
                        z = ability + effect[teacher_for(student, subject, year)]
                        for kind, term in WINDOWS:
                            n += 1
                            level = 1 + sum(z + rng.gauss(0, 0.4) > cut for cut in (-0.8, 0.1, 0.9))
                            # MAP's spring row carries fall-to-spring growth (a CDF's columns)
                            cgp = (
                                min(99, max(1, round(50 + 30 * (z - ability) + rng.gauss(0, 20))))
                                if kind == "map" and term == "Spring"
                                else None
                            )
                            yield (n, assessments[f"{kind}-{subject.lower()}"], student, year, term,
                                   200.0 + 10 * z, level, cgp, None if cgp is None else cgp >= 50)  # fmt: skip

        counts["results"] = await bulk(
            session, models.AssessmentResult.__table__,
            ("id", "assessment_id", "student_id", "school_year", "term", "scale_score", "achievement_level",
             "growth_percentile", "met_projected_growth"),
            results(),
        )  # fmt: skip
        # What the import pipeline does after writing results (timed: it is part of loading):
        # on PostgreSQL, ANALYZE the tables the load filled first (as importers/statistics.py
        # does), or the refresh plans on a fresh database's empty statistics (nested loops).
        refreshing = time.perf_counter()
        if session.bind.dialect.name == "postgresql":
            for table in ("student", "section", "enrollment", "assessment", "assessment_result"):
                await session.execute(text(f"ANALYZE {table}"))
        await refresh_result_status(session, district.id)
        counts["status refresh ms"] = round((time.perf_counter() - refreshing) * 1000)
        counts["growth rows"] = await growth(
            session, rng, teacher_ids, elements, levels, catalog, admin_id
        )
    async with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            for table in (
                "school",
                "app_user",
                "assessment",
                "student",
                "section",
                "enrollment",
                "assessment_result",
            ):
                await connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
        await connection.execute(text("ANALYZE"))
    return Actor(admin_id, district.id, None, models.Role.DISTRICT_ADMIN), counts


async def growth(
    session: AsyncSession, rng: random.Random, teacher_ids: list[int], elements: list[int],
    levels: list[int], catalog: list[Any], admin_id: int,
) -> int:  # fmt: skip
    """Focus, two self-assessment cycles, two observations, three trainings, a plan with goals and
    a done action step per teacher: the rows the other signals and views read."""
    rows = 0
    resources_by_element: dict[int, list[int]] = {}
    for resource_id, element_id in catalog:
        resources_by_element.setdefault(element_id, []).append(resource_id)
    focus, self_assessments, self_ratings, observations, observation_ratings = [], [], [], [], []
    trainings, training_elements, plans, goals, goal_elements, steps = [], [], [], [], [], []
    for t in teacher_ids:
        chosen = rng.sample(elements, 8)
        focus += [{"teacher_id": t, "element_id": e} for e in chosen[:2]]
        for cycle_number, cycle in enumerate(YEARS):
            sa = len(self_assessments) + 1
            self_assessments.append({"id": sa, "teacher_id": t, "cycle": cycle,
                                     "submitted_at": datetime(2024 + cycle_number, 9, 20, tzinfo=UTC)})  # fmt: skip
            self_ratings += [{"self_assessment_id": sa, "element_id": e, "level_id": rng.choice(levels[:4])}
                             for e in chosen]  # fmt: skip
        for visit in range(2):
            o = len(observations) + 1
            observations.append({"id": o, "teacher_id": t, "observer_id": admin_id, "kind": "formal",
                                 "observed_on": date(2025, 10, 1) + timedelta(days=120 * visit)})  # fmt: skip
            observation_ratings += [{"observation_id": o, "element_id": e, "level_id": rng.choice(levels[:4])}
                                    for e in chosen[:4]]  # fmt: skip
        for number in range(3):
            r = len(trainings) + 1
            element = chosen[number]
            resource = rng.choice(resources_by_element.get(element, [None]))
            trainings.append({"id": r, "teacher_id": t, "title": f"Training {number}", "hours": 3.0,
                              "completed_on": date(2025, 11, 1) + timedelta(days=30 * number),
                              "resource_id": resource})  # fmt: skip
            training_elements.append({"training_record_id": r, "element_id": element})
        p = len(plans) + 1
        plans.append(
            {
                "id": p,
                "teacher_id": t,
                "cycle": YEARS[1],
                "status": rng.choice(("draft", "submitted", "approved", "completed")),
            }
        )
        for number in range(2):
            g = len(goals) + 1
            goals.append(
                {
                    "id": g,
                    "plan_id": p,
                    "title": f"Goal {number}",
                    "progress": rng.choice((0, 50, 100)),
                }
            )
            goal_elements.append({"goal_id": g, "element_id": chosen[number]})
            resource = rng.choice(resources_by_element.get(chosen[number], [None]))
            steps.append({"goal_id": g, "description": "Take it", "resource_id": resource, "status": "done",
                          "completed_at": datetime(2026, 1, 15, 20, tzinfo=UTC)})  # fmt: skip
    for model, batch in (
        (models.FocusElement, focus), (models.SelfAssessment, self_assessments),
        (models.SelfAssessmentRating, self_ratings), (models.Observation, observations),
        (models.ObservationRating, observation_ratings), (models.TrainingRecord, trainings),
        (models.TrainingRecordElement, training_elements), (models.LearningPlan, plans),
        (models.Goal, goals), (models.GoalElement, goal_elements), (models.ActionStep, steps),
    ):  # fmt: skip
        for start in range(0, len(batch), CHUNK):
            await session.execute(insert(model), batch[start : start + CHUNK])
        rows += len(batch)
    if session.get_bind().dialect.name == "postgresql":
        for table in ("self_assessment", "observation", "training_record", "learning_plan", "goal"):
            await session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                )
            )
    return rows


# --- measuring ----------------------------------------------------------------------------------


async def timed(
    engine: AsyncEngine, work: Callable[[AsyncSession], Awaitable[Any]], repeat: int
) -> tuple[float, Any]:
    """Median seconds of ``repeat`` runs, each in a fresh session rolled back (audit rows too)."""
    sessionmaker = create_sessionmaker(engine)
    times, result = [], None
    for _ in range(repeat):
        async with sessionmaker() as session:
            started = time.perf_counter()
            result = await work(session)
            times.append(time.perf_counter() - started)
            await session.rollback()
    return statistics.median(times), result


async def run(url: str, label: str, scale: float, repeat: int) -> list[str]:
    engine = create_engine(url)
    try:
        started = time.perf_counter()
        admin, counts = await build(engine, scale)
        print(
            f"{label}: built {counts} in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        floor, _ = await timed(engine, lambda s: _all(s.execute(text(FLOOR))), repeat)

        async def every_need(session: AsyncSession) -> int:
            found = await needs.assess(session, admin, visible_teacher_ids(admin), AS_OF)
            return sum(len(items) for items in found.values())

        async with create_sessionmaker(engine)() as session:  # the fifth signal is on and read
            found = await needs.assess(session, admin, visible_teacher_ids(admin), AS_OF)
            growing = sum(
                1
                for ranked in found.values()
                for need in ranked.top(1)
                if need.values[-1] is not None
            )
            assert growing, "no need reads the students' growth signal"
        measured: list[tuple[str, float]] = []
        seconds, count = await timed(engine, every_need, repeat)
        assert count == counts["teachers"] * 38, count
        measured.append((f"needs of all {counts['teachers']} teachers ({count:,} needs)", seconds))
        for name, view in (
            ("coverage", district.coverage), ("rating distribution", district.rating_distribution),
            ("top needs", lambda s, a: top_needs.top_needs(s, a, as_of=AS_OF)),
            ("plan status", plans_and_pd.plan_status_counts), ("PD hours by element", plans_and_pd.pd_hours_by_element),
            ("PD impact by resource", plans_and_pd.pd_impact_by_resource),
            ("students' results by school", student_results.student_results_by_school),
        ):  # fmt: skip
            seconds, _ = await timed(engine, lambda s, view=view: view(s, admin), repeat)
            measured.append((name, seconds))
        rows = [
            f"| {label} | {counts['results']:,} | {what} | {floor * 1000:.0f} | {seconds * 1000:.0f} | "
            f"{seconds / floor:.2f}x |"
            for what, seconds in measured
        ]
        for row in rows:
            print(row, flush=True)
        return rows
    finally:
        await engine.dispose()


async def _all(result: Awaitable[Any]) -> list[Any]:
    return (await result).all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="1.0 = 3,500 teachers, 1.4M results"
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--only", choices=("sqlite", "postgresql"), help="measure one database, not both"
    )
    args = parser.parse_args()
    print("| database | results | computed | floor ms | ms | ratio |")
    print("|---|---|---|---|---|---|")
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as directory:
            url = f"sqlite+aiosqlite:///{directory}/bench.db"
            asyncio.run(run(url, "SQLite", args.scale, args.repeat))
    postgres = os.environ.get("MYPD_BENCH_POSTGRES_URL")
    if args.only == "postgresql" and not postgres:
        parser.error("--only postgresql needs MYPD_BENCH_POSTGRES_URL")
    if postgres and args.only != "sqlite":
        asyncio.run(run(postgres, "PostgreSQL", args.scale, args.repeat))


if __name__ == "__main__":
    main()
