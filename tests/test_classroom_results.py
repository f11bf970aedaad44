"""Teachers bring their own data (issue 14, item 9): a teacher uploads their class's results of a
classroom assessment over GraphQL (multipart); only their own students are taken, the results are
marked as classroom data, show in their growth, are audited as an import, and count in needs only
once the district turns it on."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.importers.pipeline import run_import
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.imports.classroom import classroom_key
from mypd_graph.services.personalization.settings import Signal
from mypd_graph.services.students.status import stale_result_status
from tests.conftest import GraphQLClient, TestDatabase
from tests.factories import ADMIN, COACH, TEACHER_A, TEACHER_B, World
from tests.needs_helpers import actor, needs_of, reading, self_rate, set_settings

UPLOAD = """mutation($file: Upload!, $name: String!, $mapping: JSON) {
  uploadClassroomResults(input: {file: $file, assessmentName: $name, subject: "Math",
                                 schoolYear: "2025-26", term: "Spring", mapping: $mapping}) {
    importRun { importer status message rowsRead rowsInserted rowsRejected }
    rowErrors { row column value reason }
    userErrors { field code message } } }"""
ENABLE = """mutation($on: Boolean!) { setClassroomResultsInNeeds(input: {enabled: $on}) {
  classroomResultsInNeeds userErrors { code } } }"""
READ = "{ classroomResultsInNeeds }"
GROWTH = """{ viewer { teacher { growth {
  studentStatus { subject schoolYear students belowStandard }
  studentResults { assessmentName subject schoolYear term suppressed students
                   shareAtOrAboveStandard meanScaleScore } } } } }"""
# The template (docs/importing.md): s4 is Ben's student, zz9 nobody's.
TEMPLATE = "student_id,achievement_level,score\ns1,4,88\ns2,3,75\ns3,4,91\ns4,1,40\nzz9,2,50\n"


async def upload(
    client: GraphQLClient, email: str, content: str, name: str = "Unit 3 quiz", **variables: Any
) -> dict[str, Any]:
    boundary = f"mypd-{secrets.token_hex(8)}"
    operations = json.dumps(
        {"query": UPLOAD, "variables": {"file": None, "name": name, **variables}}
    )
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{operations}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n'
        '{"0": ["variables.file"]}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="0"; filename="quiz.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
    ).encode()
    response = await client.http.post(
        "/graphql",
        content=body,
        headers={
            "Authorization": f"Bearer {client.token_for(email)}",
            "content-type": f"multipart/form-data; boundary={boundary}",
        },
    )
    data = response.json()
    assert response.status_code == 200 and "errors" not in data, data
    return data["data"]["uploadClassroomResults"]


def student_signal(needs: dict[str, Any]) -> str:
    return reading(needs["1.6"], Signal.STUDENT_PERFORMANCE).evidence[0]


async def test_a_teacher_uploads_results_for_their_own_students_only(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    await set_settings(db, world, minimum_group_size=3)
    payload = await upload(client, TEACHER_A, TEMPLATE)
    assert payload["userErrors"] == []
    assert payload["importRun"] == {
        "importer": "classroom",
        "status": "COMPLETED",
        "message": "",
        "rowsRead": 5,
        "rowsInserted": 3,
        "rowsRejected": 2,
    }
    # Ben's student and an unknown id are row errors naming their rows.
    assert [(e["row"], e["column"], e["value"]) for e in payload["rowErrors"]] == [
        (5, "student_id", "s4"),
        (6, "student_id", "zz9"),
    ]
    assert all(
        e["reason"].startswith(f"row {e['row']}: not a student of your sections in 2025-26")
        for e in payload["rowErrors"]
    )
    async with db.sessionmaker() as session:
        assessment = await session.scalar(
            select(models.Assessment).where(models.Assessment.name == "Unit 3 quiz")
        )
        assert assessment is not None
        # Marked as the teacher's classroom data.
        assert (assessment.classroom_teacher_id, assessment.vendor) == (
            world.id(TEACHER_A),
            "Classroom",
        )
        results = list(
            await session.scalars(
                select(models.AssessmentResult.student_id).where(
                    models.AssessmentResult.assessment_id == assessment.id
                )
            )
        )
        assert sorted(results) == sorted(world.student_ids[s] for s in ("s1", "s2", "s3"))
        run = await session.scalar(
            select(models.ImportRun).where(models.ImportRun.importer == "classroom")
        )
        assert run is not None and run.user_id == world.id(TEACHER_A)
        imports = await session.scalars(
            select(models.AuditEvent).where(models.AuditEvent.action == "import")
        )
        audited = [event.user_id for event in imports if event.entity_ids == [str(run.id)]]
        assert audited == [world.id(TEACHER_A)]
        assert await stale_result_status(session, world.district_id) == []
    # In the teacher's growth, beside the district's MAP results.
    data = await client.execute(GROWTH, as_=TEACHER_A)
    growth = data["viewer"]["teacher"]["growth"]
    quiz = [row for row in growth["studentResults"] if row["assessmentName"] == "Unit 3 quiz"]
    assert quiz == [
        {
            "assessmentName": "Unit 3 quiz",
            "subject": "Math",
            "schoolYear": "2025-26",
            "term": "Spring",
            "suppressed": False,
            "students": 3,
            "shareAtOrAboveStandard": 1.0,
            "meanScaleScore": 84.7,
        }
    ]


async def test_classroom_results_count_in_needs_only_when_the_district_says_so(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    await set_settings(db, world, minimum_group_size=3)
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring"})  # 1.6 is a Math element
    before = student_signal(await needs_of(db, world, TEACHER_A, viewer=TEACHER_A))
    assert before.startswith("100% below standard in Math, 2025-26: 3 of your 3")
    payload = await upload(client, TEACHER_A, TEMPLATE)
    assert payload["importRun"]["rowsInserted"] == 3
    # Off by default: the classroom quiz (all at standard) changes neither needs nor status.
    assert student_signal(await needs_of(db, world, TEACHER_A, viewer=TEACHER_A)) == before
    status = (await client.execute(GROWTH, as_=TEACHER_A))["viewer"]["teacher"]["growth"]
    assert [(r["subject"], r["students"], r["belowStandard"]) for r in status["studentStatus"]] == [
        ("Math", 3, 3)
    ]
    # Only a district admin turns it on.
    refused = await client.execute(ENABLE, {"on": True}, as_=TEACHER_A)
    assert refused["setClassroomResultsInNeeds"]["userErrors"] == [{"code": "FORBIDDEN"}]
    assert await client.execute(READ, as_=TEACHER_A) == {"classroomResultsInNeeds": False}
    turned = await client.execute(ENABLE, {"on": True}, as_=ADMIN)
    assert turned["setClassroomResultsInNeeds"] == {
        "classroomResultsInNeeds": True,
        "userErrors": [],
    }
    assert await client.execute(READ, as_=TEACHER_A) == {"classroomResultsInNeeds": True}
    async with db.sessionmaker() as session:
        changes = await session.scalars(
            select(models.AuditEvent.detail).where(
                models.AuditEvent.entity == "district_settings",
                models.AuditEvent.user_id == world.id(ADMIN),
            )
        )
        assert list(changes) == ["classroom_results_in_needs off -> on"]
    # On: the spring quiz decides the students' status (the latest results of the year).
    after = student_signal(await needs_of(db, world, TEACHER_A, viewer=TEACHER_A))
    assert after.startswith("0% below standard in Math, 2025-26: 0 of your 3"), after
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
    # A second upload while it is on is counted too; off again, it is left out again.
    await client.execute(ENABLE, {"on": False}, as_=ADMIN)
    assert student_signal(await needs_of(db, world, TEACHER_A, viewer=TEACHER_A)) == before


async def test_uploads_refused_to_others_and_for_bad_input(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    coach = await upload(client, COACH, TEMPLATE)
    assert [e["code"] for e in coach["userErrors"]] == ["FORBIDDEN"]
    admin = await upload(client, ADMIN, TEMPLATE)
    assert [e["code"] for e in admin["userErrors"]] == ["FORBIDDEN"]
    no_name = await upload(client, TEACHER_A, TEMPLATE, name=" ")
    assert no_name["userErrors"] and no_name["importRun"] is None
    # A mapping names the file's own headers (the generic layout's fields).
    mapped = await upload(
        client,
        TEACHER_A,
        "Student Number;Perf Level\ns1;2\ns2;2\n",
        name="Exit ticket",
        mapping={"student_id": "Student Number", "achievement_level": "Perf Level"},
    )
    assert (mapped["importRun"]["status"], mapped["importRun"]["rowsInserted"]) == ("COMPLETED", 2)
    # A file of none of the teacher's students imports nothing and leaves no assessment behind.
    wrong = await upload(client, TEACHER_A, "student_id,score\n", name="Empty")
    assert wrong["importRun"]["status"] == "REJECTED"
    async with db.sessionmaker() as session:
        names = set(await session.scalars(select(models.Assessment.name)))
    assert "Exit ticket" in names and "Empty" not in names


STUDENTS = """{ viewer { teacher { students(first: 10) { edges { node { localId
  results { assessment { name classroom } term } } } } } } }"""


async def _enroll(db: TestDatabase, world: World, student: str, section: str) -> None:
    async with db.sessionmaker.begin() as session:
        session.add(
            models.Enrollment(
                section_id=world.section_ids[section], student_id=world.student_ids[student]
            )
        )


async def _growth_results(client: GraphQLClient, email: str) -> list[dict[str, Any]]:
    query = """{ viewer { teacher { growth { studentResults {
      assessmentName term schoolYear suppressed classroom } } } } }"""
    return (await client.execute(query, as_=email))["viewer"]["teacher"]["growth"]["studentResults"]


async def test_a_classroom_assessment_shows_in_its_teachers_growth_only_and_is_marked(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    """Teacher B also teaches s1 (Math): A's quiz is A's, so it is in A's growth (marked as
    classroom data) and never in B's, while the district's results of s1 stay in both; the
    student's results mark the quiz too."""
    await set_settings(db, world, minimum_group_size=1)
    await _enroll(db, world, "s1", "B-MATH")
    payload = await upload(client, TEACHER_A, TEMPLATE)
    assert payload["importRun"]["rowsInserted"] == 3
    mine = await _growth_results(client, TEACHER_A)
    assert {(r["assessmentName"], r["classroom"]) for r in mine} >= {("Unit 3 quiz", True)}
    assert all(not r["classroom"] for r in mine if r["assessmentName"] != "Unit 3 quiz")
    theirs = await _growth_results(client, TEACHER_B)
    assert theirs and all(r["assessmentName"] != "Unit 3 quiz" for r in theirs), theirs
    assert not any(r["classroom"] for r in theirs)
    # The district's results of s1 still count in B's growth (B's 2025-26 terms grew by s1).
    shared = {(r["assessmentName"], r["term"]) for r in mine if not r["classroom"]}
    assert shared and shared <= {(r["assessmentName"], r["term"]) for r in theirs}
    found = (await client.execute(STUDENTS, as_=TEACHER_A))["viewer"]["teacher"]["students"]
    s1 = next(e["node"] for e in found["edges"] if e["node"]["localId"] == "s1")
    marks = {(r["assessment"]["name"], r["assessment"]["classroom"]) for r in s1["results"]}
    assert ("Unit 3 quiz", True) in marks
    assert any(not classroom for name, classroom in marks if name != "Unit 3 quiz")


