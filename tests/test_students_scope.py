"""Student data through GraphQL: FERPA scope per role, and the audit of every read."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from mypd_graph.services.access import actor_for
from mypd_graph.services.students import rosters as student_service
from mypd_graph.services.students.rosters import StudentFilter, StudentPageKey
from tests.factories import (
    ADMIN,
    COACH,
    IMPORTER,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    World,
)
from tests.students_helpers import RESULTS, audit_rows, local_ids, student_gid, teacher_students

if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase


NORTH_A = {"s1", "s2", "s3"}
NORTH_B = {"s4", "s5"}
SOUTH_C = {"s6", "s7"}

ALL_TEACHERS_STUDENTS = """
{ district { teachers(first: 100) { nodes {
    user { email }
    students(first: 100) { nodes { localId } }
} } } }
"""

SECTIONS_STUDENTS = """
{ district { teachers(first: 100) { nodes {
    sections { name schoolYear teacher { email } school { code }
               students(first: 100) { nodes { localId } } }
} } } }
"""

NODE_STUDENT = "query ($id: ID!) { node(id: $id) { id ... on Student { localId firstName } } }"


# -------------------------------------------------------------------------
# Scope: each role sees exactly the right students
# -------------------------------------------------------------------------

EXPECTED_BY_ROLE = {
    TEACHER_A: NORTH_A,
    TEACHER_B: NORTH_B,
    TEACHER_C: SOUTH_C,
    COACH: NORTH_A,
    PRINCIPAL_NORTH: NORTH_A | NORTH_B,
    PRINCIPAL_SOUTH: SOUTH_C,
    ADMIN: NORTH_A | NORTH_B | SOUTH_C,
    OUTSIDER: set(),
    IMPORTER: set(),
}


@pytest.mark.parametrize("viewer", list(EXPECTED_BY_ROLE))
async def test_teacher_students_are_scoped_by_role(client: GraphQLClient, viewer: str) -> None:
    data = await client.execute(ALL_TEACHERS_STUDENTS, as_=viewer)
    seen = [
        local_id
        for teacher in data["district"]["teachers"]["nodes"]
        for local_id in local_ids(teacher["students"])
    ]
    assert sorted(seen) == sorted(EXPECTED_BY_ROLE[viewer])


@pytest.mark.parametrize("viewer", list(EXPECTED_BY_ROLE))
async def test_section_students_are_scoped_by_role(client: GraphQLClient, viewer: str) -> None:
    data = await client.execute(SECTIONS_STUDENTS, as_=viewer)
    seen = [
        local_id
        for teacher in data["district"]["teachers"]["nodes"]
        for section in teacher["sections"]
        for local_id in local_ids(section["students"])
    ]
    assert sorted(seen) == sorted(EXPECTED_BY_ROLE[viewer])


async def test_section_fields(client: GraphQLClient) -> None:
    data = await client.execute(SECTIONS_STUDENTS, as_=TEACHER_A)
    [teacher] = data["district"]["teachers"]["nodes"]
    assert teacher["sections"] == [
        {
            "name": "Math 4 (A-MATH)",
            "schoolYear": "2025-26",
            "teacher": {"email": TEACHER_A},
            "school": {"code": "N"},
            "students": {"nodes": [{"localId": s} for s in ("s1", "s2", "s3")]},
        }
    ]


VISIBILITY = [
    (TEACHER_A, "s1", True),
    (TEACHER_A, "s4", False),
    (TEACHER_A, "s6", False),
    (COACH, "s2", True),
    (COACH, "s5", False),
    (PRINCIPAL_NORTH, "s4", True),
    (PRINCIPAL_NORTH, "s6", False),
    (PRINCIPAL_SOUTH, "s7", True),
    (PRINCIPAL_SOUTH, "s1", False),
    (ADMIN, "s6", True),
    (ADMIN, "x1", False),
    (OUTSIDER, "x1", True),
    (OUTSIDER, "s1", False),
    (IMPORTER, "s1", False),
]


@pytest.mark.parametrize(("viewer", "local_id", "visible"), VISIBILITY)
async def test_node_returns_a_student_only_in_scope(
    client: GraphQLClient, world: World, viewer: str, local_id: str, visible: bool
) -> None:
    body = await client.raw(NODE_STUDENT, {"id": student_gid(world, local_id)}, as_=viewer)
    assert "errors" not in body, body
    if visible:
        assert body["data"]["node"]["localId"] == local_id
    else:
        assert body["data"] == {"node": None}


async def test_hidden_and_missing_students_look_the_same(
    client: GraphQLClient, world: World
) -> None:
    hidden = await client.raw(NODE_STUDENT, {"id": student_gid(world, "s4")}, as_=TEACHER_A)
    missing = await client.raw(NODE_STUDENT, {"id": to_global_id("Student", 999999)}, as_=TEACHER_A)
    assert hidden == missing == {"data": {"node": None}}


async def test_sections_are_scoped_like_their_teacher(client: GraphQLClient, world: World) -> None:
    query = "query ($id: ID!) { node(id: $id) { ... on Section { name } } }"
    c_ela = to_global_id("Section", world.section_ids["C-ELA"])
    assert (await client.execute(query, {"id": c_ela}, as_=PRINCIPAL_SOUTH))["node"] == {
        "name": "ELA 4 (C-ELA)"
    }
    for viewer in (PRINCIPAL_NORTH, TEACHER_A, COACH, OUTSIDER):
        assert (await client.execute(query, {"id": c_ela}, as_=viewer))["node"] is None


async def test_service_refuses_another_teachers_students(db: TestDatabase, world: World) -> None:
    """Authorization lives in the service: even a direct call cannot list a colleague's class."""
    async with db.sessionmaker() as session:
        teacher_a = actor_for(await session.get_one(models.User, world.id(TEACHER_A)))
        keys = [
            StudentPageKey(world.id(TEACHER_A), StudentFilter(), 25),
            StudentPageKey(world.id(TEACHER_B), StudentFilter(), 25),
        ]
        own, other = await student_service.student_pages_by_teacher(session, teacher_a, keys)
        by_id = await student_service.students_by_ids(
            session, teacher_a, [world.student_ids["s4"], world.student_ids["s1"]]
        )
    assert {row.local_id for row in own.items} == NORTH_A
    assert other.items == []
    assert [row.local_id if row else None for row in by_id] == [None, "s1"]


