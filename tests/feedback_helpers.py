"""Helpers of the feedback tests (test_feedback_*.py): mutations, reads and a goal per teacher."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from mypd_graph import models
from mypd_graph.schema.relay import to_global_id
from tests.factories import (
    ADMIN,
    COACH,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
    TEACHER_C,
    World,
)

if TYPE_CHECKING:  # imported by name, pytest would try to collect TestDatabase as a test class
    from tests.conftest import GraphQLClient, TestDatabase


RATING = "element { code } level { key } note"
FIELDS = {
    "selfAssessment": f"id cycle submittedAt teacher {{ name }} ratings {{ {RATING} }}",
    "observation": (
        f"id kind observedOn notes observer {{ name }} teacher {{ name }} ratings {{ {RATING} }}"
        " comments { body author { name } }"
    ),
    "evidence": (
        "id kind title body url createdAt updatedAt teacher { name } elements { code }"
        " goals { id title } comments { body author { name } }"
    ),
    "comment": "id body createdAt author { name }",
    "trainingRecord": "id title provider completedOn hours teacher { name } elements { code }",
}
# mutation name -> (input type, result field of its payload)
MUTATIONS = {
    "submitSelfAssessment": ("SubmitSelfAssessmentInput", "selfAssessment"),
    "recordObservation": ("RecordObservationInput", "observation"),
    "addEvidence": ("AddEvidenceInput", "evidence"),
    "updateEvidence": ("UpdateEvidenceInput", "evidence"),
    "addComment": ("AddCommentInput", "comment"),
    "recordTrainingRecord": ("RecordTrainingRecordInput", "trainingRecord"),
}
READERS_OF_A = [TEACHER_A, COACH, PRINCIPAL_NORTH, ADMIN]
NON_READERS_OF_A = [TEACHER_B, TEACHER_C, PRINCIPAL_SOUTH, OUTSIDER]

TODAY = datetime.now(UTC).date()


async def mutate(client: GraphQLClient, name: str, input: dict[str, Any], as_: str) -> Any:
    input_type, result = MUTATIONS[name]
    query = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{"
        f" {result} {{ {FIELDS[result]} }} userErrors {{ field message code }} }} }}"
    )
    return (await client.execute(query, {"input": input}, as_=as_))[name]


async def ok(client: GraphQLClient, name: str, input: dict[str, Any], as_: str) -> Any:
    payload = await mutate(client, name, input, as_)
    assert payload["userErrors"] == []
    return payload[MUTATIONS[name][1]]


async def errors(client: GraphQLClient, name: str, input: dict[str, Any], as_: str) -> list[Any]:
    """The ``(field path, code)`` of each userError; the mutation must have returned no result."""
    payload = await mutate(client, name, input, as_)
    assert payload[MUTATIONS[name][1]] is None
    assert payload["userErrors"], "expected userErrors"
    return [(".".join(error["field"]), error["code"]) for error in payload["userErrors"]]


async def node(client: GraphQLClient, global_id: str, as_: str, fragment: str = "") -> Any:
    """``node(id:)`` read as ``as_``: its type name, ID and an inline ``fragment`` (or null)."""
    query = "query($id: ID!) { node(id: $id) { __typename id " + fragment + " } }"
    return (await client.execute(query, {"id": global_id}, as_=as_))["node"]


async def of_teacher(client: GraphQLClient, world: World, email: str, field: str, as_: str) -> Any:
    """A Teacher field (``observations { id }``) of the teacher ``email``, read as ``as_``."""
    query = "query($id: ID!) { teacher(id: $id) { " + field + " } }"
    teacher_id = to_global_id("Teacher", world.id(email))
    teacher = (await client.execute(query, {"id": teacher_id}, as_=as_))["teacher"]
    return None if teacher is None else teacher[field.split()[0].split("(")[0]]


def rating(code: str, level: str, note: str = "") -> dict[str, str]:
    return {"elementCode": code, "level": level, "note": note}


def teacher_id(world: World, email: str) -> str:
    return to_global_id("Teacher", world.id(email))


@pytest.fixture
async def goals(db: TestDatabase, world: World) -> dict[str, int]:
    """One submitted plan with one goal for each of TEACHER_A and TEACHER_B (rows written
    directly; submitted, so those who serve the teacher see it: a draft is the teacher's alone)."""
    ids = {}
    async with db.sessionmaker.begin() as session:
        for email in (TEACHER_A, TEACHER_B):
            plan = models.LearningPlan(
                teacher_id=world.id(email), cycle="2025-26", title="Plan", status="submitted"
            )
            session.add(plan)
            await session.flush()
            goal = models.Goal(plan_id=plan.id, title=f"Goal of {email}")
            session.add(goal)
            await session.flush()
            ids[email] = goal.id
    return ids


def goal_id(goals: dict[str, int], email: str) -> str:
    return to_global_id("Goal", goals[email])


async def observe(client: GraphQLClient, world: World, **overrides: Any) -> Any:
    """COACH observes TEACHER_A (unless overridden)."""
    as_ = overrides.pop("as_", COACH)
    input = {
        "teacherId": teacher_id(world, TEACHER_A),
        "kind": "FORMAL",
        "observedOn": "2025-10-01",
        "notes": "Strong questioning.",
        "ratings": [rating("1.5", "integrating")],
    } | overrides
    return await ok(client, "recordObservation", input, as_)


async def add_evidence(client: GraphQLClient, as_: str = TEACHER_A, **overrides: Any) -> Any:
    """Evidence shared with SUPERVISORS unless overridden: these tests are about reach (who serves
    whom); what a narrower audience hides is tested in test_sharing*.py and the privacy matrix."""
    input = {
        "kind": "REFLECTION",
        "title": "Exit tickets",
        "body": "What I saw.",
        "audience": "SUPERVISORS",
    } | overrides
    return await ok(client, "addEvidence", input, as_)
