"""A first load gives the planner statistics of what it filled before the summaries' refresh.

On PostgreSQL the refresh at the end of an import runs in the import's transaction; without an
``ANALYZE`` of the tables just filled the planner took them for empty and planned nested loops
(180 s for 700,000 results, issue 15; ``bench/import_first_load.py`` times it). These tests check
the mechanism, not the time: when the teacher summary's refresh runs, ``pg_class.reltuples`` of
every table it reads is the number of rows the transaction sees (ANALYZE reads every row of a
table this small), and the plan's estimate for the student summary is its real size. A table
locked by another ANALYZE is waited for a moment, then the import goes on without. On SQLite the
step does nothing and the import is unchanged.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text

from mypd_graph import models
from mypd_graph.importers import result_summary, statistics, writers
from mypd_graph.importers.pipeline import run_import
from mypd_graph.models import Role
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import Actor
from mypd_graph.services.students.status import stale_result_status, teacher_aggregate
from tests.conftest import TestDatabase
from tests.import_helpers import ROSTER
from tests.import_plugin import import_plugins, scores_file

__all__ = ["import_plugins"]  # the fixture, from tests.import_plugin

STUDENTS, TEACHERS, TESTS = 400, 10, 3
READ = ("assessment_result", "student_subject_status", "enrollment", "section")


async def district(db: TestDatabase) -> Actor:
    """A district with its roster committed (no results): what a first score import meets."""
    async with db.sessionmaker.begin() as session:
        district = models.District(key="fresh", name="Fresh Unified")
        session.add(district)
        await session.flush()
        school = models.School(district_id=district.id, code="F", name="Fresh Elementary")
        admin = models.User(
            district_id=district.id, email="admin@fresh.test", name="A", role=Role.DISTRICT_ADMIN
        )
        session.add_all([school, admin])
        await session.flush()
        teachers = [
            models.User(
                district_id=district.id,
                school_id=school.id,
                email=f"t{n}@fresh.test",
                name=f"Teacher {n}",
                role=Role.TEACHER.value,
            )
            for n in range(TEACHERS)
        ]
        session.add_all(teachers)
        await session.flush()
        sections = [
            models.Section(
                school_id=school.id,
                teacher_id=teacher.id,
                local_id=f"M{n}",
                name=f"Math {n}",
                subject="Math",
                school_year="2025-26",
            )
            for n, teacher in enumerate(teachers)
        ]
        session.add_all(sections)
        await session.flush()
        students = (
            await session.execute(
                insert(models.Student).returning(models.Student.id, sort_by_parameter_order=True),
                [
                    {"district_id": district.id, "local_id": f"s{n}", "first_name": "F",
                     "last_name": "L", "grade_level": "4"}
                    for n in range(STUDENTS)
                ],
            )
        ).scalars().all()  # fmt: skip
        await session.execute(
            insert(models.Enrollment),
            [
                {"section_id": sections[n % TEACHERS].id, "student_id": student}
                for n, student in enumerate(students)
            ],
        )
        return Actor(admin.id, district.id, None, Role.DISTRICT_ADMIN, admin.email)


def score_rows() -> list[str]:
    return [
        f"s{n},Test {t},2025-26,{term},{200 + n % 50},{1 + (n + t) % 4}"
        for n in range(STUDENTS)
        for t, term in enumerate(("Fall", "Winter", "Spring")[:TESTS])
    ]


async def planner_view(connection: Any, district_id: int) -> dict[str, Any]:
    """What the planner knows of the tables the refresh reads, and what they hold, right now."""
    known = dict(
        (
            await connection.execute(
                text(
                    "SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:names) "
                    "AND relnamespace = to_regnamespace(current_schema())"
                ),
                {"names": list(READ)},
            )
        ).all()
    )
    held = {
        name: (await connection.execute(text(f"SELECT count(*) FROM {name}"))).scalar_one()
        for name in READ
    }
    compiled = teacher_aggregate(district_id).compile(
        dialect=connection.dialect, compile_kwargs={"literal_binds": True}
    )
    explained = (await connection.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}"))).scalar_one()
    return {"known": known, "held": held, "plan": explained}


def scans(plan: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """Every node of ``plan`` that scans ``table``."""
    found = [plan] if plan.get("Relation Name") == table else []
    for child in plan.get("Plans", []):
        found += scans(child, table)
    return found


async def test_refresh_runs_with_statistics_of_the_first_load(
    db: TestDatabase, import_plugins: PluginSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    actor = await district(db)
    seen: list[dict[str, Any]] = []
    analyzed: list[list[str]] = []
    refresh_teacher_status = result_summary.refresh_teacher_status
    analyze_stale = statistics.analyze_stale

    async def watched_refresh(connection: Any, district_id: int, **kwargs: Any) -> None:
        if db.backend == "postgresql":
            seen.append(await planner_view(connection, district_id))
        await refresh_teacher_status(connection, district_id, **kwargs)

    async def watched_analyze(*args: Any) -> list[str]:
        analyzed.append(await analyze_stale(*args))
        return analyzed[-1]

    monkeypatch.setattr(result_summary, "refresh_teacher_status", watched_refresh)
    monkeypatch.setattr(statistics, "analyze_stale", watched_analyze)
    run = await run_import(
        db.sessionmaker, actor, "test-scores", scores_file(tmp_path, score_rows()),
        plugins=import_plugins,
    )  # fmt: skip
    assert (run.status, run.rows_inserted) == ("completed", STUDENTS * TESTS), run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, actor.district_id) == []
        summary = (await session.execute(select(models.TeacherSubjectStatus))).scalars().all()
    assert sum(row.students for row in summary) == STUDENTS and len(summary) == TEACHERS
    if db.backend == "sqlite":
        assert analyzed == [[], []]  # nothing to do: SQLite plans these well without
        return
    # Before the refresh: the results and the roster (committed, never analyzed); then the
    # student summary the refresh had just written.
    assert set(analyzed[0]) >= {"assessment_result", "enrollment", "section"}
    assert analyzed[1] == ["student_subject_status"]
    (view,) = seen
    assert view["held"]["assessment_result"] == STUDENTS * TESTS
    assert view["held"]["student_subject_status"] == STUDENTS
    for table in READ:
        assert view["known"][table] == view["held"][table], table
    (status_scan,) = scans(view["plan"][0]["Plan"], "student_subject_status")
    assert status_scan["Plan Rows"] == STUDENTS


async def test_without_the_step_the_planner_knows_nothing(
    db: TestDatabase, import_plugins: PluginSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: with the ANALYZE step switched off, the refresh meets tables the planner has
    never seen (``reltuples`` -1), which is what made PostgreSQL choose nested loops."""
    if db.backend != "postgresql":
        pytest.skip("planner statistics: PostgreSQL")
    actor = await district(db)
    seen: list[dict[str, Any]] = []
    refresh_teacher_status = result_summary.refresh_teacher_status

    async def watched_refresh(connection: Any, district_id: int, **kwargs: Any) -> None:
        seen.append(await planner_view(connection, district_id))
        await refresh_teacher_status(connection, district_id, **kwargs)

    async def no_analyze(*args: Any) -> list[str]:
        return []

    monkeypatch.setattr(result_summary, "refresh_teacher_status", watched_refresh)
    monkeypatch.setattr(statistics, "analyze_stale", no_analyze)
    run = await run_import(
        db.sessionmaker, actor, "test-scores", scores_file(tmp_path, score_rows()),
        plugins=import_plugins,
    )  # fmt: skip
    assert run.status == "completed", run.message
    (view,) = seen
    assert view["known"]["student_subject_status"] == -1
    assert view["known"]["assessment_result"] == -1


