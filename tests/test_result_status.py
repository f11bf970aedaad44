"""The per-student status summary (``student_subject_status``) stays in step with the results.

Needs and district views read the summary instead of grouping every result on every request, so
every writer of results must refresh it. These tests hold each writer to that, and check that the
summary is what the results say (:func:`stale_result_status` recomputes it from the results).
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.db import create_engine, create_sessionmaker
from mypd_graph.demo import load_demo
from mypd_graph.importers import results as results_writer
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.services.access import visible_student_ids, visible_teacher_ids
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.students.figures import WHOLE_ROSTER_ROLES, _per_teacher
from mypd_graph.services.students.status import (
    refresh_result_status,
    refresh_teacher_status,
    stale_result_status,
    teacher_aggregate,
)
from tests.factories import (
    ADMIN,
    COACH,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    World,
)
from tests.test_needs import actor, add_students, set_settings

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


async def _stored(session: AsyncSession, student_id: int) -> dict[tuple[str, str], tuple[int, int]]:
    rows = await session.execute(
        select(
            models.StudentSubjectStatus.subject,
            models.StudentSubjectStatus.school_year,
            models.StudentSubjectStatus.scored,
            models.StudentSubjectStatus.below,
        ).where(models.StudentSubjectStatus.student_id == student_id)
    )
    return {(subject, year): (scored, below) for subject, year, scored, below in rows}


async def test_the_demo_loads_its_summary_with_its_results(db: TestDatabase) -> None:
    async with db.sessionmaker.begin() as session:
        await load_demo(session)
    async with db.sessionmaker() as session:
        district = await session.scalar(select(models.District.id))
        assert district is not None
        assert await stale_result_status(session, district) == []
        rows = await session.scalar(select(func.count()).select_from(models.StudentSubjectStatus))
        students = await session.scalar(
            select(func.count(func.distinct(models.AssessmentResult.student_id)))
        )
        assert rows and students and rows >= students  # at least one subject-year each


async def _teacher_rows(
    session: AsyncSession, teacher_id: int, district_id: int | None = None
) -> dict[tuple, tuple[int, int]]:
    """``{(subject, year): (students, below)}`` of one district, or keyed with the district too."""
    summary = models.TeacherSubjectStatus
    rows = await session.execute(
        select(
            summary.subject,
            summary.school_year,
            summary.district_id,
            summary.students,
            summary.below,
        ).where(summary.teacher_id == teacher_id)
    )
    if district_id is None:
        return {(subject, year, district): (n, below) for subject, year, district, n, below in rows}
    return {
        (subject, year): (n, below)
        for subject, year, district, n, below in rows
        if district == district_id
    }


async def test_the_summary_counts_scored_and_below_standard_results(
    db: TestDatabase, world: World
) -> None:
    """Three results of one student: two below the proficient level (3), one unscored."""
    [student] = await add_students(db, world, "A-MATH", [2], prefix="c")
    async with db.sessionmaker.begin() as session:
        math = await session.scalar(
            select(models.AssessmentResult.assessment_id).where(
                models.AssessmentResult.student_id == student
            )
        )
        for term, level in (("Winter", 1), ("Spring", None), ("Summer", 4)):
            session.add(
                models.AssessmentResult(
                    assessment_id=math,
                    student_id=student,
                    school_year="2025-26",
                    term=term,
                    achievement_level=level,
                )
            )
        await session.flush()
        await refresh_result_status(session, world.district_id, students=[student])
    async with db.sessionmaker() as session:
        assert await _stored(session, student) == {("Math", "2025-26"): (3, 2)}
        assert await stale_result_status(session, world.district_id) == []


async def test_a_refresh_touches_only_the_students_and_years_it_is_given(
    db: TestDatabase, world: World
) -> None:
    first, second = await add_students(db, world, "A-MATH", [1, 1], prefix="r")
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.AssessmentResult)
            .where(models.AssessmentResult.student_id.in_([first, second]))
            .values(achievement_level=4)
        )
    async with db.sessionmaker.begin() as session:
        assert len(await stale_result_status(session, world.district_id)) == 4  # 2 missing, 2 extra
        await refresh_result_status(session, world.district_id, school_years=["2024-25"])
        assert len(await stale_result_status(session, world.district_id)) == 4
        await refresh_result_status(session, world.district_id, students=[first])
        assert await _stored(session, first) == {("Math", "2025-26"): (1, 0)}
        assert await _stored(session, second) == {("Math", "2025-26"): (1, 1)}  # not asked
        await refresh_result_status(session, world.district_id, school_years=["2025-26"])
        assert await stale_result_status(session, world.district_id) == []


async def test_a_refresh_leaves_other_districts_alone(db: TestDatabase, world: World) -> None:
    async with db.sessionmaker.begin() as session:
        far_test = models.Assessment(
            district_id=world.other_district_id, key="far", name="Far Math", subject="Math"
        )
        session.add(far_test)
        await session.flush()
        session.add(
            models.AssessmentResult(
                assessment_id=far_test.id,
                student_id=world.student_ids["x1"],
                school_year="2025-26",
                term="Fall",
                achievement_level=1,
            )
        )
        # hand-made data no importer makes: the other district's student in our A-MATH
        session.add(
            models.Enrollment(
                section_id=world.section_ids["A-MATH"], student_id=world.student_ids["x1"]
            )
        )
        await session.flush()
        await refresh_result_status(session, world.other_district_id)
        await refresh_result_status(session, world.district_id)  # every year, every student
        assert await _stored(session, world.student_ids["x1"]) == {("Math", "2025-26"): (1, 1)}
        assert await stale_result_status(session, world.other_district_id) == []
        assert await stale_result_status(session, world.district_id) == []
        # each district's figures for teacher A count that district's results only
        assert await _teacher_rows(session, world.id(TEACHER_A)) == {
            ("Math", "2025-26", world.district_id): (3, 3),
            ("Math", "2025-26", world.other_district_id): (1, 1),
        }


async def test_deleting_a_student_deletes_their_summary(db: TestDatabase, world: World) -> None:
    """The student's own rows go with them (a cascade); their teachers' counts change, so whoever
    deletes students (their enrollments go too) refreshes the teacher summary."""
    [student] = await add_students(db, world, "A-MATH", [2], prefix="d")
    async with db.sessionmaker.begin() as session:
        assert await _stored(session, student)
        await session.execute(delete(models.Student).where(models.Student.id == student))
        assert [row[:2] for row in await stale_result_status(session, world.district_id)] == [
            ("missing", "teacher"),
            ("extra", "teacher"),
        ]
        await refresh_teacher_status(session, world.district_id)
    async with db.sessionmaker() as session:
        assert await _stored(session, student) == {}
        assert await stale_result_status(session, world.district_id) == []


async def test_needs_are_the_same_on_a_session_bound_to_a_connection(
    db: TestDatabase, world: World
) -> None:
    """The students' results are read on a connection of their own when the session has an
    engine to open one on; a session bound to one connection reads them in turn, the same."""
    await set_settings(db, world, minimum_group_size=2)
    await add_students(db, world, "A-MATH", [1, 2, 3, 4], prefix="b")
    who = await actor(db, world, ADMIN)

    def figures(found: dict[int, needs_service.RankedNeeds]) -> dict[int, list[tuple]]:
        return {
            teacher: [(n.element.code, n.score, n.rank, n.values, n.summary) for n in needs]
            for teacher, needs in found.items()
        }

    async with db.sessionmaker() as session:
        on_engine = figures(await needs_service.assess(session, who, visible_teacher_ids(who)))
    async with db.engine.connect() as connection, AsyncSession(bind=connection) as session:
        on_connection = figures(await needs_service.assess(session, who, visible_teacher_ids(who)))
    assert on_engine == on_connection
    assert any(n[1] is not None for needs in on_engine.values() for n in needs)


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
        "100% of the teacher's 3 students below standard in Math, 2025-26 (district: 100% of 7)",
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
        assert await _stored(session, world.student_ids["s1"]) == {("Math", "2025-26"): (3, 1)}
    after = await math_reading()
    assert after[1] == (
        "0% of the teacher's 3 students below standard in Math, 2025-26 (district: 57% of 7)",
    )
    assert after[0] is not None and before[0] is not None and after[0] < before[0]

    # A corrected file updates stored results: the years it wrote are recomputed.
    scores.write_text(scores.read_text(encoding="utf-8").replace("s1,230,4", "s1,180,1"))
    run = await run_import(db.sessionmaker, who, "csv-scores", scores, options, plugins=plugins)
    assert (run.status, run.rows_updated, run.rows_unchanged) == ("completed", 2, 4), run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert await _stored(session, world.student_ids["s1"]) == {("Math", "2025-26"): (3, 3)}

    # A file that moves the assessment's proficient level judges every stored result anew.
    run = await run_import(
        db.sessionmaker, who, "csv-scores", scores, {**options, "proficient_level": 2},
        plugins=plugins,
    )  # fmt: skip
    assert run.status == "completed", run.message
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert await _stored(session, world.student_ids["s1"]) == {("Math", "2025-26"): (3, 3)}
        assert await _stored(session, world.student_ids["s2"]) == {("Math", "2025-26"): (3, 1)}


async def test_needs_never_wait_for_a_second_connection(db: TestDatabase, world: World) -> None:
    """Reading the students' results apart takes a second connection only when the pool has one
    to spare: requests that each hold one must not wait for another (a starved pool)."""
    await set_settings(db, world, minimum_group_size=2)
    await add_students(db, world, "A-MATH", [1, 2, 3, 4], prefix="p")
    who = await actor(db, world, ADMIN)
    url = db.engine.url.render_as_string(hide_password=False)
    engine = create_engine(url, pool_size=2, max_overflow=0, pool_timeout=2)
    try:
        sessionmaker = create_sessionmaker(engine)

        async def one() -> dict[int, list[tuple]]:
            async with sessionmaker() as session:
                found = await needs_service.assess(session, who, visible_teacher_ids(who))
                return {t: [(n.element.code, n.score) for n in needs] for t, needs in found.items()}

        answers = await asyncio.gather(*(one() for _ in range(3)))
        assert answers[0] and answers[0] == answers[1] == answers[2]
    finally:
        await engine.dispose()


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


ROSTER = Path(__file__).parent / "fixtures" / "rosters" / "test_unified"


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


@pytest.mark.parametrize(
    "email", [ADMIN, TEACHER_A, TEACHER_C, COACH, PRINCIPAL_NORTH, PRINCIPAL_SOUTH]
)
async def test_every_role_reads_the_figures_its_own_students_give(
    db: TestDatabase, world: World, email: str
) -> None:
    """Roles that may read every student of the teachers they see read the teacher summary; the
    figures must be what the rows give when narrowed to the students the actor may read. A
    principal's figures are computed from the rows so narrowed: here South's teacher C also
    teaches a Math class at North, whose student South's principal may not read or count."""
    async with db.sessionmaker.begin() as session:
        section = models.Section(
            school_id=world.school_ids["N"],
            teacher_id=world.id(TEACHER_C),
            local_id="C-NORTH-MATH",
            name="Math 4 (C at North)",
            subject="Math",
            grade_level="4",
            school_year="2025-26",
        )
        session.add(section)
        await session.flush()
        session.add(models.Enrollment(section_id=section.id, student_id=world.student_ids["s1"]))
        await session.flush()
        await refresh_teacher_status(session, world.district_id)
    who = await actor(db, world, email)
    teachers = visible_teacher_ids(who)
    narrowed = models.Enrollment.student_id.in_(visible_student_ids(who))
    async with db.sessionmaker() as session:
        read = set(await session.execute(_per_teacher(who, teachers, ["2025-26"])))
        rows = set(
            await session.execute(
                teacher_aggregate(world.district_id, ["2025-26"], teachers, narrowed)
            )
        )
    assert read == rows
    assert read or email == PRINCIPAL_SOUTH  # South's only Math student with results is North's
    if who.role in WHOLE_ROSTER_ROLES:
        return
    # South's principal really sees less than the summary holds; North's sees all of it
    summary = await _summary_for(db, teachers)
    assert (rows == summary) == (email == PRINCIPAL_NORTH)


