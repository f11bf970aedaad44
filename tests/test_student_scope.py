"""Which students a teacher sees (issue 12, section 3; docs/privacy.md): the district's student scope
holds on every path that reads students or their results, over GraphQL on both databases.

The test world's current school year is 2025-26 (its newest sections). Ana (TEACHER_A) also taught
Math in 2024-25 (student p1, who has Math and ELA results that year and Math the next) and in
2023-24 (student q1). "current" shows her only this year's students, "recent" (the default) also
p1 with his Math results only, "all" every year's students with every result.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.services.students.status import refresh_result_status, refresh_teacher_status
from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    OUTSIDER,
    PRINCIPAL_NORTH,
    TEACHER_A,
    TEACHER_B,
    World,
)
from tests.security_world import gid

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase

SCOPES = ("default", "CURRENT", "RECENT", "ALL")
# Ana's students under each scope (local ids), and p1's results she reads (subject, year).
STUDENTS = {
    "CURRENT": {"s1", "s2", "s3"},
    "RECENT": {"s1", "s2", "s3", "p1"},
    "ALL": {"s1", "s2", "s3", "p1", "q1"},
}
P1_RESULTS = {
    "CURRENT": set(),
    "RECENT": {("Math", "2024-25"), ("Math", "2025-26")},
    "ALL": {("Math", "2024-25"), ("Math", "2025-26"), ("ELA", "2024-25")},
}
YEARS = {
    "CURRENT": {"2025-26"},
    "RECENT": {"2025-26", "2024-25"},
    "ALL": {"2025-26", "2024-25", "2023-24"},
}


def effective(scope: str) -> str:
    return "RECENT" if scope == "default" else scope


class Past:
    """Ids of the rows added to the test world: sections, students, results."""

    def __init__(self) -> None:
        self.sections: dict[str, int] = {}
        self.students: dict[str, int] = {}
        self.results: dict[str, int] = {}


@pytest.fixture
async def past(db: TestDatabase, world: World) -> Past:
    ids = Past()
    async with db.sessionmaker.begin() as session:
        math = await session.scalar(
            select(models.Assessment).where(models.Assessment.key == "map-math")
        )
        assert math is not None
        ela = models.Assessment(
            district_id=world.district_id, key="sbac-ela", name="SBAC ELA", subject="ELA"
        )
        session.add(ela)
        for key, year in (("A-MATH-24", "2024-25"), ("A-MATH-23", "2023-24")):
            section = models.Section(
                school_id=world.school_ids["N"],
                teacher_id=world.id(TEACHER_A),
                local_id=key,
                name=f"Math 3 ({key})",
                subject="Math",
                grade_level="3",
                school_year=year,
            )
            session.add(section)
            await session.flush()
            ids.sections[key] = section.id
        for local_id, section_key in (("p1", "A-MATH-24"), ("q1", "A-MATH-23")):
            student = models.Student(
                district_id=world.district_id,
                school_id=world.school_ids["N"],
                local_id=local_id,
                first_name=f"First{local_id}",
                last_name=f"Last{local_id}",
                grade_level="4",
            )
            session.add(student)
            await session.flush()
            ids.students[local_id] = student.id
            session.add(
                models.Enrollment(section_id=ids.sections[section_key], student_id=student.id)
            )
        for key, student, assessment, year, day in (
            ("p1-math-24", "p1", math, "2024-25", date(2025, 5, 1)),
            ("p1-ela-24", "p1", ela, "2024-25", date(2025, 5, 2)),
            ("p1-math-25", "p1", math, "2025-26", date(2025, 9, 16)),
            ("q1-math-23", "q1", math, "2023-24", date(2024, 5, 1)),
        ):
            result = models.AssessmentResult(
                assessment_id=assessment.id,
                student_id=ids.students[student],
                school_year=year,
                term="Spring" if day.month < 7 else "Fall",
                administered_on=day,
                scale_score=210.0,
                achievement_level=3,
                percentile=50,
            )
            session.add(result)
            await session.flush()
            ids.results[key] = result.id
        await refresh_result_status(session, world.district_id)
        await refresh_teacher_status(session, world.district_id)
    return ids


SET_SCOPE = """mutation($scope: StudentScope!) {
  setStudentScope(input: {scope: $scope}) { studentScope userErrors { field message code } }
}"""


async def use_scope(client: GraphQLClient, scope: str) -> None:
    if scope == "default":
        return
    data = await client.execute(SET_SCOPE, {"scope": scope}, as_=ADMIN)
    assert data["setStudentScope"] == {"studentScope": scope, "userErrors": []}


def local_ids(connection: dict[str, Any]) -> set[str]:
    return {edge["node"]["localId"] for edge in connection["edges"]}


# every year the scope opens (a teacher's list counts the current school year by default)
TEACHER_STUDENTS = """query($id: ID!) { teacher(id: $id) {
  students(first: 100, where: {everyYear: true}) { totalCount edges { node { localId } } } } }"""


@pytest.mark.parametrize("scope", SCOPES)
async def test_teacher_students_follow_the_scope(
    client: GraphQLClient, world: World, past: Past, scope: str
) -> None:
    await use_scope(client, scope)
    data = await client.execute(
        TEACHER_STUDENTS, {"id": gid("Teacher", world.id(TEACHER_A))}, as_=TEACHER_A
    )
    students = data["teacher"]["students"]
    assert local_ids(students) == STUDENTS[effective(scope)]
    assert students["totalCount"] == len(STUDENTS[effective(scope)])


SECTION_STUDENTS = """query($id: ID!) { node(id: $id) { ... on Section {
  students(first: 100) { totalCount edges { node { localId } } } } } }"""


@pytest.mark.parametrize("scope", SCOPES)
async def test_section_students_follow_the_scope(
    client: GraphQLClient, past: Past, scope: str
) -> None:
    await use_scope(client, scope)
    seen = {}
    for key in ("A-MATH-24", "A-MATH-23"):
        data = await client.execute(
            SECTION_STUDENTS, {"id": gid("Section", past.sections[key])}, as_=TEACHER_A
        )
        # The section itself stays in view (a class's name is no student data); its students go.
        seen[key] = local_ids(data["node"]["students"])
        assert data["node"]["students"]["totalCount"] == len(seen[key])
    expected = {
        "CURRENT": {"A-MATH-24": set(), "A-MATH-23": set()},
        "RECENT": {"A-MATH-24": {"p1"}, "A-MATH-23": set()},
        "ALL": {"A-MATH-24": {"p1"}, "A-MATH-23": {"q1"}},
    }
    assert seen == expected[effective(scope)]


STUDENT_NODE = """query($id: ID!) { node(id: $id) { ... on Student {
  localId results { schoolYear assessment { subject } } } } }"""


@pytest.mark.parametrize("scope", SCOPES)
async def test_student_nodes_and_their_results_follow_the_scope(
    client: GraphQLClient, past: Past, scope: str
) -> None:
    await use_scope(client, scope)
    found = {}
    for local_id in ("p1", "q1"):
        data = await client.execute(
            STUDENT_NODE, {"id": gid("Student", past.students[local_id])}, as_=TEACHER_A
        )
        found[local_id] = data["node"]
    visible = STUDENTS[effective(scope)]
    assert (found["p1"] is not None) == ("p1" in visible)
    assert (found["q1"] is not None) == ("q1" in visible)
    if found["p1"] is not None:
        results = {(r["assessment"]["subject"], r["schoolYear"]) for r in found["p1"]["results"]}
        assert results == P1_RESULTS[effective(scope)]


RESULT_NODE = """query($id: ID!) { node(id: $id) { ... on AssessmentResult { schoolYear } } }"""


@pytest.mark.parametrize("scope", SCOPES)
async def test_result_nodes_follow_the_scope(client: GraphQLClient, past: Past, scope: str) -> None:
    await use_scope(client, scope)
    readable = set()
    for key, result_id in past.results.items():
        data = await client.execute(
            RESULT_NODE, {"id": gid("AssessmentResult", result_id)}, as_=TEACHER_A
        )
        if data["node"] is not None:
            readable.add(key)
    expected = {
        "CURRENT": set(),
        "RECENT": {"p1-math-24", "p1-math-25"},
        "ALL": {"p1-math-24", "p1-ela-24", "p1-math-25", "q1-math-23"},
    }
    assert readable == expected[effective(scope)]


GROWTH = """query($id: ID!) { teacher(id: $id) { growth {
  studentResults { subject schoolYear term } } } }"""


@pytest.mark.parametrize("scope", SCOPES)
async def test_growth_student_figures_follow_the_scope(
    client: GraphQLClient, world: World, past: Past, scope: str
) -> None:
    await use_scope(client, scope)
    data = await client.execute(GROWTH, {"id": gid("Teacher", world.id(TEACHER_A))}, as_=TEACHER_A)
    years = {row["schoolYear"] for row in data["teacher"]["growth"]["studentResults"]}
    assert years == YEARS[effective(scope)]


@pytest.mark.parametrize("viewer", [COACH, PRINCIPAL_NORTH, ADMIN])
async def test_those_who_serve_teachers_are_not_narrowed(
    client: GraphQLClient, world: World, past: Past, viewer: str
) -> None:
    await use_scope(client, "CURRENT")
    data = await client.execute(
        STUDENT_NODE, {"id": gid("Student", past.students["q1"])}, as_=viewer
    )
    assert data["node"]["localId"] == "q1"
    assert len(data["node"]["results"]) == 1
    data = await client.execute(
        TEACHER_STUDENTS, {"id": gid("Teacher", world.id(TEACHER_A))}, as_=viewer
    )
    assert local_ids(data["teacher"]["students"]) == STUDENTS["ALL"]


async def test_another_teacher_never_reads_them(client: GraphQLClient, past: Past) -> None:
    await use_scope(client, "ALL")
    for local_id in ("p1", "q1"):
        data = await client.execute(
            STUDENT_NODE, {"id": gid("Student", past.students[local_id])}, as_=TEACHER_B
        )
        assert data["node"] is None


DISTRICT_SCOPE = "{ district { studentScope } }"


async def test_only_a_district_admin_sets_the_scope_and_it_is_audited(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    for who in (TEACHER_A, COACH, PRINCIPAL_NORTH, IMPORTER):
        data = await client.execute(SET_SCOPE, {"scope": "ALL"}, as_=who)
        assert data["setStudentScope"]["studentScope"] is None
        assert data["setStudentScope"]["userErrors"][0]["code"] == "FORBIDDEN"
    data = await client.execute(DISTRICT_SCOPE, as_=ADMIN)
    assert data["district"]["studentScope"] == "RECENT"
    await use_scope(client, "CURRENT")
    data = await client.execute(DISTRICT_SCOPE, as_=TEACHER_A)
    assert data["district"]["studentScope"] == "CURRENT"
    async with db.sessionmaker() as session:
        details = list(
            await session.scalars(
                select(models.AuditEvent.detail).where(
                    models.AuditEvent.entity == "district_settings",
                    models.AuditEvent.user_id == world.id(ADMIN),
                )
            )
        )
    assert details == ["student_scope recent -> current"]


async def test_another_districts_admin_sets_only_their_own(
    client: GraphQLClient, past: Past
) -> None:
    data = await client.execute(SET_SCOPE, {"scope": "ALL"}, as_=OUTSIDER)
    assert data["setStudentScope"] == {"studentScope": "ALL", "userErrors": []}
    data = await client.execute(DISTRICT_SCOPE, as_=ADMIN)
    assert data["district"]["studentScope"] == "RECENT"
    data = await client.execute(
        STUDENT_NODE, {"id": gid("Student", past.students["q1"])}, as_=TEACHER_A
    )
    assert data["node"] is None