async def test_a_district_import_into_a_classroom_assessment_is_not_counted_while_off(
    client: GraphQLClient, world: World, db: TestDatabase, plugins: PluginSet, tmp_path: Path
) -> None:
    """The import pipeline's fast path (importers/result_summary.py) adds a first load's counts
    to the summaries without reading the district's classroom rule. A district score file that
    names a classroom assessment's key (a fresh administration of it) must still leave the
    summaries as their one definition says while classroomResultsInNeeds is off."""
    await set_settings(db, world, minimum_group_size=3)
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring"})
    before = student_signal(await needs_of(db, world, TEACHER_A, viewer=TEACHER_A))
    payload = await upload(client, TEACHER_A, TEMPLATE)
    assert payload["importRun"]["rowsInserted"] == 3
    key = classroom_key(world.id(TEACHER_A), "Unit 3 quiz")
    scores = tmp_path / "winter.csv"
    scores.write_text(
        "Student Number,Scale Score,Perf Level,Subject,Test Date,Assessment\n"
        + "".join(f"{s},90,4,Math,2026-01-20,Unit 3 quiz\n" for s in ("s1", "s2", "s3")),
        encoding="utf-8",
    )
    columns = {
        "student_id": "Student Number",
        "score": "Scale Score",
        "achievement_level": "Perf Level",
        "subject": "Subject",
        "date": "Test Date",
        "assessment_name": "Assessment",
    }
    options = {"format": "generic", "mapping": columns, "assessment_key": key}
    who = await actor(db, world, ADMIN)
    run = await run_import(db.sessionmaker, who, "csv-scores", scores, options, plugins=plugins)
    assert (run.status, run.rows_inserted) == ("completed", 3), run.message
    async with db.sessionmaker() as session:
        assessment = await session.scalar(
            select(models.Assessment).where(models.Assessment.key == key)
        )
        assert assessment is not None and assessment.classroom_teacher_id == world.id(TEACHER_A)
        assert await stale_result_status(session, world.district_id) == []
    assert student_signal(await needs_of(db, world, TEACHER_A, viewer=TEACHER_A)) == before