async def test_a_table_another_analyze_holds_is_waited_for_then_left(
    db: TestDatabase,
    import_plugins: PluginSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ANALYZE's lock is held to the end of its transaction: an import of another district that
    holds it must not stall this one for longer than LOCK_WAIT."""
    if db.backend != "postgresql":
        pytest.skip("ANALYZE locks: PostgreSQL")
    actor = await district(db)
    monkeypatch.setattr(statistics, "LOCK_WAIT", "200ms")
    async with db.engine.connect() as other:
        transaction = await other.begin()
        await other.execute(text("ANALYZE assessment_result"))
        with caplog.at_level(logging.WARNING, logger=statistics.__name__):
            run = await run_import(
                db.sessionmaker, actor, "test-scores", scores_file(tmp_path, score_rows()),
                plugins=import_plugins,
            )  # fmt: skip
        await transaction.rollback()
    assert run.status == "completed", run.message
    assert "ANALYZE assessment_result skipped" in caplog.text
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, actor.district_id) == []
        timeout = (await session.execute(text("SHOW lock_timeout"))).scalar_one()
    assert timeout == "0"  # the session's setting, untouched


async def test_a_roster_import_analyzes_what_its_refresh_reads(
    db: TestDatabase, import_plugins: PluginSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.factories import ADMIN, build_world
    from tests.import_helpers import actor as actor_of

    async with db.sessionmaker.begin() as session:
        world = await build_world(session)
    calls: list[tuple[str, ...]] = []
    analyze_stale = statistics.analyze_stale

    async def watched(database: Any, tables: Any) -> list[str]:
        calls.append(tuple(tables))
        return await analyze_stale(database, tables)

    monkeypatch.setattr(statistics, "analyze_stale", watched)
    admin = await actor_of(db, world, ADMIN)
    run = await run_import(db.sessionmaker, admin, "oneroster", ROSTER, plugins=import_plugins)
    assert run.status == "completed", run.message
    assert writers.ROSTER_READS in calls
    if db.backend == "postgresql":
        async with db.sessionmaker() as session:
            known = dict(
                (
                    await session.execute(
                        text(
                            "SELECT relname, reltuples FROM pg_class "
                            "WHERE relname IN ('section', 'enrollment')"
                        )
                    )
                ).all()
            )
            held = {
                name: (await session.execute(text(f"SELECT count(*) FROM {name}"))).scalar_one()
                for name in known
            }
        assert known == held


def test_the_rule_is_autovacuums() -> None:
    assert statistics.is_stale(-1, 0, filled=True)  # never analyzed, holds rows
    assert not statistics.is_stale(-1, 0, filled=False)  # never analyzed, empty
    assert statistics.is_stale(0, 700_000, filled=True)  # analyzed empty, then a load
    assert not statistics.is_stale(1_000_000, 10_000, filled=True)  # a small re-import
    assert statistics.is_stale(1_000_000, 200_000, filled=True)  # a large one
