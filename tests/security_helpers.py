"""Helpers of the security tests: mutations, database fingerprints, audit reads, node batches."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.models import Base

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase


ERRORS = "userErrors { field message code }"


def raw_id(text: str) -> str:
    """A global ID built from arbitrary text, for IDs this API never issued."""
    return base64.urlsafe_b64encode(text.encode()).decode()


MUTATIONS = {
    "addGoal": ("AddGoalInput", "goal { id title }"),
    "updateGoal": ("UpdateGoalInput", "goal { id title progress }"),
    "addActionStep": ("AddActionStepInput", "actionStep { id }"),
    "updateActionStep": ("UpdateActionStepInput", "actionStep { id status description }"),
    "submitPlan": ("PlanTransitionInput", "plan { id status }"),
    "approvePlan": ("PlanTransitionInput", "plan { id status }"),
    "returnPlan": ("PlanTransitionInput", "plan { id status }"),
    "completePlan": ("PlanTransitionInput", "plan { id status }"),
    "recordObservation": ("RecordObservationInput", "observation { id notes }"),
    "addEvidence": ("AddEvidenceInput", "evidence { id }"),
    "updateEvidence": ("UpdateEvidenceInput", "evidence { id title }"),
    "addComment": ("AddCommentInput", "comment { id }"),
    "recordTrainingRecord": ("RecordTrainingRecordInput", "trainingRecord { id }"),
    "submitSelfAssessment": ("SubmitSelfAssessmentInput", "selfAssessment { id }"),
    "updateProfile": ("UpdateProfileInput", "teacher { id bio }"),
    "setFocusElements": ("SetFocusElementsInput", "teacher { id }"),
    "createLearningPlan": ("CreateLearningPlanInput", "plan { id status }"),
}


async def mutate(
    client: GraphQLClient, name: str, input: dict[str, Any], as_: str
) -> dict[str, Any]:
    """Run one mutation; the payload (its object under ``result`` and its ``userErrors``)."""
    input_type, selection = MUTATIONS[name]
    query = (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}"
    )
    payload = (await client.execute(query, {"input": input}, as_=as_))[name]
    result_key = selection.split(" ", 1)[0]
    return {"result": payload[result_key], "userErrors": payload["userErrors"]}


async def fingerprint(db: TestDatabase) -> dict[str, list[str]]:
    """Every row of every table but the audit log: equal before and after means nothing changed."""
    snapshot: dict[str, list[str]] = {}
    async with db.sessionmaker() as session:
        for table in Base.metadata.sorted_tables:
            if table.name in {"audit_event", "audit_subject", "alembic_version"}:
                continue
            rows = (await session.execute(select(table))).all()
            snapshot[table.name] = sorted(repr(tuple(row)) for row in rows)
    return snapshot


async def audit_events(db: TestDatabase, user_id: int | None = None) -> list[models.AuditEvent]:
    async with db.sessionmaker() as session:
        statement = select(models.AuditEvent).order_by(models.AuditEvent.id)
        if user_id is not None:
            statement = statement.where(models.AuditEvent.user_id == user_id)
        return list(await session.scalars(statement))


def ids_in(value: Any) -> set[str]:
    """Every ``id`` anywhere in a response."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "id" and isinstance(item, str):
                found.add(item)
            else:
                found |= ids_in(item)
    elif isinstance(value, list):
        for item in value:
            found |= ids_in(item)
    return found


def chunks(items: list[Any], size: int) -> list[list[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


async def nodes(
    client: GraphQLClient, ids: list[str], as_: str, selection: str = "id"
) -> dict[str, Any]:
    """``node`` for many IDs, at most 20 aliases per request (the alias limit is 30)."""
    found: dict[str, Any] = {}
    for part in chunks(ids, 20):
        query = "query(" + ", ".join(f"$i{n}: ID!" for n in range(len(part))) + ") { "
        query += " ".join(f"n{n}: node(id: $i{n}) {{ {selection} }}" for n in range(len(part)))
        query += " }"
        data = await client.execute(query, {f"i{n}": i for n, i in enumerate(part)}, as_=as_)
        found.update({i: data[f"n{n}"] for n, i in enumerate(part)})
    return found


STUDENT_PAGE = """query($t: ID!, $w: StudentFilterInput, $first: Int!) {
  teacher(id: $t) { students(where: $w, first: $first) {
    totalCount pageInfo { hasNextPage } nodes { id } } } }"""
