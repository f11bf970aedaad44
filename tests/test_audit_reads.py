"""The audit trail records who read it, who read a teacher's growth record, and a teacher's rename.

docs/privacy.md, "The audit trail": reading the trail is itself a record (with the question
asked); a read of a teacher's growth record by anyone but the teacher is one ``read`` of
``teacher_profile`` per request and teacher, whatever fields the request asked for; a teacher's
change of their own name (``updateProfile``) is an update of their profile. Over GraphQL, on both
databases.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from mypd_graph.schema.relay import to_global_id
from tests.factories import (
    ADMIN,
    COACH,
    PRINCIPAL_NORTH,
    TEACHER_A,
    TEACHER_B,
    World,
)
from tests.security_helpers import mutate

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient

EVENTS = """query($where: AuditFilterInput, $first: Int!) {
  auditTrail(first: $first, where: $where) { totalCount edges { node {
    action entity entityIds students teachers detail requestId actor { email } } } } }"""


async def events(client: GraphQLClient, **where: Any) -> list[dict[str, Any]]:
    data = await client.execute(EVENTS, {"where": where, "first": 100}, as_=ADMIN)
    return [edge["node"] for edge in data["auditTrail"]["edges"]]


def teacher_gid(world: World, email: str) -> str:
    return to_global_id("Teacher", world.id(email))


# --- reading the trail ----------------------------------------------------------------------------


async def test_reading_the_trail_is_recorded_with_its_question(
    client: GraphQLClient, world: World
) -> None:
    student = to_global_id("Student", world.student_ids["s1"])
    await client.execute(
        "query($s: ID!) { studentAccessLog(studentId: $s, first: 5) { totalCount } }",
        {"s": student},
        as_=ADMIN,
    )
    await client.execute(EVENTS, {"where": {"action": "plan_submit"}, "first": 7}, as_=ADMIN)
    reads = await events(client, entity="audit_event")
    # A listing is recorded after it is read, so it never shows itself: these are the two before.
    assert [event["detail"] for event in reads] == [
        "audit trail: action=plan_submit first=7",
        f"audit trail: student={world.student_ids['s1']} first=5",
    ]
    assert {event["actor"]["email"] for event in reads} == {ADMIN}
    assert all(event["action"] == "read" for event in reads)
    # Reading a student's access log does not lengthen it: the reading names no one.
    assert all(event["students"] == [] and event["teachers"] == [] for event in reads)
    log = await client.execute(
        "query($s: ID!) { studentAccessLog(studentId: $s) { edges { node { entity } } } }",
        {"s": student},
        as_=ADMIN,
    )
    assert {edge["node"]["entity"] for edge in log["studentAccessLog"]["edges"]} <= {"student"}


async def test_the_reading_names_the_events_it_showed(client: GraphQLClient, world: World) -> None:
    await mutate(client, "addEvidence", {"kind": "REFLECTION", "title": "Week 1"}, as_=TEACHER_A)
    shown = await client.execute(
        """{ auditTrail(first: 1, where: {entity: "evidence"}) { edges { node { entityIds } } } }""",
        as_=ADMIN,
    )
    assert len(shown["auditTrail"]["edges"]) == 1
    reads = await events(client, entity="audit_event")
    assert reads[0]["detail"] == "audit trail: entity=evidence first=1"
    assert len(reads[0]["entityIds"]) == 1


async def test_those_who_read_nothing_record_nothing(client: GraphQLClient) -> None:
    for viewer in (TEACHER_A, COACH, PRINCIPAL_NORTH):
        data = await client.execute("{ auditTrail { totalCount } }", as_=viewer)
        assert data["auditTrail"]["totalCount"] == 0
    reads = await events(client, entity="audit_event")
    assert reads == []


# --- reads of a teacher's growth record -----------------------------------------------------------

RECORD = """query($t: ID!) { teacher(id: $t) {
  name bio focusElements { code } plans { id } selfAssessments { id } observations { id }
  evidence { id } trainingRecords { id } needs(first: 2) { score }
  growth { plans { cycle } studentResults { term } } } }"""


async def profile_reads(client: GraphQLClient, world: World, email: str) -> list[dict[str, Any]]:
    data = await client.execute(
        """query($t: ID!) { teacherProfileReads(teacherId: $t, first: 100) { edges { node {
             action entity requestId actor { email } } } } }""",
        {"t": teacher_gid(world, email)},
        as_=ADMIN,
    )
    return [edge["node"] for edge in data["teacherProfileReads"]["edges"]]


async def test_a_read_of_the_growth_record_is_one_event_per_request_and_teacher(
    client: GraphQLClient, world: World
) -> None:
    await mutate(client, "addEvidence", {"kind": "REFLECTION", "title": "Week 1"}, as_=TEACHER_A)
    await client.execute(RECORD, {"t": teacher_gid(world, TEACHER_A)}, as_=COACH)
    await client.execute(RECORD, {"t": teacher_gid(world, TEACHER_A)}, as_=COACH)
    reads = await profile_reads(client, world, TEACHER_A)
    by_coach = [read for read in reads if read["actor"]["email"] == COACH]
    assert len(by_coach) == 2, by_coach
    assert len({read["requestId"] for read in by_coach}) == 2
    assert by_coach[0]["entity"] == "teacher_profile"


async def test_the_teachers_own_reads_are_not_profile_reads(
    client: GraphQLClient, world: World
) -> None:
    await client.execute(RECORD, {"t": teacher_gid(world, TEACHER_A)}, as_=TEACHER_A)
    reads = await events(client, entity="teacher_profile", action="read")
    assert reads == []


async def test_profile_fields_alone_are_a_profile_read(client: GraphQLClient, world: World) -> None:
    await client.execute(
        "query($t: ID!) { teacher(id: $t) { bio subjects } }",
        {"t": teacher_gid(world, TEACHER_B)},
        as_=PRINCIPAL_NORTH,
    )
    reads = await profile_reads(client, world, TEACHER_B)
    assert [(read["actor"]["email"], read["entity"]) for read in reads] == [
        (PRINCIPAL_NORTH, "teacher_profile")
    ]


async def test_a_list_of_teachers_is_one_event_naming_each(
    client: GraphQLClient, world: World
) -> None:
    await client.execute(
        "{ district { teachers(first: 50) { edges { node { bio evidence { id } } } } } }",
        as_=ADMIN,
    )
    reads = await events(client, entity="teacher_profile", action="read")
    assert len(reads) == 1
    named = Counter(reads[0]["teachers"])
    everyone = {teacher_gid(world, email) for email in (TEACHER_A, TEACHER_B)}
    assert everyone <= set(named) and set(named.values()) == {1}


# --- a teacher's rename ---------------------------------------------------------------------------

UPDATE_PROFILE = """mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) { teacher { name } userErrors { code } } }"""


async def test_a_name_only_change_of_the_profile_is_recorded(
    client: GraphQLClient, world: World
) -> None:
    data = await client.execute(
        UPDATE_PROFILE, {"input": {"name": "Ana Alvarez-Ruiz"}}, as_=TEACHER_A
    )
    assert data["updateProfile"] == {"teacher": {"name": "Ana Alvarez-Ruiz"}, "userErrors": []}
    changes = await events(client, entity="teacher_profile", action="update")
    assert [(c["detail"], c["teachers"], c["actor"]["email"]) for c in changes] == [
        ("name", [teacher_gid(world, TEACHER_A)], TEACHER_A)
    ]
    data = await client.execute(
        UPDATE_PROFILE, {"input": {"name": "Ana Alvarez-Ruiz", "bio": "Math"}}, as_=TEACHER_A
    )
    changes = await events(client, entity="teacher_profile", action="update")
    assert [c["detail"] for c in changes] == ["", "name"]  # the same name again is no change
