"""Student data deletion and retention (issue 12.3): ``mypd-graph students delete|purge``.

On both databases: the student's (or the old years') results, enrollments and sections go, the
summaries are exactly what the remaining data says (the staleness check), GraphQL readers see the
change, other districts are untouched, and the audit trail keeps a tombstone.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.services.students.status import refresh_result_status, stale_result_status
from tests.conftest import GraphQLClient, TestDatabase
from tests.factories import ADMIN, TEACHER_A, World
from tests.students_helpers import local_ids, teacher_students
from tests.test_audit_trail import trail
from tests.test_audit_trail_export import run_cli


async def counts(db: TestDatabase, student_id: int) -> dict[str, int]:
    async with db.sessionmaker() as session:
        found = {}
        for name, model in (
            ("results", models.AssessmentResult),
            ("enrollments", models.Enrollment),
            ("summaries", models.StudentSubjectStatus),
            ("students", models.Student),
        ):
            column = model.id if model is models.Student else model.student_id
            found[name] = int(
                await session.scalar(select(func.count()).where(column == student_id)) or 0
            )
        return found


async def teacher_summary(db: TestDatabase, world: World, email: str) -> list[tuple]:
    async with db.sessionmaker() as session:
        status = models.TeacherSubjectStatus
        rows = await session.execute(
            select(status.school_year, status.subject, status.students, status.below).where(
                status.teacher_id == world.id(email)
            )
        )
        return sorted(tuple(row) for row in rows)


async def test_deleting_a_student_removes_their_data_and_leaves_a_tombstone(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    s1 = world.student_ids["s1"]
    assert await counts(db, s1) == {"results": 1, "enrollments": 1, "summaries": 1, "students": 1}
    assert await teacher_summary(db, world, TEACHER_A) == [("2025-26", "Math", 3, 3)]
    await teacher_students(client, world, TEACHER_A, as_=TEACHER_A)  # a read naming s1

    result, _ = await run_cli(
        db, "students", "delete", "--district", "test", "--local-id", "s1", "--reason", "FR-7"
    )
    assert result.exit_code == 0, result.output
    assert result.output == "deleted student s1: 1 results, 1 enrollments\n"
    assert await counts(db, s1) == {"results": 0, "enrollments": 0, "summaries": 0, "students": 0}
    assert await teacher_summary(db, world, TEACHER_A) == [("2025-26", "Math", 2, 2)]
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        assert await stale_result_status(session, world.other_district_id) == []
        assert (
            await session.scalar(select(func.count()).select_from(models.Student))
            == len(world.student_ids) - 1
        )

    students = await teacher_students(client, world, TEACHER_A, as_=TEACHER_A)
    assert local_ids({"nodes": [e["node"] for e in students["edges"]]}) == ["s2", "s3"]
    tombstone = await trail(client, action="student_deleted")
    assert len(tombstone) == 1
    assert tombstone[0]["entityIds"] == [str(s1)]
    assert tombstone[0]["detail"] == "local id s1: 1 results, 1 enrollments removed; FR-7"
    assert tombstone[0]["actor"] == {"userId": None, "email": None, "name": None, "role": None}
    # the earlier read is still there: the trail is append-only
    reads = [e for e in await trail(client, action="read") if e["entity"] == "student"]
    assert reads and all(e["actor"]["email"] == TEACHER_A for e in reads)


async def test_deleting_an_unknown_student_changes_nothing(db: TestDatabase, world: World) -> None:
    for district, local_id in (("test", "nobody"), ("other", "s1"), ("test", "x1")):
        result, _ = await run_cli(
            db, "students", "delete", "--district", district, "--local-id", local_id
        )
        assert result.exit_code == 1
        assert f"no student with local id {local_id!r}" in result.output
    assert (await counts(db, world.student_ids["x1"]))["students"] == 1


async def add_last_year(db: TestDatabase, world: World) -> None:
    """Ana taught s1 and a student who has since left (s0) in 2024-25; both have results."""
    async with db.sessionmaker.begin() as session:
        math = await session.scalar(
            select(models.Assessment).where(models.Assessment.key == "map-math")
        )
        assert math is not None
        gone = models.Student(
            district_id=world.district_id,
            school_id=world.school_ids["N"],
            local_id="s0",
            first_name="Left",
            last_name="Early",
        )
        session.add(gone)
        section = models.Section(
            school_id=world.school_ids["N"],
            teacher_id=world.id(TEACHER_A),
            local_id="A-MATH-24",
            name="Math 3",
            subject="Math",
            school_year="2024-25",
        )
        session.add(section)
        await session.flush()
        for student_id in (gone.id, world.student_ids["s1"]):
            session.add(models.Enrollment(section_id=section.id, student_id=student_id))
            session.add(
                models.AssessmentResult(
                    assessment_id=math.id,
                    student_id=student_id,
                    school_year="2024-25",
                    term="Spring",
                    administered_on=date(2025, 5, 1),
                    scale_score=210.0,
                    achievement_level=3,
                )
            )
        await session.flush()
        await refresh_result_status(session, world.district_id)


async def test_purge_applies_the_retention_rule(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    await add_last_year(db, world)
    assert await teacher_summary(db, world, TEACHER_A) == [
        ("2024-25", "Math", 2, 0),
        ("2025-26", "Math", 3, 3),
    ]
    result, _ = await run_cli(db, "students", "purge", "--district", "test", "--before", "2025-26")
    assert result.exit_code == 0, result.output
    assert result.output == (
        "purged school years before 2025-26: 2 results, 2 enrollments, 1 sections, 1 students\n"
    )
    assert await teacher_summary(db, world, TEACHER_A) == [("2025-26", "Math", 3, 3)]
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
        years = set(await session.scalars(select(models.AssessmentResult.school_year)))
        assert years == {"2025-26"}
        kept = set(await session.scalars(select(models.Student.local_id)))
        assert "s0" not in kept and {"s1", "x1"} <= kept, "s1 is enrolled this year"
    tombstone = await trail(client, action="student_purge", as_=ADMIN)
    assert [e["entityIds"] for e in tombstone] == [["2024-25"]]
    again, _ = await run_cli(db, "students", "purge", "--district", "test", "--before", "2025-26")
    assert again.exit_code == 0 and "0 results, 0 enrollments, 0 sections" in again.output


async def test_purge_refuses_a_bad_school_year(db: TestDatabase, world: World) -> None:
    result, _ = await run_cli(db, "students", "purge", "--district", "test", "--before", "2025")
    assert result.exit_code == 1 and "2025-26" in result.output
