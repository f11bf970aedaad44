"""Security: student data through aggregates, counts and filters, and the audit of every read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mypd_graph.schema.relay import from_global_id
from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_C,
)
from tests.security_helpers import STUDENT_PAGE, audit_events, ids_in, nodes
from tests.security_world import EVERYONE, OTHER_TEACHER, READERS, ROSTERS, TEACHERS, Rich, gid
from tests.security_world import rich as rich  # the fixture, found by its name

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase


async def audited(db: TestDatabase, user_id: int, entity: str) -> set[int]:
    return {
        int(entity_id)
        for event in await audit_events(db, user_id)
        if event.entity == entity
        for entity_id in event.entity_ids
    }


def db_ids(global_ids: set[str], type_name: str) -> set[int]:
    decoded = (from_global_id(global_id) for global_id in global_ids)
    return {db_id for found_type, db_id in decoded if found_type == type_name}


# --------------------------------------------------------------------------------------------------
# Student data through aggregates, counts and filters
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("viewer", "teacher", "section"),
    [
        (TEACHER_A, TEACHER_A, "B-MATH"),
        (TEACHER_A, TEACHER_A, "C-ELA"),
        (TEACHER_A, TEACHER_A, "X-ELA"),
        (COACH, TEACHER_A, "B-MATH"),
        (PRINCIPAL_NORTH, TEACHER_A, "C-ELA"),
        (OUTSIDER, OTHER_TEACHER, "A-MATH"),
    ],
)
async def test_filtering_by_someone_elses_section_finds_and_counts_nothing(
    client: GraphQLClient, rich: Rich, viewer: str, teacher: str, section: str
) -> None:
    data = await client.execute(
        STUDENT_PAGE,
        {
            "t": rich.owned[teacher].ids["teacher"],
            "w": {"sectionId": gid("Section", rich.world.section_ids[section])},
            "first": 10,
        },
        as_=viewer,
    )
    page = data["teacher"]["students"]
    assert page == {"totalCount": 0, "pageInfo": {"hasNextPage": False}, "nodes": []}


@pytest.mark.parametrize(
    ("viewer", "teachers", "students"),
    [
        (TEACHER_A, 1, 3),
        (TEACHER_C, 1, 2),
        (COACH, 1, 3),
        (PRINCIPAL_NORTH, 2, 5),
        (PRINCIPAL_SOUTH, 1, 2),
        (ADMIN, 3, 7),
        (OUTSIDER, 1, 1),
        (OTHER_TEACHER, 1, 1),
        (IMPORTER, 0, 0),
    ],
)
async def test_counts_match_the_viewers_scope(
    client: GraphQLClient, rich: Rich, viewer: str, teachers: int, students: int
) -> None:
    """totalCount, filters with wildcards and filters on other schools never count outside scope.

    Name filters match text literally ("%" and "_" are not wildcards), as student filters do."""
    query = """query($north: ID!) {
      district { teachers(first: 10) { totalCount nodes { students(first: 0) { totalCount } } }
        wild: teachers(where: {nameContains: "%"}) { totalCount }
        under: teachers(where: {nameContains: "_"}) { totalCount }
        north: teachers(where: {schoolId: $north}) { totalCount }
        submitted: teachers(where: {planStatus: SUBMITTED}) { totalCount }
        focused: teachers(where: {focusElementCode: "1.1"}) { totalCount } } }"""
    data = await client.execute(
        query, {"north": gid("School", rich.world.school_ids["N"])}, as_=viewer
    )
    district = data["district"]
    assert district["teachers"]["totalCount"] == teachers
    counted = sum(node["students"]["totalCount"] for node in district["teachers"]["nodes"])
    assert counted == students
    for name in ("submitted", "focused"):
        assert district[name]["totalCount"] == teachers, name
    assert district["wild"]["totalCount"] == district["under"]["totalCount"] == 0
    assert district["north"]["totalCount"] <= teachers
    if rich.district_of_user[viewer] != rich.world.district_id:
        assert district["north"]["totalCount"] == 0


async def test_student_name_filters_do_not_escape_scope(client: GraphQLClient, rich: Rich) -> None:
    a = rich.owned[TEACHER_A].ids["teacher"]
    for pattern, expected in (("%", 0), ("_", 0), ("First", 3), ("Firsts4", 0), ("Away", 0)):
        data = await client.execute(
            STUDENT_PAGE, {"t": a, "w": {"nameContains": pattern}, "first": 10}, as_=TEACHER_A
        )
        assert data["teacher"]["students"]["totalCount"] == expected, pattern


async def test_counting_students_by_name_is_audited(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """A teacher can test guesses about a student's name one count at a time, reading no row."""
    a = rich.owned[TEACHER_A].ids["teacher"]
    data = await client.execute(
        STUDENT_PAGE, {"t": a, "w": {"nameContains": "Lasts2"}, "first": 0}, as_=TEACHER_A
    )
    assert data["teacher"]["students"]["totalCount"] == 1  # "a student named ...s2 is in my class"
    assert data["teacher"]["students"]["nodes"] == []
    assert await audit_events(db, rich.world.id(TEACHER_A)) != []


