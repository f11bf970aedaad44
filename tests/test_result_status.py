"""The per-student status summary (``student_subject_status``) stays in step with the results.

Needs and district views read the summary instead of grouping every result on every request, so
every writer of results must refresh it. These tests hold each writer to that, and check that the
summary is what the results say (:func:`stale_result_status` recomputes it from the results). The
writers that are imports are held to it in test_result_status_imports.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.db import create_engine, create_sessionmaker
from mypd_graph.demo import load_demo
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
    TEACHER_C,
    World,
)
from tests.import_helpers import stored as _stored
from tests.import_helpers import teacher_rows as _teacher_rows
from tests.test_needs import actor, add_students, set_settings

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


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


async def test_the_summary_counts_scored_and_below_standard_results(
    db: TestDatabase, world: World
) -> None:
    """Four results of one student (fall level 2, winter 1, spring unscored, summer 4): the
    status rule counts only the latest season's judged results, summer's level 4."""
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
        assert await _stored(session, student) == {("Math", "2025-26"): (1, 0)}
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
                select(*list(models.TeacherSubjectStatus.__table__.columns)[:6]).where(
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