async def _summary_for(db: TestDatabase, teachers) -> set[tuple]:
    async with db.sessionmaker() as session:
        return set(
            await session.execute(
                select(*models.TeacherSubjectStatus.__table__.columns).where(
                    models.TeacherSubjectStatus.teacher_id.in_(teachers),
                    models.TeacherSubjectStatus.school_year == "2025-26",
                )
            )
        )


@pytest.mark.parametrize("first", ["roster", "results"])
async def test_refreshes_of_one_district_take_turns(
    db: TestDatabase, world: World, first: str
) -> None:
    """A roster change and a results refresh overlapping (PostgreSQL, READ COMMITTED): the second
    waits for the first to commit, then recomputes from what it committed, so neither fails on
    the key nor leaves rows the other made wrong."""
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has one writer")
    district = world.district_id
    async with db.sessionmaker() as roster, db.sessionmaker() as results:
        await roster.begin()
        await results.begin()
        await roster.execute(  # A-MATH loses every student
            delete(models.Enrollment).where(
                models.Enrollment.section_id == world.section_ids["A-MATH"]
            )
        )

        async def refresh_roster() -> None:
            await refresh_teacher_status(roster, district)

        async def refresh_results() -> None:
            students = [world.student_ids["s1"]]
            await refresh_result_status(
                results, district, school_years=["2025-26"], students=students
            )

        earlier, later = (roster, results) if first == "roster" else (results, roster)
        order = [refresh_roster, refresh_results]
        if first == "results":
            order.reverse()
        await order[0]()
        waiting = asyncio.create_task(order[1]())
        await asyncio.sleep(0.5)
        assert not waiting.done(), "the second refresh waits for the first transaction"
        await earlier.commit()
        await asyncio.wait_for(waiting, 10)
        await later.commit()
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, district) == []
        assert await _teacher_rows(session, world.id(TEACHER_A), district) == {}


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