async def test_an_upload_while_classroom_results_count_is_counted_by_the_import_itself(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    """With the district's rule on, an upload's first load adds its counts to the summaries
    (the import's fast path), and they are what the summaries' definition says."""
    await set_settings(db, world, minimum_group_size=3)
    await self_rate(db, world, TEACHER_A, {"1.6": "exploring"})
    await client.execute(ENABLE, {"on": True}, as_=ADMIN)
    payload = await upload(client, TEACHER_A, TEMPLATE)
    assert payload["importRun"]["rowsInserted"] == 3
    async with db.sessionmaker() as session:
        assert await stale_result_status(session, world.district_id) == []
    after = student_signal(await needs_of(db, world, TEACHER_A, viewer=TEACHER_A))
    assert after.startswith("0% below standard in Math, 2025-26: 0 of your 3"), after


async def test_a_row_is_judged_by_the_id_it_is_written_by(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    """A row naming Ben's student by local id and one of Ana's by state id is refused: the
    writer matches local ids first, district-wide, so it would have reached Ben's student."""
    async with db.sessionmaker.begin() as session:
        own = await session.get_one(models.Student, world.student_ids["s1"])
        own.state_id = "9000000001"
    content = "student_id,state_id,achievement_level\ns4,9000000001,1\ns1,9000000001,4\n"
    mapping = {
        "student_id": "student_id",
        "state_id": "state_id",
        "achievement_level": "achievement_level",
    }
    payload = await upload(client, TEACHER_A, content, mapping=mapping)
    assert [(e["row"], e["value"]) for e in payload["rowErrors"]] == [(2, "s4")], payload["rowErrors"]
    async with db.sessionmaker() as session:
        written = list(
            await session.execute(
                select(
                    models.AssessmentResult.student_id, models.AssessmentResult.achievement_level
                )
                .join(models.Assessment)
                .where(models.Assessment.name == "Unit 3 quiz")
            )
        )
    # Only Ana's own student got a result; Ben's student none.
    assert [tuple(row) for row in written] == [(world.student_ids["s1"], 4)]