# -------------------------------------------------------------------------
# Audit
# -------------------------------------------------------------------------


async def test_reading_students_writes_one_audit_row(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    await teacher_students(client, world, TEACHER_A, as_=TEACHER_A)
    events = await audit_rows(db)
    [event] = [event for event in events if event.action == "read"]
    assert (event.user_id, event.action, event.entity) == (world.id(TEACHER_A), "read", "student")
    assert sorted(event.entity_ids) == sorted(str(world.student_ids[s]) for s in NORTH_A)
    [count] = [event for event in events if event.action == "count"]  # totalCount was asked for
    assert count.user_id == world.id(TEACHER_A) and count.detail.endswith(f"matched {len(NORTH_A)}")


async def test_one_audit_row_per_batch_for_the_whole_district(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    query = """{ district { teachers(first: 20) { nodes {
        students(first: 100) { nodes { localId results { scaleScore } } } } } } }"""
    with db.count_statements() as counter:
        await client.execute(query, as_=ADMIN)
    inserts = [s for s in counter.statements if s.lstrip().upper().startswith("INSERT")]
    # one event per batch, each with one insert of the students it names (audit_subject), and
    # one of the teachers whose profiles were read (tests/test_audit_reads.py)
    assert len(inserts) == 6, inserts
    assert sum("audit.audit_event" in s for s in inserts) == 3, inserts
    events = [event for event in await audit_rows(db) if event.entity != "teacher_profile"]
    assert sorted(event.entity for event in events) == ["assessment_result", "student"]
    students, results = sorted(events, key=lambda event: event.entity != "student")
    everyone = NORTH_A | NORTH_B | SOUTH_C
    assert sorted(students.entity_ids) == sorted(str(world.student_ids[s]) for s in everyone)
    assert len(results.entity_ids) == len(everyone)
    assert {students.user_id, results.user_id} == {world.id(ADMIN)}


async def test_reading_results_audits_the_result_ids(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    data = await client.execute(RESULTS, {"id": student_gid(world, "s3")}, as_=COACH)
    [result] = data["node"]["results"]
    events = {event.entity: event for event in await audit_rows(db)}
    assert set(events) == {"student", "assessment_result"}
    assert events["student"].entity_ids == [str(world.student_ids["s3"])]
    result_id = (
        await client.execute(
            "query ($id: ID!) { node(id: $id) { id } }", {"id": result["id"]}, as_=COACH
        )
    )["node"]["id"]
    assert result_id == result["id"]
    by_id = [e for e in await audit_rows(db) if e.entity == "assessment_result"]
    assert len(by_id) == 2 and by_id[0].entity_ids == by_id[1].entity_ids
    assert all(e.user_id == world.id(COACH) for e in by_id)


async def test_queries_without_student_data_write_no_audit(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    await client.execute(
        "{ viewer { name teacher { sections { name school { name } } } } "
        "district { teachers { totalCount nodes { name } } } }",
        as_=TEACHER_A,
    )
    # A student out of scope discloses nothing, so there is nothing to record.
    await client.execute(NODE_STUDENT, {"id": student_gid(world, "s6")}, as_=TEACHER_A)
    assert await audit_rows(db) == []
