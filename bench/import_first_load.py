"""A district's first score import on a fresh PostgreSQL database: the summary refresh, timed.

The refresh at the end of a result import (``importers/result_summary.py``) runs in the import's
transaction, right after the rows went in. On a fresh PostgreSQL database the planner then has no
statistics of the tables just filled (and, when the roster was imported a moment before, none of
the roster's either: autovacuum analyzes a minute later at best), and it chose nested loops: 180 s
for 700,000 results (issue 15). The pipeline now runs ``ANALYZE`` on the tables it reads whose
statistics the load made stale (``importers/statistics.py``).

Each run, for each mode (``before``: PostgreSQL with the ANALYZE step switched off; ``after``:
PostgreSQL, the code as it is; ``sqlite``: the same on a new SQLite file, for comparison):

1. a new database is created (on the server of ``MYPD_BENCH_POSTGRES_URL``) and migrated;
2. a roster goes in and commits (students, a teacher per 25 students, a Math and an ELA section
   per teacher and school year, four enrollments per student), with autovacuum off on the
   database's tables: the worst case, a score import that follows its roster within the minute;
3. a generated CAASPP CERS export (24 results a student: per subject and school year the
   summative, an interim comprehensive and four interim blocks; achievement levels, which NWEA MAP
   files lack, are what the summaries count) is imported through the pipeline; the refresh
   (``ResultSummary.refresh``) is timed inside it;
4. the floor: after a separate ``ANALYZE``, the same refresh statements (the teacher summary of
   the years written) and a full recompute of both summaries from the results, in a transaction
   rolled back.

    MYPD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/import_first_load.py --rows 300000 [--modes before,after,sqlite]

Machines are noisy: only ratios measured in one run mean anything.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from import_data import ADMIN_EMAIL, FIRST_NAMES, LAST_NAMES  # noqa: E402
from sqlalchemy import insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from mypd_graph import migrate, models  # noqa: E402
from mypd_graph.db import create_engine, create_sessionmaker  # noqa: E402
from mypd_graph.importers import result_summary, statistics  # noqa: E402
from mypd_graph.importers.pipeline import run_import  # noqa: E402
from mypd_graph.plugins.manager import load_plugins  # noqa: E402
from mypd_graph.services.access import Actor  # noqa: E402
from mypd_graph.services.students.status import (  # noqa: E402
    refresh_result_status,
    refresh_teacher_status,
)

STUDENTS_PER_TEACHER = 25
YEARS = ("2024-25", "2025-26")
SUBJECTS = ("Math", "ELA")
SCHOOLS = 40
CERS_HEADER = (
    "StudentIdentifier,FirstName,LastOrSurname,SubmitDateTime,SchoolYear,AssessmentType,"
    "AssessmentSubType,AssessmentName,Subject,GradeLevelWhenAssessed,ScaleScoreAchievementLevel,"
    "ScaleScore"
)
# (sub type, name, month, day): per subject and school year; the year's spring is the summative
TESTS = (
    ("SUM", "Summative", 4, 22),
    ("ICA", "Interim Comprehensive", 1, 14),
    ("IAB", "Block 1", 10, 8),
    ("IAB", "Block 2", 11, 12),
    ("IAB", "Block 3", 2, 10),
    ("IAB", "Block 4", 3, 9),
)
RESULTS_PER_STUDENT = len(YEARS) * len(SUBJECTS) * len(TESTS)


def generate(path: Path, rows: int) -> int:
    """A CERS export of ``rows`` results, streamed to disk; the number of students."""
    students = -(-rows // RESULTS_PER_STUDENT)
    written = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(CERS_HEADER + "\n")
        for student in range(students):
            for year in (2025, 2026):
                for subject in SUBJECTS:
                    for index, (subtype, name, month, day) in enumerate(TESTS):
                        if written == rows:
                            return students
                        on_year = year if month < 7 else year - 1
                        kind = "Summative" if subtype == "SUM" else "Interim"
                        level = 1 + (student * 7 + index * 3 + year) % (
                            3 if subtype == "IAB" else 4
                        )
                        out.write(
                            f"40{student:08d},{FIRST_NAMES[student % len(FIRST_NAMES)]},"
                            f"{LAST_NAMES[student % len(LAST_NAMES)]},"
                            f"{on_year}-{month:02d}-{day:02d} 10:31:05,{year},{kind},{subtype},"
                            f"Grade 5 {subject} {name},{subject},05,{level},"
                            f"{2300 + (student * 13 + index * 17) % 400}\n"
                        )
                        written += 1
    return students


async def admin_execute(url: str, sql: str) -> None:
    """CREATE or DROP DATABASE: outside a transaction, on the server's maintenance database."""
    import asyncpg

    dsn = make_url(url).set(drivername="postgresql", database="postgres")
    connection = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def prepare(url: str, students: int) -> int:
    """Schema, a district, its admin, schools, students, teachers, sections and enrollments."""
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        async with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                tables = await connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
                )
                for (table,) in tables.all():
                    await connection.execute(
                        text(f'ALTER TABLE "{table}" SET (autovacuum_enabled = false)')
                    )
            district = (
                await connection.execute(
                    insert(models.District)
                    .values(key="lakeview", name="Lakeview Unified")
                    .returning(models.District.id)
                )
            ).scalar_one()
            await connection.execute(
                insert(models.User).values(
                    district_id=district,
                    email=ADMIN_EMAIL,
                    name="Bench Admin",
                    role=models.Role.DISTRICT_ADMIN.value,
                )
            )
            schools = (
                await connection.execute(
                    insert(models.School).returning(models.School.id, sort_by_parameter_order=True),
                    [
                        {"district_id": district, "code": f"S{n:02d}", "name": f"School {n:02d}"}
                        for n in range(SCHOOLS)
                    ],
                )
            ).scalars()
            school_ids = list(schools)
            teachers = -(-students // STUDENTS_PER_TEACHER)
            teacher_ids = (
                await connection.execute(
                    insert(models.User).returning(models.User.id, sort_by_parameter_order=True),
                    [
                        {
                            "district_id": district,
                            "school_id": school_ids[n % SCHOOLS],
                            "email": f"t{n}@bench.mypd",
                            "name": f"Teacher {n}",
                            "role": models.Role.TEACHER.value,
                        }
                        for n in range(teachers)
                    ],
                )
            ).scalars()
            teacher_ids = list(teacher_ids)
            student_ids = list(
                (
                    await connection.execute(
                        insert(models.Student).returning(
                            models.Student.id, sort_by_parameter_order=True
                        ),
                        [
                            {
                                "district_id": district,
                                "school_id": school_ids[(n // STUDENTS_PER_TEACHER) % SCHOOLS],
                                "local_id": f"S{n:07d}",
                                "state_id": f"40{n:08d}",
                                "first_name": FIRST_NAMES[n % len(FIRST_NAMES)],
                                "last_name": LAST_NAMES[n % len(LAST_NAMES)],
                                "grade_level": str(3 + n % 6),
                            }
                            for n in range(students)
                        ],
                    )
                ).scalars()
            )
            sections = [
                {
                    "school_id": school_ids[t % SCHOOLS],
                    "teacher_id": teacher_id,
                    "local_id": f"{t}-{year}-{subject}",
                    "name": f"{subject} {year}",
                    "subject": subject,
                    "school_year": year,
                }
                for t, teacher_id in enumerate(teacher_ids)
                for year in YEARS
                for subject in SUBJECTS
            ]
            section_ids = list(
                (
                    await connection.execute(
                        insert(models.Section).returning(
                            models.Section.id, sort_by_parameter_order=True
                        ),
                        sections,
                    )
                ).scalars()
            )
            per_teacher = len(YEARS) * len(SUBJECTS)
            enrollments = [
                {"section_id": section_ids[(n // STUDENTS_PER_TEACHER) * per_teacher + k],
                 "student_id": student_id}
                for n, student_id in enumerate(student_ids)
                for k in range(per_teacher)
            ]  # fmt: skip
            for start in range(0, len(enrollments), 20_000):
                await connection.execute(
                    insert(models.Enrollment), enrollments[start : start + 20_000]
                )
        return district
    finally:
        await engine.dispose()


Timed = dict[str, float]


def timing(timed: Timed, name: str, function: Callable[..., Awaitable[Any]]) -> Any:
    """``function`` wrapped to add its seconds to ``timed[name]``."""

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            timed[name] = timed.get(name, 0.0) + time.perf_counter() - started

    return wrapper


async def first_import(url: str, path: Path, analyze: bool) -> Timed:
    """The score file through the pipeline, the refresh (and the ANALYZE step) timed inside."""
    timed: Timed = {}
    summary_refresh = result_summary.ResultSummary.refresh
    analyze_stale = statistics.analyze_stale
    result_summary.ResultSummary.refresh = timing(timed, "refresh", summary_refresh)  # type: ignore[method-assign]

    async def no_analyze(*args: Any, **kwargs: Any) -> list[str]:
        return []

    statistics.analyze_stale = timing(  # type: ignore[assignment]
        timed, "analyze", analyze_stale if analyze else no_analyze
    )
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            admin_id, district_id = (
                await connection.execute(
                    select(models.User.id, models.User.district_id).where(
                        models.User.email == ADMIN_EMAIL
                    )
                )
            ).one()
        actor = Actor(admin_id, district_id, None, models.Role.DISTRICT_ADMIN, ADMIN_EMAIL)
        started = time.perf_counter()
        run = await run_import(
            create_sessionmaker(engine),
            actor,
            "csv-scores",
            path,
            {"format": "caaspp-cers"},
            plugins=load_plugins(allow=("csv_scores",)),
        )
        timed["import"] = time.perf_counter() - started
        if run.status != "completed":
            raise SystemExit(f"import {run.status}: {run.message}")
        timed["rows"] = float(run.rows_read)
        return timed
    finally:
        result_summary.ResultSummary.refresh = summary_refresh  # type: ignore[method-assign]
        statistics.analyze_stale = analyze_stale
        await engine.dispose()


async def floor(url: str, district_id: int) -> Timed:
    """The refresh statements after a separate ANALYZE, each in a transaction rolled back."""
    timed: Timed = {}
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            started = time.perf_counter()
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("ANALYZE"))
            await autocommit.commit()
            timed["analyze all"] = time.perf_counter() - started
        for name, refresh in (
            ("teacher refresh", refresh_teacher_status),
            ("full recompute", refresh_result_status),
        ):
            async with engine.connect() as connection:
                transaction = await connection.begin()
                started = time.perf_counter()
                await refresh(connection, district_id, school_years=YEARS)
                timed[name] = time.perf_counter() - started
                await transaction.rollback()
        return timed
    finally:
        await engine.dispose()


async def one_mode(url: str, mode: str, path: Path, students: int, keep: bool) -> list[str]:
    """One fresh database (PostgreSQL for ``before`` and ``after``; a new file for ``sqlite``)."""
    name = f"mypd_first_load_{mode}_{os.getpid()}"
    if mode == "sqlite":
        database = f"sqlite+aiosqlite:///{path.parent / name}.db"
    else:
        database = make_url(url).set(database=name).render_as_string(hide_password=False)
        await admin_execute(url, f'CREATE DATABASE "{name}"')
    try:
        started = time.perf_counter()
        district_id = await prepare(database, students)
        roster_s = time.perf_counter() - started
        timed = await first_import(database, path, analyze=mode != "before")
        floors = await floor(database, district_id)
    finally:
        if not keep and mode != "sqlite":
            await admin_execute(url, f'DROP DATABASE IF EXISTS "{name}"')
    rows = int(timed["rows"])
    refresh = timed.get("refresh", 0.0)
    load = timed["import"] - refresh
    base = floors["full recompute"]
    return [
        f"| {mode} | {rows:,} | {roster_s:.1f} | {load:.1f} | {timed.get('analyze', 0.0):.2f} | "
        f"{refresh:.2f} | {floors['teacher refresh']:.2f} | {base:.2f} | "
        f"{refresh / base:.2f}x | {refresh / load:.2f}x |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--modes", default="before,after,sqlite")
    parser.add_argument("--keep", action="store_true", help="keep the databases (to inspect)")
    args = parser.parse_args()
    url = os.environ.get("MYPD_BENCH_POSTGRES_URL")
    if not url:
        raise SystemExit("set MYPD_BENCH_POSTGRES_URL (a PostgreSQL server; databases are made)")
    work = Path(tempfile.mkdtemp(prefix="mypd-bench-first-load-"))
    try:
        path = work / "AssessmentResults.csv"
        students = generate(path, args.rows)
        print(
            f"{args.rows:,} results of {students:,} students; load average {os.getloadavg()[0]:.2f}"
        )
        lines = [
            "| mode | results | roster s | load s (import less refresh) | ANALYZE s | refresh s "
            "| floor: teacher refresh s | floor: full recompute s | refresh / floor | "
            "refresh / load |",
            "|---|---|---|---|---|---|---|---|---|---|",
        ]
        for mode in args.modes.split(","):
            lines += asyncio.run(one_mode(url, mode, path, students, args.keep))
            print(lines[-1], flush=True)
        print(f"load average {os.getloadavg()[0]:.2f}")
        print("\n".join(lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