# --------------------------------------------------------------------------------------------------
# Audit completeness
# --------------------------------------------------------------------------------------------------

STUDENT_PATHS = """query($t: ID!, $sec: ID!) {
  viewer { teacher { students(first: 50) { nodes { id results { id } } }
    sections { students(first: 50) { nodes { id results(subject: "Math") { id } } } } } }
  district { teachers(first: 10) { nodes {
    students(first: 50) { nodes { id } }
    sections { students(first: 50) { nodes { id results(schoolYear: "2025-26") { id } } } } } } }
  teacher(id: $t) { students(first: 2) { nodes { id results { id } } } }
  section: node(id: $sec) { ... on Section { students(first: 1) { nodes { id } } } }
}"""


@pytest.mark.parametrize("viewer", EVERYONE)
async def test_every_path_to_student_data_is_audited_exactly(
    client: GraphQLClient, db: TestDatabase, rich: Rich, viewer: str
) -> None:
    """Whatever path a viewer takes to students and results, the audit log names exactly the
    students and results they received, under their own user id."""
    received: set[str] = set()
    for teacher in TEACHERS:
        mine = rich.owned[teacher]
        data = await client.execute(
            STUDENT_PATHS, {"t": mine.ids["teacher"], "sec": mine.ids["section"]}, as_=viewer
        )
        received |= ids_in(data)
    found = await nodes(
        client,
        list(rich.student_ids.values()) + list(rich.result_ids.values()),
        as_=viewer,
        selection="id ... on Student { results { id } }",
    )
    received |= ids_in(list(found.values()))
    user_id = rich.world.id(viewer)
    assert await audited(db, user_id, "student") == db_ids(received, "Student")
    assert await audited(db, user_id, "assessment_result") == db_ids(received, "AssessmentResult")
    expected = {
        rich.student_ids[local]
        for teacher, roster in ROSTERS.items()
        if viewer in READERS[teacher]
        for local in roster
    }
    assert {i for i in received if from_global_id(i)[0] == "Student"} == expected
    other_users = {event.user_id for event in await audit_events(db)} - {user_id}
    assert other_users == set(), "reads are recorded under the reader, nobody else"


async def test_a_read_that_fails_elsewhere_in_the_query_is_still_audited(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    body = await client.raw(
        """query($s: ID!, $sec: ID!) { student: node(id: $s) { id ... on Student { firstName } }
           section: node(id: $sec) { ... on Section { students(after: "nonsense") { totalCount } } } }""",
        {"s": rich.student_ids["s1"], "sec": rich.owned[TEACHER_A].ids["section"]},
        as_=TEACHER_A,
    )
    assert body["data"]["student"]["firstName"] == "Firsts1" and body["errors"]
    assert await audited(db, rich.world.id(TEACHER_A), "student") == {rich.world.student_ids["s1"]}
