"""Corrections (issue 12.3): records made in error removed or corrected by who may, over GraphQL on
both databases: nothing orphaned (comments, links, ratings), every removal audited, and the role
matrix for every new mutation (nobody else may, and they learn nothing)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from mypd_graph import models
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
from tests.security_helpers import fingerprint
from tests.students_helpers import teacher_gid
from tests.test_audit_trail import raw, trail

ERRORS = "userErrors { field message code }"
OTHERS = (TEACHER_B, COACH, PRINCIPAL_NORTH, ADMIN, OUTSIDER, IMPORTER)


async def run(
    client: GraphQLClient, name: str, input: dict[str, Any], as_: str, pick: str = ""
) -> Any:
    input_type = name[0].upper() + name[1:] + "Input"
    selection = pick or "removedId"
    data = await client.execute(
        f"mutation($i: {input_type}!) {{ {name}(input: $i) {{ {selection} {ERRORS} }} }}",
        {"i": input},
        as_=as_,
    )
    return data[name]


async def records(client: GraphQLClient, world: World) -> dict[str, str]:
    """Ana's evidence (with a coach's comment and an element link), training, self-assessment;
    an observation by the coach with a rating and a comment by Ana."""
    made: dict[str, str] = {}
    data = await client.execute(
        """mutation {
          e: addEvidence(input: {kind: REFLECTION, title: "Wrong file", elementCodes: ["1.1"]}) {
            evidence { id } userErrors { code } }
          t: recordTrainingRecord(input: {title: "Not mine", completedOn: "2025-10-01", hours: 2}) {
            trainingRecord { id } userErrors { code } }
          s: submitSelfAssessment(input: {cycle: "2025-26",
              ratings: [{elementCode: "1.1", level: "exploring"}]}) {
            selfAssessment { id } userErrors { code } }
        }""",
        as_=TEACHER_A,
    )
    made["evidence"] = data["e"]["evidence"]["id"]
    made["training"] = data["t"]["trainingRecord"]["id"]
    made["self"] = data["s"]["selfAssessment"]["id"]
    observed = await client.execute(
        """mutation($t: ID!) { recordObservation(input: {teacherId: $t, kind: COACHING,
             observedOn: "2025-10-02", notes: "Wrong teacher",
             ratings: [{elementCode: "1.1", level: "exploring"}]}) {
             observation { id } userErrors { code } } }""",
        {"t": teacher_gid(world, TEACHER_A)},
        as_=COACH,
    )
    made["observation"] = observed["recordObservation"]["observation"]["id"]
    for target, author in (("evidence", COACH), ("observation", TEACHER_A)):
        comment = await client.execute(
            f"""mutation($id: ID!) {{ addComment(input: {{body: "noted", {target}Id: $id}}) {{
                 comment {{ id }} {ERRORS} }} }}""",
            {"id": made[target]},
            as_=author,
        )
        assert comment["addComment"]["userErrors"] == [], comment
    return made


async def count(db: TestDatabase, model: Any, **where: int) -> int:
    async with db.sessionmaker() as session:
        statement = select(func.count()).select_from(model)
        for column, value in where.items():
            statement = statement.where(getattr(model, column) == value)
        return int(await session.scalar(statement) or 0)


async def test_a_teacher_deletes_their_own_records_made_in_error(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    made = await records(client, world)
    evidence = int(raw(made["evidence"]))
    assert await count(db, models.Comment, evidence_id=evidence) == 1
    assert await count(db, models.EvidenceElement, evidence_id=evidence) == 1

    for name, key, field in (
        ("deleteEvidence", "evidence", "evidenceId"),
        ("deleteTrainingRecord", "training", "trainingRecordId"),
        ("deleteSelfAssessment", "self", "selfAssessmentId"),
    ):
        payload = await run(client, name, {field: made[key]}, as_=TEACHER_A)
        assert payload == {"removedId": made[key], "userErrors": []}, name
        again = await run(client, name, {field: made[key]}, as_=TEACHER_A)
        assert again["removedId"] is None and again["userErrors"][0]["code"] == "FORBIDDEN"

    assert await count(db, models.Evidence, teacher_id=world.id(TEACHER_A)) == 0
    assert await count(db, models.Comment, evidence_id=evidence) == 0, "no orphan comment"
    assert await count(db, models.EvidenceElement, evidence_id=evidence) == 0, "no orphan link"
    assert await count(db, models.TrainingRecord, teacher_id=world.id(TEACHER_A)) == 0
    assert await count(db, models.SelfAssessment, teacher_id=world.id(TEACHER_A)) == 0
    assert await count(db, models.SelfAssessmentRating) == 0
    data = await client.execute("{ viewer { teacher { evidence { id } } } }", as_=TEACHER_A)
    assert data["viewer"]["teacher"]["evidence"] == []

    deletions = await trail(client, action="delete", teacherId=teacher_gid(world, TEACHER_A))
    assert {(e["entity"], tuple(e["entityIds"]), e["detail"]) for e in deletions} == {
        ("evidence", (str(evidence),), "deleted by its teacher with 1 comments"),
        ("training_record", (raw(made["training"]),), "deleted by its teacher"),
        ("self_assessment", (raw(made["self"]),), "draft deleted by its teacher"),
    }
    assert all(e["actor"]["email"] == TEACHER_A for e in deletions)


async def test_a_self_assessment_behind_a_submitted_plan_is_not_a_draft(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    made = await records(client, world)
    async with db.sessionmaker.begin() as session:
        session.add(
            models.LearningPlan(teacher_id=world.id(TEACHER_A), cycle="2025-26", status="submitted")
        )
    payload = await run(
        client, "deleteSelfAssessment", {"selfAssessmentId": made["self"]}, TEACHER_A
    )
    assert payload["removedId"] is None
    assert payload["userErrors"][0]["code"] == "NOT_A_DRAFT"
    assert await count(db, models.SelfAssessment) == 1


async def test_the_observer_corrects_and_withdraws_within_the_window(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    made = await records(client, world)
    observation = int(raw(made["observation"]))
    corrected = await run(
        client,
        "correctObservation",
        {
            "observationId": made["observation"],
            "notes": "Fixed notes",
            "ratings": [{"elementCode": "1.2", "level": "applying"}],
            "reason": "typo",
        },
        as_=COACH,
        pick="observation { id notes ratings { element { code } level { key } } }",
    )
    assert corrected["userErrors"] == []
    assert corrected["observation"]["notes"] == "Fixed notes"
    assert corrected["observation"]["ratings"] == [
        {"element": {"code": "1.2"}, "level": {"key": "applying"}}
    ]
    withdrawn = await run(
        client,
        "withdrawObservation",
        {"observationId": made["observation"], "reason": "wrong teacher"},
        as_=COACH,
    )
    assert withdrawn == {"removedId": made["observation"], "userErrors": []}
    assert await count(db, models.Observation) == 0
    assert await count(db, models.ObservationRating) == 0
    assert await count(db, models.Comment, observation_id=observation) == 0
    events = await trail(client, entity="observation")
    assert [(e["action"], e["detail"]) for e in events[:2]] == [
        ("delete", "withdrawn by its observer with 1 comments: wrong teacher"),
        ("update", "corrected by its observer: typo"),
    ]
    assert all(e["actor"]["email"] == COACH for e in events[:2])


async def test_the_window_closes_as_the_district_sets_it(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    made = await records(client, world)
    window = await run(
        client, "setObservationCorrectionWindow", {"days": 3}, as_=ADMIN, pick="days"
    )
    assert window == {"days": 3, "userErrors": []}
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.Observation).values(
                created_at=models.utcnow() - timedelta(days=3, minutes=1)
            )
        )
    before = await fingerprint(db)
    for name, extra in (
        ("correctObservation", {"notes": "x"}),
        ("withdrawObservation", {"reason": "x"}),
    ):
        payload = await run(
            client, name, {"observationId": made["observation"], **extra}, COACH, pick="__typename"
        )
        assert payload["userErrors"][0]["code"] == "CORRECTION_WINDOW_CLOSED", name
    assert await fingerprint(db) == before
    widened = await run(
        client, "setObservationCorrectionWindow", {"days": 4}, as_=ADMIN, pick="days"
    )
    assert widened["days"] == 4
    payload = await run(
        client, "withdrawObservation", {"observationId": made["observation"], "reason": "x"}, COACH
    )
    assert payload["userErrors"] == []
    bad = await run(client, "setObservationCorrectionWindow", {"days": 400}, as_=ADMIN, pick="days")
    assert bad["days"] is None and bad["userErrors"][0]["code"] == "BAD_DAYS"
    changes = await trail(client, entity="district_settings")
    assert [e["detail"] for e in changes] == [
        "observation_correction_days 3 -> 4",
        "observation_correction_days 14 -> 3",
    ]


@pytest.mark.parametrize("viewer", OTHERS)
async def test_nobody_else_removes_or_corrects(
    client: GraphQLClient, db: TestDatabase, world: World, viewer: str
) -> None:
    made = await records(client, world)
    before = await fingerprint(db)
    events = len(await trail(client))
    attempts = [
        ("deleteEvidence", {"evidenceId": made["evidence"]}, "removedId"),
        ("deleteTrainingRecord", {"trainingRecordId": made["training"]}, "removedId"),
        ("deleteSelfAssessment", {"selfAssessmentId": made["self"]}, "removedId"),
        ("correctObservation", {"observationId": made["observation"], "notes": "x"}, "__typename"),
        ("withdrawObservation", {"observationId": made["observation"], "reason": "x"}, "removedId"),
    ]
    if viewer not in (ADMIN, OUTSIDER):  # an admin sets their own district's window
        attempts.append(("setObservationCorrectionWindow", {"days": 1}, "days"))
    for name, input, pick in attempts:
        if viewer == COACH and name in ("correctObservation", "withdrawObservation"):
            continue  # the coach recorded it: theirs to fix (tested above)
        payload = await run(client, name, input, viewer, pick=pick)
        assert [e["code"] for e in payload["userErrors"]] == ["FORBIDDEN"], (name, viewer)
    assert await fingerprint(db) == before
    assert len(await trail(client)) == events, "a refused change records nothing"


async def test_the_teacher_may_not_fix_observations_about_them(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    made = await records(client, world)
    payload = await run(
        client,
        "withdrawObservation",
        {"observationId": made["observation"], "reason": "no"},
        TEACHER_A,
    )
    assert payload["userErrors"][0]["code"] == "FORBIDDEN"
    wrong_type = await run(client, "deleteEvidence", {"evidenceId": made["training"]}, TEACHER_A)
    assert wrong_type["userErrors"][0]["code"] == "BAD_ID"


async def test_another_districts_window_is_its_own(
    client: GraphQLClient, db: TestDatabase, world: World
) -> None:
    made = await records(client, world)
    closed = await run(client, "setObservationCorrectionWindow", {"days": 0}, OUTSIDER, pick="days")
    assert closed == {"days": 0, "userErrors": []}
    payload = await run(
        client,
        "correctObservation",
        {"observationId": made["observation"], "notes": "ok"},
        COACH,
        pick="observation { notes }",
    )
    assert payload == {"observation": {"notes": "ok"}, "userErrors": []}
    assert [e["detail"] for e in await trail(client, entity="district_settings")] == []
    outsider = await trail(client, as_=OUTSIDER, entity="district_settings")
    assert [e["detail"] for e in outsider] == ["observation_correction_days 14 -> 0"]
