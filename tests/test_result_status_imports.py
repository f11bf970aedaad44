"""Imports keep the summaries in step: score files and rosters through the real pipeline.

Each import refreshes ``student_subject_status`` and ``teacher_subject_status`` in its own
transaction (a first load adds its counts; a correction or a changed assessment recomputes), and a
roster import and a score import of one district may finish together. The summaries' own refresh
functions are tested in test_result_status.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update

from mypd_graph import models
from mypd_graph.importers import result_summary as results_writer
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.students.status import stale_result_status
from tests.factories import ADMIN, TEACHER_A, TEACHER_B, World
from tests.import_helpers import ROSTER
from tests.import_helpers import stored as _stored
from tests.import_helpers import teacher_rows as _teacher_rows
from tests.test_needs import actor, set_settings

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


# The generic score layout the import tests here write (csv-scores, format "generic").
SCORE_COLUMNS = {
    "student_id": "Student Number",
    "score": "Scale Score",
    "achievement_level": "Perf Level",
    "subject": "Subject",
    "date": "Test Date",
    "assessment_name": "Assessment",
}


@pytest.mark.parametrize("few_students", [2000, 1], ids=["by-student", "whole-years"])
async def test_an_import_refreshes_the_summary_and_the_needs_follow(
    db: TestDatabase,
    world: World,
    plugins: PluginSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    few_students: int,
) -> None:
    """Score files through the real pipeline: the summary is in step after each, and teacher A's
    students (below standard in the fall) meeting standard in winter and spring moves the need.
    A first load adds its counts; a correction recomputes the years it wrote (naming students when
    few, whole years when many); a changed proficient level recomputes everything."""
    monkeypatch.setattr(results_writer, "FEW_STUDENTS", few_students)
    await set_settings(db, world, minimum_group_size=2)
    who = await actor(db, world, ADMIN)
    async with db.sessionmaker.begin() as session:  # the admin reads A's needs (docs/privacy.md)
        await session.execute(
            update(models.TeacherProfile)
            .where(models.TeacherProfile.user_id == world.id(TEACHER_A))
            .values(growth_audience="supervisors")
        )

    async def math_reading() -> tuple[float | None, tuple[str, ...]]:
        async with db.sessionmaker() as session:
            found = await needs_service.assess(
                session, who, needs_service.teachers_by_ids(who, [world.id(TEACHER_A)])
            )
        need = next(n for n in found[world.id(TEACHER_A)] if n.element.code == "1.6")
        reading = need.signals[0]
        return reading.value, reading.evidence

    before = await math_reading()
    assert before[1] == (
        "100% below standard in Math, 2025-26: 3 of the teacher's 3 students "
        "with results (district: 100% of 7)"
        "; 2025-26 is the most recent complete year (fewer than 10 of the teacher's students have results in 2026-27 so far); results of MAP Growth Math",
    )
    scores = tmp_path / "benchmark.csv"
    scores.write_text(
        "Student Number,Scale Score,Perf Level,Subject,Test Date,Assessment\n"
        + "".join(
            f"{student},230,4,Math,{day},Math Benchmark\n"
            for student in ("s1", "s2", "s3")
            for day in ("2026-01-20", "2026-04-20")
        ),
        encoding="utf-8",
    )
    options = {"format": "generic", "mapping": SCORE_COLUMNS, "assessment_key": "world-benchmark"}
    run = await run_import(db.sessionmaker, who, "csv-scores", scores, options, plugins=plugins)
    assert (run.status, run.rows_inserted) == ("completed", 6), run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        # the status rule: the latest season's result (the April benchmark) decides
        assert await _stored(session, world.student_ids["s1"]) == {("Math", "2025-26"): (1, 0)}
    after = await math_reading()
    assert after[1] == (
        "0% below standard in Math, 2025-26: 0 of the teacher's 3 students "
        "with results (district: 57% of 7)"
        "; 2025-26 is the most recent complete year (fewer than 10 of the teacher's students have results in 2026-27 so far); results of MAP Growth Math and Math Benchmark",
    )
    assert after[0] is not None and before[0] is not None and after[0] < before[0]

    # A corrected file updates stored results: the years it wrote are recomputed.
    scores.write_text(scores.read_text(encoding="utf-8").replace("s1,230,4", "s1,180,1"))
    run = await run_import(db.sessionmaker, who, "csv-scores", scores, options, plugins=plugins)
    assert (run.status, run.rows_updated, run.rows_unchanged) == ("completed", 2, 4), run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert await _stored(session, world.student_ids["s1"]) == {("Math", "2025-26"): (1, 1)}

    # A file that moves the assessment's proficient level judges every stored result anew.
    run = await run_import(
        db.sessionmaker, who, "csv-scores", scores, {**options, "proficient_level": 2},
        plugins=plugins,
    )  # fmt: skip
    assert run.status == "completed", run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert await _stored(session, world.student_ids["s1"]) == {("Math", "2025-26"): (1, 1)}
        assert await _stored(session, world.student_ids["s2"]) == {("Math", "2025-26"): (1, 0)}


async def test_an_import_that_only_changes_an_assessment_refreshes_the_summary(
    db: TestDatabase, world: World, plugins: PluginSet, tmp_path: Path
) -> None:
    """Every row names an unknown student (allowed here), yet the file moves the assessment's
    proficient level: the stored results are judged anew."""
    who = await actor(db, world, ADMIN)
    scores = tmp_path / "unknown.csv"
    scores.write_text(
        "Student Number,Scale Score,Perf Level,Subject,Test Date,Assessment\n"
        "nobody,230,2,Math,2025-09-20,MAP Growth Math\n",
        encoding="utf-8",
    )
    options = {
        "format": "generic",
        "mapping": SCORE_COLUMNS,
        "assessment_key": "map-math",
        "proficient_level": 2,
        "max_error_share": 1.0,
    }
    run = await run_import(db.sessionmaker, who, "csv-scores", scores, options, plugins=plugins)
    assert (run.status, run.rows_rejected) == ("completed", 1), run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert await _stored(session, world.student_ids["s1"]) == {("Math", "2025-26"): (1, 0)}


async def test_roster_imports_keep_the_teacher_summary_in_step(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    """Sections and enrollments decide whose students are whose: a roster import recomputes the
    teacher summary in its own transaction, whether it unenrolls a student, moves a section to
    another teacher, or drops an enrollment its bulk file no longer lists."""
    plugins = load_plugins(entry_points=False)  # the built-in OneRoster importer
    admin = await actor(db, world, ADMIN)
    teacher_a, teacher_b = world.id(TEACHER_A), world.id(TEACHER_B)
    math = ("Math", "2025-26")
    async with db.sessionmaker() as session:
        assert (await _teacher_rows(session, teacher_a, world.district_id))[math] == (
            3,
            3,
        )  # s1, s2, s3

    # s3 leaves A-MATH (tobedeleted); s100 joins it, with no results yet.
    run = await run_import(db.sessionmaker, admin, "oneroster", ROSTER, plugins=plugins)
    assert run.status == "completed", run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert (await _teacher_rows(session, teacher_a, world.district_id))[math] == (2, 2)

    # A-MATH's teacher of record is now B: A has no Math students left, B has all four.
    moved = tmp_path / "moved"
    shutil.copytree(ROSTER, moved)
    enrollments = (moved / "enrollments.csv").read_text(encoding="utf-8")
    (moved / "enrollments.csv").write_text(
        enrollments.replace("A-MATH,9f1c2a60-0000-4000-8000-000000000010,t-ana", "A-MATH,"
                            "9f1c2a60-0000-4000-8000-000000000010,t-ben"), "utf-8"
    )  # fmt: skip
    run = await run_import(db.sessionmaker, admin, "oneroster", moved, plugins=plugins)
    assert run.status == "completed", run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert math not in await _teacher_rows(session, teacher_a, world.district_id)
        assert (await _teacher_rows(session, teacher_b, world.district_id))[math] == (
            4,
            4,
        )  # s1, s2 and s4, s5

    # A bulk file that no longer lists s2 in A-MATH takes them out of the class.
    dropped = tmp_path / "dropped"
    shutil.copytree(moved, dropped)
    lines = (dropped / "enrollments.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (dropped / "enrollments.csv").write_text(
        "".join(line for line in lines if not line.startswith("e-3,")), "utf-8"
    )
    run = await run_import(db.sessionmaker, admin, "oneroster", dropped, plugins=plugins)
    assert run.status == "completed", run.message
    assert "1 enrollments removed" in run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert (await _teacher_rows(session, teacher_b, world.district_id))[math] == (3, 3)


async def test_a_roster_import_and_a_score_import_may_finish_together(
    db: TestDatabase,
    world: World,
    plugins: PluginSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Through the real pipeline: a OneRoster import is held open just after refreshing the
    teacher summary (a slow commit); a score import of the same district finishes meanwhile.
    Both complete and the summaries agree with the rows."""
    from mypd_graph.importers import writers as import_writers

    refreshed, release = asyncio.Event(), asyncio.Event()
    refresh_rosters = import_writers.Writers.refresh_rosters

    async def refresh_then_hold(self: import_writers.Writers) -> None:
        await refresh_rosters(self)
        if "enrollments" in self.by_kind:
            refreshed.set()
            await release.wait()

    monkeypatch.setattr(import_writers.Writers, "refresh_rosters", refresh_then_hold)
    who = await actor(db, world, ADMIN)
    roster_run = asyncio.create_task(
        run_import(
            db.sessionmaker, who, "oneroster", ROSTER, plugins=load_plugins(entry_points=False)
        )
    )
    await asyncio.wait_for(refreshed.wait(), 30)
    scores = tmp_path / "benchmark.csv"
    scores.write_text(
        "Student Number,Scale Score,Perf Level,Subject,Test Date,Assessment\n"
        "s1,230,4,Math,2026-01-20,Math Benchmark\n",
        encoding="utf-8",
    )
    options = {"format": "generic", "mapping": SCORE_COLUMNS, "assessment_key": "world-benchmark"}
    score_run = asyncio.create_task(
        run_import(db.sessionmaker, who, "csv-scores", scores, options, plugins=plugins)
    )
    await asyncio.sleep(1.0)
    release.set()
    roster_done, scores_done = await roster_run, await score_run
    assert roster_done.status == "completed", roster_done.message
    assert scores_done.status == "completed", scores_done.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
