"""Student data through GraphQL: results, paging and filters, flat statement counts."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, update

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from mypd_graph.services.students.status import refresh_result_status
from tests.factories import (
    ADMIN,
    COACH,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    World,
)
from tests.students_helpers import (
    RESULTS,
    TEACHER_STUDENTS,
    audit_rows,
    local_ids,
    student_gid,
    teacher_gid,
    teacher_students,
)

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase


# -------------------------------------------------------------------------
# Results
# -------------------------------------------------------------------------


@pytest.fixture
async def more_results(db: TestDatabase, world: World) -> None:
    """s1 also has an ELA result this year and a math result last year."""
    async with db.sessionmaker.begin() as session:
        ela = models.Assessment(
            district_id=world.district_id,
            key="sbac-ela",
            name="SBAC ELA",
            subject="ELA",
            vendor="SBAC",
        )
        session.add(ela)
        await session.flush()
        math_id = await session.scalar(
            select(models.Assessment.id).where(models.Assessment.key == "map-math")
        )
        s1 = world.student_ids["s1"]
        session.add_all(
            [
                models.AssessmentResult(
                    assessment_id=ela.id,
                    student_id=s1,
                    school_year="2025-26",
                    term="Spring",
                    administered_on=date(2026, 4, 20),
                    scale_score=2450.0,
                    achievement_level=3,
                    percentile=61,
                ),
                models.AssessmentResult(
                    assessment_id=math_id,
                    student_id=s1,
                    school_year="2024-25",
                    term="Spring",
                    administered_on=date(2025, 5, 1),
                    scale_score=195.0,
                    achievement_level=1,
                    percentile=22,
                ),
            ]
        )
        await session.flush()
        await refresh_result_status(session, world.district_id)


@pytest.mark.parametrize(
    ("subject", "year", "expected"),
    [
        (
            None,
            None,
            [
                ("map-math", "2024-25", 195.0),
                ("map-math", "2025-26", 201.0),
                ("sbac-ela", "2025-26", 2450.0),
            ],
        ),
        ("Math", None, [("map-math", "2024-25", 195.0), ("map-math", "2025-26", 201.0)]),
        ("ela", None, [("sbac-ela", "2025-26", 2450.0)]),
        (None, "2024-25", [("map-math", "2024-25", 195.0)]),
        ("Math", "2025-26", [("map-math", "2025-26", 201.0)]),
        ("Science", None, []),
    ],
)
async def test_results_filter_by_subject_and_year(
    client: GraphQLClient,
    world: World,
    more_results: None,
    subject: str | None,
    year: str | None,
    expected: list[tuple[str, str, float]],
) -> None:
    variables = {"id": student_gid(world, "s1"), "subject": subject, "year": year}
    data = await client.execute(RESULTS, variables, as_=TEACHER_A)
    results = data["node"]["results"]
    got = [(r["assessment"]["key"], r["schoolYear"], r["scaleScore"]) for r in results]
    assert sorted(got) == sorted(expected)


async def test_result_fields_and_node(client: GraphQLClient, world: World) -> None:
    data = await client.execute(RESULTS, {"id": student_gid(world, "s2")}, as_=TEACHER_A)
    [result] = data["node"]["results"]
    assert result["administeredOn"] == "2025-09-15"
    assert (result["term"], result["achievementLevel"], result["percentile"]) == ("Fall", 2, 40)
    assert result["assessment"]["name"] == "MAP Growth Math"
    query = "query ($id: ID!) { node(id: $id) { ... on AssessmentResult { scaleScore } } }"
    assert (await client.execute(query, {"id": result["id"]}, as_=COACH))["node"] == {
        "scaleScore": 202.0
    }
    for outsider in (TEACHER_B, PRINCIPAL_SOUTH, OUTSIDER):
        assert (await client.execute(query, {"id": result["id"]}, as_=outsider))["node"] is None


# -------------------------------------------------------------------------
# Paging and filters
# -------------------------------------------------------------------------


async def test_keyset_pages_walk_every_student_once(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    first = await teacher_students(client, world, TEACHER_B, as_=PRINCIPAL_NORTH, first=1)
    assert [edge["node"]["localId"] for edge in first["edges"]] == ["s4"]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][-1]["cursor"]}
    assert first["totalCount"] == 2
    # Only the student shown is disclosed, not the one fetched to learn that a next page exists.
    # (The principal's read of Ben's profile is recorded too: tests/test_audit_reads.py.)
    [event] = [
        event
        for event in await audit_rows(db)
        if event.action == "read" and event.entity == "student"
    ]
    assert event.entity_ids == [str(world.student_ids["s4"])]
    second = await teacher_students(
        client, world, TEACHER_B, as_=PRINCIPAL_NORTH, first=1, after=first["pageInfo"]["endCursor"]
    )
    assert [edge["node"]["localId"] for edge in second["edges"]] == ["s5"]
    assert second["pageInfo"]["hasNextPage"] is False
    last = await teacher_students(
        client, world, TEACHER_B, as_=PRINCIPAL_NORTH, after=second["pageInfo"]["endCursor"]
    )
    assert last["edges"] == [] and last["pageInfo"] == {"hasNextPage": False, "endCursor": None}


async def test_section_students_page_too(client: GraphQLClient, world: World) -> None:
    query = """query ($id: ID!, $after: String) { node(id: $id) { ... on Section {
        students(first: 2, after: $after) { pageInfo { hasNextPage endCursor } nodes { localId } }
    } } }"""
    variables: dict[str, Any] = {"id": to_global_id("Section", world.section_ids["A-MATH"])}
    page = (await client.execute(query, variables, as_=TEACHER_A))["node"]["students"]
    assert local_ids(page) == ["s1", "s2"] and page["pageInfo"]["hasNextPage"]
    variables["after"] = page["pageInfo"]["endCursor"]
    page = (await client.execute(query, variables, as_=TEACHER_A))["node"]["students"]
    assert local_ids(page) == ["s3"] and not page["pageInfo"]["hasNextPage"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"first": 101}, "first must be between 0 and 100, got 101"),
        ({"first": -1}, "first must be between 0 and 100, got -1"),
        ({"after": "not-a-cursor"}, "'not-a-cursor' is not a cursor this API returned"),
        ({"where": {"sectionId": "bogus"}}, "is not an ID this API issued"),
        (
            {"where": {"sectionId": to_global_id("Teacher", 1)}},
            "expected the ID of a Section, got a Teacher",
        ),
    ],
)
async def test_bad_paging_arguments_are_clear_errors(
    client: GraphQLClient, world: World, arguments: dict[str, Any], message: str
) -> None:
    variables = {"id": teacher_gid(world, TEACHER_A), "first": 25, **arguments}
    body = await client.raw(TEACHER_STUDENTS, variables, as_=TEACHER_A)
    assert body["data"] == {"teacher": None}
    assert [message in error["message"] for error in body["errors"]] == [True], body


async def test_page_size_of_100_is_allowed(client: GraphQLClient, world: World) -> None:
    page = await teacher_students(client, world, TEACHER_A, as_=TEACHER_A, first=100)
    assert len(page["edges"]) == 3


async def test_filter_by_section(client: GraphQLClient, world: World) -> None:
    a_math = to_global_id("Section", world.section_ids["A-MATH"])
    b_math = to_global_id("Section", world.section_ids["B-MATH"])
    own = await teacher_students(client, world, TEACHER_A, as_=ADMIN, where={"sectionId": a_math})
    assert [e["node"]["localId"] for e in own["edges"]] == ["s1", "s2", "s3"]
    other = await teacher_students(client, world, TEACHER_A, as_=ADMIN, where={"sectionId": b_math})
    assert other["edges"] == [] and other["totalCount"] == 0


async def test_filter_by_grade_level_and_name(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.Student)
            .where(models.Student.id == world.student_ids["s2"])
            .values(grade_level="5", first_name="Zoë", last_name="O'Brien_x")
        )
    fifth = await teacher_students(
        client, world, TEACHER_A, as_=TEACHER_A, where={"gradeLevel": "5"}
    )
    assert [e["node"]["localId"] for e in fifth["edges"]] == ["s2"]
    assert fifth["totalCount"] == 1
    for text, expected in [
        ("o'brien", ["s2"]),
        ("LASTS3", ["s3"]),
        ("zoë o'b", ["s2"]),
        ("_", ["s2"]),
        ("%", []),
        ("first", ["s1", "s3"]),
    ]:
        page = await teacher_students(
            client, world, TEACHER_A, as_=TEACHER_A, where={"nameContains": text}
        )
        assert [e["node"]["localId"] for e in page["edges"]] == expected, text


# -------------------------------------------------------------------------
# Statement counts stay flat as rows grow
# -------------------------------------------------------------------------


async def add_student(
    db: TestDatabase, world: World, local_id: str, section: str, **fields: Any
) -> int:
    """One more student in a section of the world, with a Fall math result."""
    async with db.sessionmaker.begin() as session:
        section_row = await session.get_one(models.Section, world.section_ids[section])
        assessment_id = await session.scalar(
            select(models.Assessment.id).where(models.Assessment.key == "map-math")
        )
        student = models.Student(
            district_id=world.district_id,
            school_id=section_row.school_id,
            local_id=local_id,
            first_name=fields.pop("first_name", f"First{local_id}"),
            last_name=fields.pop("last_name", f"Last{local_id}"),
            grade_level=fields.pop("grade_level", "4"),
        )
        session.add(student)
        await session.flush()
        session.add(models.Enrollment(section_id=section_row.id, student_id=student.id))
        session.add(
            models.AssessmentResult(
                assessment_id=assessment_id,
                student_id=student.id,
                school_year="2025-26",
                term="Fall",
                administered_on=date(2025, 9, 15),
                scale_score=210.0,
                achievement_level=3,
                percentile=55,
            )
        )
        await session.flush()
        await refresh_result_status(session, world.district_id)
    world.student_ids[local_id] = student.id
    return student.id


async def add_teacher_with_section(db: TestDatabase, world: World, email: str) -> None:
    """A North teacher with a section of their own (so lists of teachers grow too)."""
    async with db.sessionmaker.begin() as session:
        user = models.User(
            district_id=world.district_id,
            school_id=world.school_ids["N"],
            email=email,
            name=email.split("@")[0],
            role=models.Role.TEACHER.value,
        )
        session.add(user)
        await session.flush()
        session.add(models.TeacherProfile(user_id=user.id, school_id=world.school_ids["N"]))
        section = models.Section(
            school_id=world.school_ids["N"],
            teacher_id=user.id,
            local_id=f"SEC-{user.id}",
            name=f"Math ({email})",
            subject="Math",
            grade_level="4",
            school_year="2025-26",
        )
        session.add(section)
        await session.flush()
    world.user_ids[email] = user.id
    world.section_ids[section.local_id] = section.id


WIDE_QUERY = """
{ district { teachers(first: 10) { nodes {
    name
    sections { name students(first: 50) { nodes { localId } } }
    students(first: 60) { nodes {
        localId school { name }
        results { scaleScore assessment { key } }
        mathOnly: results(subject: "Math") { percentile }
    } }
} } } }
"""


async def count_wide_query(client: GraphQLClient, db: TestDatabase, as_: str) -> tuple[int, int]:
    with db.count_statements() as counter:
        data = await client.execute(WIDE_QUERY, as_=as_)
    students = sum(
        len(teacher["students"]["nodes"]) for teacher in data["district"]["teachers"]["nodes"]
    )
    return counter.count, students


@pytest.mark.parametrize("viewer", [TEACHER_A, ADMIN])
async def test_statement_count_does_not_grow_with_students_or_teachers(
    client: GraphQLClient, db: TestDatabase, world: World, viewer: str
) -> None:
    few_statements, few_students = await count_wide_query(client, db, viewer)
    for number in range(50):
        await add_student(db, world, f"n{number}", "A-MATH")
    for number in range(3):
        email = f"new{number}@test.mypd"
        await add_teacher_with_section(db, world, email)
        await add_student(db, world, f"t{number}", f"SEC-{world.id(email)}")
    many_statements, many_students = await count_wide_query(client, db, viewer)
    assert many_students >= few_students + 50
    assert many_statements == few_statements
