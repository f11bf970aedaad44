"""Bad input gets a clear answer on both databases: a userError (or a coded GraphQL error for
filters) naming the field, never INTERNAL, and nothing stored. The limits live in
mypd_graph/services/inputs.py; these requests are the ones a probe of the service sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import func, select

from mypd_graph import models
from tests.conftest import GraphQLClient, TestDatabase
from tests.factories import ADMIN, TEACHER_A, World

UPDATE_PROFILE = """
mutation($input: UpdateProfileInput!) {
  updateProfile(input: $input) { teacher { name bio } userErrors { field code } }
}
"""
RECORD_TRAINING = """
mutation($input: RecordTrainingRecordInput!) {
  recordTrainingRecord(input: $input) { trainingRecord { id } userErrors { field code } }
}
"""
SELF_ASSESS = """
mutation($input: SubmitSelfAssessmentInput!) {
  submitSelfAssessment(input: $input) { selfAssessment { id } userErrors { field code } }
}
"""
SET_FOCUS = """
mutation($input: SetFocusElementsInput!) {
  setFocusElements(input: $input) { focusElements { code } userErrors { field code } }
}
"""
WEIGHTS = """
mutation($input: UpdatePersonalizationSettingsInput!) {
  updatePersonalizationSettings(input: $input) { settings { minimumGroupSize } userErrors { field code } }
}
"""
ADD_EVIDENCE = """
mutation($input: AddEvidenceInput!) {
  addEvidence(input: $input) { evidence { id } userErrors { field code } }
}
"""


async def send(
    client: GraphQLClient, query: str, variables: dict[str, Any], *, as_: str
) -> dict[str, Any]:
    """Post the request as JSON with escapes, as browsers do: lone surrogates arrive as ``\\ud800``."""
    response = await client.http.post(
        "/graphql",
        content=json.dumps({"query": query, "variables": variables}),
        headers={
            "Authorization": f"Bearer {client.token_for(as_)}",
            "content-type": "application/json",
        },
    )
    return response.json()


def refused(body: dict[str, Any]) -> list[tuple[str, str]]:
    assert "errors" not in body, body["errors"]
    [payload] = body["data"].values()
    return [(".".join(error["field"]), error["code"]) for error in payload["userErrors"]]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"name": "Ana\x07Teacher"}, ("input.name", "BAD_TEXT")),
        ({"name": "A" * 5_000}, ("input.name", "TOO_LONG")),
        ({"bio": "fine\x1bnot"}, ("input.bio", "BAD_TEXT")),
        ({"bio": "b" * 10_001}, ("input.bio", "TOO_LONG")),
        ({"subjects": ["Math"] * 20_000}, ("input.subjects", "TOO_MANY")),
        ({"gradeLevels": ["g" * 65]}, ("input.gradeLevels", "TOO_LONG")),
    ],
)
async def test_profile_text_is_checked_before_it_is_stored(
    client: GraphQLClient, db: TestDatabase, world: World, fields: dict[str, Any], expected: Any
) -> None:
    body = await send(client, UPDATE_PROFILE, {"input": fields}, as_=TEACHER_A)
    assert refused(body) == [expected]
    async with db.sessionmaker() as session:
        user = await session.get_one(models.User, world.id(TEACHER_A))
        assert "\x00" not in user.name and len(user.name) < 200


@pytest.mark.parametrize(
    ("day", "code"),
    [("0001-01-01", "OUT_OF_RANGE"), ("1989-12-31", "OUT_OF_RANGE"), ("2999-01-01", "IN_FUTURE")],
)
async def test_implausible_days_are_refused(
    client: GraphQLClient, db: TestDatabase, day: str, code: str
) -> None:
    training = {"title": "Old PD", "completedOn": day, "hours": 2, "elementCodes": ["5.2"]}
    body = await client.raw(RECORD_TRAINING, {"input": training}, as_=TEACHER_A)
    assert refused(body) == [("input.completedOn", code)]
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count(models.TrainingRecord.id))) == 0


@pytest.mark.parametrize("cycle", ["\u0662\u0660\u0662\u0666-\u0662\u0667", "2026-28", "2026/27"])
async def test_cycles_are_ascii_school_years(client: GraphQLClient, cycle: str) -> None:
    ratings = [{"elementCode": "5.2", "level": "exploring"}]
    body = await client.raw(
        SELF_ASSESS, {"input": {"cycle": cycle, "ratings": ratings}}, as_=TEACHER_A
    )
    assert refused(body) == [("input.cycle", "BAD_CYCLE")]


async def test_lists_are_bounded(client: GraphQLClient) -> None:
    codes = [f"{i}.1" for i in range(20_000)]
    body = await client.raw(SET_FOCUS, {"input": {"elementCodes": codes}}, as_=TEACHER_A)
    assert refused(body) == [("input.elementCodes", "TOO_MANY")]


@pytest.mark.parametrize("weight", [1e308, 1.5, -0.1])
async def test_weights_are_between_zero_and_one(client: GraphQLClient, weight: float) -> None:
    body = await client.raw(
        WEIGHTS, {"input": {"weights": {"studentPerformance": weight}}}, as_=ADMIN
    )
    assert refused(body) == [("input.weights", "RANGE")]


async def test_evidence_text_is_checked(client: GraphQLClient, db: TestDatabase) -> None:
    evidence = {"kind": "REFLECTION", "title": "Week 3", "body": "escape \x1b[31m red"}
    body = await client.raw(ADD_EVIDENCE, {"input": evidence}, as_=TEACHER_A)
    assert refused(body) == [("input.body", "BAD_TEXT")]
    async with db.sessionmaker() as session:
        assert await session.scalar(select(func.count(models.Evidence.id))) == 0


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ('{ resources(where: { search: "%s" }) { totalCount } }' % ("x" * 100_000), "search"),
        (
            '{ district { teachers(where: { nameContains: "%s" }) { totalCount } } }' % ("y" * 300),
            "nameContains",
        ),
    ],
)
async def test_searches_are_bounded(client: GraphQLClient, query: str, field: str) -> None:
    body = await client.raw(query, as_=ADMIN)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "TOO_LONG"
    assert error["extensions"]["field"] == ["where", field]


async def test_a_cursor_beyond_any_id_is_a_bad_cursor(client: GraphQLClient) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(f"cursor:{2**40}".encode()).decode()
    body = await client.raw(
        "query($after: String) { district { teachers(first: 5, after: $after) { totalCount } } }",
        {"after": cursor},
        as_=ADMIN,
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_CURSOR"


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"name": "Ana\x00Teacher"}, ["input", "name"]),
        ({"name": "Ana \ud800"}, ["input", "name"]),
        ({"subjects": ["Math", "Sci\x00ence"]}, ["input", "subjects", "1"]),
    ],
)
async def test_unstorable_text_in_variables_is_refused_before_any_resolver(
    client: GraphQLClient, db: TestDatabase, world: World, fields: dict[str, Any], path: list[str]
) -> None:
    """NUL bytes and unpaired surrogates cannot be stored by either database: refused whole,
    naming where they were, before anything runs."""
    body = await send(client, UPDATE_PROFILE, {"input": fields}, as_=TEACHER_A)
    [error] = body["errors"]
    assert error["extensions"] == {"code": "BAD_TEXT", "field": path}
    assert body.get("data") is None


async def test_unstorable_text_in_literals_is_refused(client: GraphQLClient) -> None:
    query = '{ district { teachers(where: { planCycle: "2025-26\\u0000" }) { totalCount } } }'
    body = await client.raw(query, as_=ADMIN)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_TEXT"


@pytest.mark.parametrize(
    ("query", "variables"),
    [
        (
            'mutation($d: Date!) { recordTrainingRecord(input: { title: "PD", completedOn: $d, '
            "hours: 1 }) { userErrors { code } } }",
            {"d": "not-a-date"},
        ),
        ("query($n: Int!) { district { teachers(first: $n) { totalCount } } }", {"n": "abc"}),
    ],
)
async def test_variables_of_the_wrong_type_are_the_clients_to_fix(
    client: GraphQLClient, query: str, variables: dict[str, Any]
) -> None:
    body = await client.raw(query, variables, as_=TEACHER_A)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["message"].startswith("Variable '$")
