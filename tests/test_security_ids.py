"""Security: IDs of the wrong type, malformed IDs and IDs out of the database's range."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.factories import ADMIN, COACH, TEACHER_A
from tests.security_helpers import fingerprint, mutate, nodes, raw_id
from tests.security_world import Rich, gid
from tests.security_world import rich as rich  # the fixture, found by its name

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase


# --------------------------------------------------------------------------------------------------
# Mistyped and malformed IDs
# --------------------------------------------------------------------------------------------------


async def test_an_id_of_the_wrong_type_is_refused_even_when_its_number_fits(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    """An Observation ID whose number is the owner's own goal's is not taken for that goal."""
    a = rich.owned[TEACHER_A]
    before = await fingerprint(db)
    cases = [
        (TEACHER_A, "addGoal", {"planId": gid("Goal", a.db["plan"]), "title": "t", "elementCodes": ["1.1"]}),
        (TEACHER_A, "updateGoal", {"goalId": gid("Observation", a.db["goal"]), "title": "x"}),
        (TEACHER_A, "addActionStep", {"goalId": gid("LearningPlan", a.db["goal"]), "description": "x"}),
        (TEACHER_A, "updateActionStep", {"actionStepId": gid("Goal", a.db["step"]), "description": "x"}),
        (TEACHER_A, "updateEvidence", {"evidenceId": gid("Comment", a.db["evidence"]), "title": "x"}),
        (TEACHER_A, "addComment", {"evidenceId": gid("Goal", a.db["evidence"]), "body": "x"}),
        (TEACHER_A, "addComment", {"goalId": gid("Evidence", a.db["goal"]), "body": "x"}),
        (TEACHER_A, "addComment", {"observationId": gid("Goal", a.db["observation"]), "body": "x"}),
        (TEACHER_A, "submitPlan", {"planId": gid("Goal", a.db["plan"])}),
        (TEACHER_A, "addEvidence", {"kind": "REFLECTION", "title": "x", "goalIds": [gid("Observation", a.db["goal"])]}),
        (TEACHER_A, "updateGoal", {"goalId": a.ids["goal"], "districtGoalId": gid("Goal", 1)}),
        (COACH, "approvePlan", {"planId": gid("Goal", a.db["submitted_plan"])}),
        (COACH, "recordObservation", {"teacherId": gid("User", a.db["teacher"]), "kind": "INFORMAL", "observedOn": "2025-10-01", "notes": "x"}),
        (ADMIN, "recordTrainingRecord", {"teacherId": gid("Student", a.db["teacher"]), "title": "x", "completedOn": "2025-01-01", "hours": 1.0}),
    ]  # fmt: skip
    for actor, name, input in cases:
        payload = await mutate(client, name, input, as_=actor)
        assert payload["result"] is None, (name, input)
        assert payload["userErrors"][0]["code"] == "BAD_ID", (name, payload)
    assert await fingerprint(db) == before


async def test_wrong_typed_ids_in_queries_find_nothing(client: GraphQLClient, rich: Rich) -> None:
    a = rich.owned[TEACHER_A]
    data = await client.execute(
        "query($u: ID!) { teacher(id: $u) { id } }",
        {"u": gid("User", a.db["teacher"])},
        as_=ADMIN,
    )
    assert data["teacher"] is None
    body = await client.raw(
        "query($w: TeacherFilterInput) { district { teachers(where: $w) { totalCount } } }",
        {"w": {"schoolId": gid("Section", rich.world.school_ids["N"])}},
        as_=ADMIN,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_ID"
    body = await client.raw(
        "query($t: ID!, $w: StudentFilterInput) { teacher(id: $t) { students(where: $w) "
        "{ totalCount } } }",
        {"t": a.ids["teacher"], "w": {"sectionId": gid("Teacher", a.db["section"])}},
        as_=TEACHER_A,
    )
    assert body["errors"][0]["extensions"]["code"] == "BAD_ID"


MALFORMED_IDS = [
    "",
    "not base64 at all!",
    raw_id("Goal"),
    raw_id("Goal:"),
    raw_id("Goal:abc"),
    raw_id(":1"),
    raw_id("Goal:1:2"),
    raw_id("Goal:-1"),
    raw_id("Goal:1.5"),
    raw_id("__typename:1"),
    raw_id("Node:1"),
    raw_id("District:1"),
    raw_id("PlanEvent:1"),
    raw_id("AuditEvent:1"),
]


async def test_malformed_ids_are_null_for_node_and_a_clear_error_for_mutations(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    found = await nodes(client, MALFORMED_IDS, as_=ADMIN)
    assert all(node is None for node in found.values()), found
    before = await fingerprint(db)
    for bad in MALFORMED_IDS:
        payload = await mutate(client, "updateGoal", {"goalId": bad, "title": "x"}, as_=TEACHER_A)
        assert payload["result"] is None
        assert payload["userErrors"][0]["code"] in {"BAD_ID", "NOT_FOUND"}, (bad, payload)
    assert await fingerprint(db) == before


OUT_OF_RANGE_REASON = (
    "SECURITY: a global ID whose number overflows the id column (Goal:2147483648 on PostgreSQL, "
    "Goal:9223372036854775808 on SQLite) reaches the driver: node() and every mutation answer "
    "INTERNAL with the full SQL text, the scoping subquery and its bound parameters (the "
    "viewer's district and user id) unless MYPD_ENVIRONMENT=production, and the failed "
    "DataLoader batch nulls every other object loaded with it (schema/relay.py from_global_id "
    "and decode_id accept any int)"
)


@pytest.mark.parametrize("number", ["2147483648", "9223372036854775808", "99999999999999999999"])
async def test_out_of_range_ids_are_not_found_not_internal_errors(
    client: GraphQLClient, db: TestDatabase, rich: Rich, number: str, request: pytest.FixtureRequest
) -> None:
    """An ID whose number overflows the database's integer is bad input, not a crash that shows
    driver internals (and fails every other object batched with it)."""
    body = await client.raw(
        "query($a: ID!, $b: ID!) { a: node(id: $a) { id } b: node(id: $b) { id } }",
        {"a": raw_id(f"Goal:{number}"), "b": rich.owned[TEACHER_A].ids["goal"]},
        as_=TEACHER_A,
    )
    assert "errors" not in body, body["errors"][0]["message"]
    assert body["data"] == {"a": None, "b": {"id": rich.owned[TEACHER_A].ids["goal"]}}
    payload = await mutate(
        client, "updateGoal", {"goalId": raw_id(f"Goal:{number}"), "title": "x"}, as_=TEACHER_A
    )
    assert payload["userErrors"][0]["code"] in {"BAD_ID", "NOT_FOUND"}
