"""The audit trail people can read (issue 12.2): what is recorded, who reads it, append-only.

Over GraphQL HTTP on both databases: changes to a teacher's record and plan decisions are recorded
with who (a snapshot that outlives the user), which records and teachers, the request id and the
client address; reads of student data name the students; district admins (and only they, and only
their district's events) query the trail by actor, student, teacher, action and time, by page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from tests.conftest import GraphQLClient, TestDatabase
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
from tests.students_helpers import student_gid, teacher_gid, teacher_students

TRAIL = """query($where: AuditFilterInput, $first: Int!, $after: String) {
  auditTrail(where: $where, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node {
      number at action entity entityIds students teachers detail requestId clientAddress
      actor { userId email name role }
    } }
  }
}"""
ADD_EVIDENCE = """mutation($input: AddEvidenceInput!) {
  addEvidence(input: $input) { evidence { id } userErrors { code } }
}"""
CREATE_PLAN = """mutation($input: CreateLearningPlanInput!) {
  createLearningPlan(input: $input) { plan { id } userErrors { code } }
}"""
ADD_GOAL = """mutation($input: AddGoalInput!) {
  addGoal(input: $input) { goal { id } userErrors { code } }
}"""
SUBMIT = """mutation($input: PlanTransitionInput!) {
  submitPlan(input: $input) { plan { status } userErrors { code } }
}"""
RETURN = """mutation($input: PlanTransitionInput!) {
  returnPlan(input: $input) { plan { status } userErrors { code } }
}"""
VIEWERS = (TEACHER_A, TEACHER_B, COACH, PRINCIPAL_NORTH, ADMIN, OUTSIDER, IMPORTER)


async def trail(
    client: GraphQLClient, as_: str = ADMIN, first: int = 100, **where: Any
) -> list[dict[str, Any]]:
    """The trail as the admin reads it, less the records of earlier readings of the trail itself
    (tests/test_audit_reads.py checks those)."""
    data = await client.execute(TRAIL, {"where": where, "first": first}, as_=as_)
    return [
        edge["node"]
        for edge in data["auditTrail"]["edges"]
        if edge["node"]["entity"] != "audit_event"
    ]


async def post(
    client: GraphQLClient, query: str, variables: dict[str, Any], as_: str, **headers: str
) -> dict[str, Any]:
    token = client.token_for(as_)
    response = await client.http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}", **headers},
    )
    body = response.json()
    assert "errors" not in body, body
    return {"data": body["data"], "request_id": response.headers.get("x-request-id")}


async def build_plan(client: GraphQLClient) -> dict[str, str]:
    """Ana adds evidence, a plan with a goal, and submits it; Pat (her principal) returns it."""
    evidence = await client.execute(
        ADD_EVIDENCE,
        {"input": {"kind": "REFLECTION", "title": "Exit tickets", "elementCodes": ["1.1"]}},
        as_=TEACHER_A,
    )
    plan = await client.execute(CREATE_PLAN, {"input": {"cycle": "2025-26"}}, as_=TEACHER_A)
    plan_id = plan["createLearningPlan"]["plan"]["id"]
    goal = await client.execute(
        ADD_GOAL,
        {"input": {"planId": plan_id, "title": "Checks", "elementCodes": ["1.1"]}},
        as_=TEACHER_A,
    )
    submitted = await client.execute(SUBMIT, {"input": {"planId": plan_id}}, as_=TEACHER_A)
    assert submitted["submitPlan"]["userErrors"] == []
    returned = await client.execute(
        RETURN, {"input": {"planId": plan_id, "note": "add a date"}}, as_=PRINCIPAL_NORTH
    )
    assert returned["returnPlan"]["userErrors"] == []
    return {
        "evidence": evidence["addEvidence"]["evidence"]["id"],
        "plan": plan_id,
        "goal": goal["addGoal"]["goal"]["id"],
    }


def raw(global_id: str) -> str:
    from mypd_graph.schema.relay import from_global_id

    return str(from_global_id(global_id)[1])


async def test_changes_to_a_teachers_record_and_plan_decisions_are_recorded(
    client: GraphQLClient, world: World
) -> None:
    ids = await build_plan(client)
    events = await trail(client, teacherId=teacher_gid(world, TEACHER_A))
    kinds = [(e["action"], e["entity"]) for e in reversed(events)]
    assert kinds == [
        ("create", "evidence"),
        ("create", "learning_plan"),
        ("create", "goal"),
        ("update", "learning_plan"),  # a goal added changes its plan
        ("plan_submit", "plan_event"),
        ("plan_return", "plan_event"),
    ]
    by_kind = {(e["action"], e["entity"]): e for e in events}
    evidence = by_kind[("create", "evidence")]
    assert evidence["entityIds"] == [raw(ids["evidence"])]
    assert evidence["teachers"] == [teacher_gid(world, TEACHER_A)]
    assert evidence["actor"] == {
        "userId": to_global_id("User", world.id(TEACHER_A)),
        "email": TEACHER_A,
        "name": "Ana Alvarez",
        "role": "teacher",
    }
    assert by_kind[("create", "goal")]["entityIds"] == [raw(ids["goal"])]
    decision = by_kind[("plan_return", "plan_event")]
    assert decision["actor"]["email"] == PRINCIPAL_NORTH
    assert decision["detail"] == "submitted -> draft"
    assert decision["teachers"] == [teacher_gid(world, TEACHER_A)]
    assert all(e["requestId"] and e["clientAddress"] for e in events)


async def test_a_refused_change_records_nothing(client: GraphQLClient, world: World) -> None:
    before = await trail(client)
    bad = await client.execute(
        ADD_GOAL,
        {"input": {"planId": to_global_id("LearningPlan", 999), "title": "x", "elementCodes": []}},
        as_=TEACHER_A,
    )
    assert bad["addGoal"]["userErrors"]
    assert await trail(client) == before


async def test_the_request_id_is_honoured_when_sane_and_echoed(
    client: GraphQLClient, world: World
) -> None:
    variables = {"input": {"kind": "REFLECTION", "title": "t"}}
    sent = await post(client, ADD_EVIDENCE, variables, TEACHER_A, **{"X-Request-ID": "req-42.a"})
    assert sent["request_id"] == "req-42.a"
    weird = await post(client, ADD_EVIDENCE, variables, TEACHER_A, **{"X-Request-ID": "a b;<x>"})
    generated = weird["request_id"]
    assert generated and generated != "a b;<x>" and len(generated) == 32
    events = await trail(client, action="create", entity="evidence")
    assert [e["requestId"] for e in events] == [generated, "req-42.a"]


async def test_who_accessed_this_students_records(client: GraphQLClient, world: World) -> None:
    await teacher_students(client, world, TEACHER_A, as_=TEACHER_A)
    await teacher_students(client, world, TEACHER_A, as_=PRINCIPAL_NORTH)
    data = await client.execute(
        """query($s: ID!) { studentAccessLog(studentId: $s) { totalCount edges { node {
             action entity students actor { email role } } } } }""",
        {"s": student_gid(world, "s1")},
        as_=ADMIN,
    )
    log = data["studentAccessLog"]
    readers = {(e["node"]["actor"]["email"], e["node"]["action"]) for e in log["edges"]}
    assert readers == {(TEACHER_A, "read"), (PRINCIPAL_NORTH, "read")}
    assert all(student_gid(world, "s1") in e["node"]["students"] for e in log["edges"])
    # a student of another teacher was not read by them
    other = await trail(client, studentId=student_gid(world, "s4"))
    assert other == []


async def test_who_read_this_teachers_profile(client: GraphQLClient, world: World) -> None:
    query = "query($t: ID!) { teacher(id: $t) { needs(first: 1) { score } } }"
    await client.execute(query, {"t": teacher_gid(world, TEACHER_A)}, as_=COACH)
    await client.execute(query, {"t": teacher_gid(world, TEACHER_A)}, as_=TEACHER_A)
    data = await client.execute(
        """query($t: ID!) { teacherProfileReads(teacherId: $t) { edges { node {
             action entity teachers actor { email } } } } }""",
        {"t": teacher_gid(world, TEACHER_A)},
        as_=ADMIN,
    )
    readers = [e["node"]["actor"]["email"] for e in data["teacherProfileReads"]["edges"]]
    assert readers == [TEACHER_A, COACH]
    assert all(e["node"]["action"] == "read" for e in data["teacherProfileReads"]["edges"])


async def test_filters_and_pages(client: GraphQLClient, world: World, db: TestDatabase) -> None:
    await build_plan(client)
    # Reading the trail adds to it (tests/test_audit_reads.py): page through what came before.
    built = datetime.now(UTC).isoformat()
    everything = await trail(client)
    assert [e["number"] for e in everything] == sorted(
        (e["number"] for e in everything), reverse=True
    ), "newest first"
    mine = await trail(client, actorId=to_global_id("User", world.id(PRINCIPAL_NORTH)))
    assert {e["actor"]["email"] for e in mine} == {PRINCIPAL_NORTH}
    assert await trail(client, action="plan_submit") == [
        e for e in everything if e["action"] == "plan_submit"
    ]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert await trail(client, since=future) == []
    assert await trail(client, until=future) == everything
    seen: list[int] = []
    after = None
    while True:
        page = await client.execute(
            TRAIL, {"where": {"until": built}, "first": 2, "after": after}, as_=ADMIN
        )
        connection = page["auditTrail"]
        assert connection["totalCount"] == len(everything)
        seen += [edge["node"]["number"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == [e["number"] for e in everything]


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_only_the_districts_admins_read_the_trail(
    client: GraphQLClient, world: World, db: TestDatabase, viewer: str
) -> None:
    await build_plan(client)
    async with db.sessionmaker.begin() as session:  # an event of the other district
        session.add(
            models.AuditEvent(
                user_id=world.id(OUTSIDER), action="read", entity="student", entity_ids=["1"]
            )
        )
    fields = ("auditTrail", "studentAccessLog", "teacherProfileReads")
    data = await client.execute(
        """query($s: ID!, $t: ID!) {
          auditTrail(first: 100) { totalCount edges { node { actor { email } } } }
          studentAccessLog(studentId: $s) { totalCount edges { node { number } } }
          teacherProfileReads(teacherId: $t) { totalCount edges { node { number } } }
        }""",
        {"s": student_gid(world, "s1"), "t": teacher_gid(world, TEACHER_A)},
        as_=viewer,
    )
    if viewer == ADMIN:
        emails = {e["node"]["actor"]["email"] for e in data["auditTrail"]["edges"]}
        assert TEACHER_A in emails and OUTSIDER not in emails
    elif viewer == OUTSIDER:
        emails = [e["node"]["actor"]["email"] for e in data["auditTrail"]["edges"]]
        assert emails == [OUTSIDER], "only their own district's events"
        assert data["studentAccessLog"]["totalCount"] == 0
    else:
        for name in fields:
            assert data[name] == {"totalCount": 0, "edges": []}, (viewer, name)


async def test_the_snapshot_outlives_the_user(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    await teacher_students(client, world, TEACHER_B, as_=TEACHER_B)
    async with db.sessionmaker.begin() as session:
        await session.execute(delete(models.User).where(models.User.id == world.id(TEACHER_B)))
    events = await trail(client, actorId=to_global_id("User", world.id(TEACHER_B)))
    assert events and all(
        e["actor"]
        == {
            "userId": to_global_id("User", world.id(TEACHER_B)),
            "email": TEACHER_B,
            "name": "Ben Brooks",
            "role": "teacher",
        }
        for e in events
    )


async def test_the_trail_is_append_only_in_the_database(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    await teacher_students(client, world, TEACHER_A, as_=TEACHER_A)
    refused = [
        update(models.AuditEvent).values(detail="edited"),
        delete(models.AuditEvent),
        update(models.AuditSubject).values(subject_id=0),
        delete(models.AuditSubject),
    ]
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"):
            async with db.sessionmaker.begin() as session:
                await session.execute(statement)
    if db.backend == "postgresql":
        for table in ("audit.audit_event", "audit.audit_subject"):
            with pytest.raises(DBAPIError, match="append-only"):
                async with db.sessionmaker.begin() as session:
                    await session.execute(text(f"TRUNCATE {table} CASCADE"))
    async with db.sessionmaker() as session:
        details = list(await session.scalars(select(models.AuditEvent.detail)))
        subjects = list(await session.scalars(select(models.AuditSubject.subject_id)))
    assert details and "edited" not in details and subjects and 0 not in subjects


async def test_profile_focus_and_action_steps_are_recorded(
    client: GraphQLClient, world: World
) -> None:
    ids = await build_plan(client)
    data = await client.execute(
        """mutation($g: ID!) {
          p: updateProfile(input: {bio: "Math, grade 4", yearsExperience: 4}) { userErrors { code } }
          f: setFocusElements(input: {elementCodes: ["1.1", "1.2"]}) { userErrors { code } }
          s: addActionStep(input: {goalId: $g, description: "Try exit tickets"}) {
            actionStep { id } userErrors { code } }
        }""",
        {"g": ids["goal"]},
        as_=TEACHER_A,
    )
    assert all(data[key]["userErrors"] == [] for key in ("p", "f", "s")), data
    step = data["s"]["actionStep"]["id"]
    reflected = await client.execute(
        """mutation($s: ID!) { updateActionStep(input: {actionStepId: $s, reflection: "Went well"})
             { userErrors { code } } }""",
        {"s": step},
        as_=TEACHER_A,
    )
    assert reflected["updateActionStep"]["userErrors"] == []
    refocused = await client.execute(
        'mutation { setFocusElements(input: {elementCodes: ["1.2"]}) { userErrors { code } } }',
        as_=TEACHER_A,
    )
    assert refocused["setFocusElements"]["userErrors"] == []
    events = await trail(client, actorId=to_global_id("User", world.id(TEACHER_A)))
    recorded = {(e["action"], e["entity"]) for e in events}
    assert {
        ("update", "teacher_profile"),
        ("create", "focus_element"),
        ("delete", "focus_element"),
        ("create", "action_step"),
        ("update", "action_step"),
    } <= recorded, recorded
    assert all(
        e["teachers"] == [teacher_gid(world, TEACHER_A)] for e in events if e["action"] != "read"
    )
    steps = [e for e in events if e["entity"] == "action_step"]
    assert {tuple(e["entityIds"]) for e in steps} == {(raw(step),)}
