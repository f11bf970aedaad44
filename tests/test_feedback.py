"""Self-assessments, observations, evidence, comments and training records, through GraphQL.

Every mutation's success path and userErrors, every permission rule (own data, assigned coach,
principal's school, district admin, another district), and constant SQL per request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select, update

from mypd_graph import models
from mypd_graph.schema.relay import from_global_id, to_global_id
from mypd_graph.services.access import actor_for
from mypd_graph.services.feedback import evidence as feedback_evidence
from mypd_graph.services.feedback import ratings as feedback
from mypd_graph.services.feedback import training as feedback_training
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


def codes(ratings: list[dict[str, Any]]) -> dict[str, str]:
    return {item["element"]["code"]: item["level"]["key"] for item in ratings}


def teacher_id(world: World, email: str) -> str:
    return to_global_id("Teacher", world.id(email))


@pytest.fixture
async def goals(db: TestDatabase, world: World) -> dict[str, int]:
    """One plan with one goal for each of TEACHER_A and TEACHER_B (rows written directly)."""
    ids = {}
    async with db.sessionmaker.begin() as session:
        for email in (TEACHER_A, TEACHER_B):
            plan = models.LearningPlan(teacher_id=world.id(email), cycle="2025-26", title="Plan")
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
    input = {"kind": "REFLECTION", "title": "Exit tickets", "body": "What I saw."} | overrides
    return await ok(client, "addEvidence", input, as_)


# --- self-assessments -----------------------------------------------------------------------------


async def test_teacher_submits_self_assessment_and_reads_it_through_teacher(client, world):
    result = await ok(
        client,
        "submitSelfAssessment",
        {
            "cycle": "2025-26",
            "ratings": [rating("2.3", "emerging"), rating("1.1", "applying", "ok")],
        },
        TEACHER_A,
    )
    assert result["cycle"] == "2025-26"
    assert result["teacher"]["name"] == "Ana Alvarez"
    assert result["ratings"] == [  # framework order, not input order
        {"element": {"code": "1.1"}, "level": {"key": "applying"}, "note": "ok"},
        {"element": {"code": "2.3"}, "level": {"key": "emerging"}, "note": ""},
    ]
    data = await client.execute(
        "{ viewer { teacher { selfAssessments { id cycle ratings { element { code } } } } } }",
        as_=TEACHER_A,
    )
    [mine] = data["viewer"]["teacher"]["selfAssessments"]
    assert mine["id"] == result["id"]
    assert [item["element"]["code"] for item in mine["ratings"]] == ["1.1", "2.3"]


async def test_resubmitting_a_cycle_updates_named_elements_and_submitted_at(client, world):
    first = await ok(
        client,
        "submitSelfAssessment",
        {"cycle": "2025-26", "ratings": [rating("1.1", "emerging"), rating("1.2", "exploring")]},
        TEACHER_A,
    )
    second = await ok(
        client,
        "submitSelfAssessment",
        {
            "cycle": "2025-26",
            "ratings": [rating("1.1", "innovating", "grew"), rating("3.1", "applying")],
        },
        TEACHER_A,
    )
    assert second["id"] == first["id"]
    assert second["submittedAt"] > first["submittedAt"]
    assert codes(second["ratings"]) == {"1.1": "innovating", "1.2": "exploring", "3.1": "applying"}
    other_cycle = await ok(
        client,
        "submitSelfAssessment",
        {"cycle": "2026-27", "ratings": [rating("1.1", "emerging")]},
        TEACHER_A,
    )
    assert other_cycle["id"] != first["id"]
    listed = await of_teacher(client, world, TEACHER_A, "selfAssessments { cycle }", TEACHER_A)
    assert [item["cycle"] for item in listed] == ["2026-27", "2025-26"]  # newest first


@pytest.mark.parametrize(
    ("input", "expected"),
    [
        (
            {"cycle": "2025-2026", "ratings": [rating("1.1", "emerging")]},
            [("input.cycle", "BAD_CYCLE")],
        ),
        (
            {"cycle": "2025-27", "ratings": [rating("1.1", "emerging")]},
            [("input.cycle", "BAD_CYCLE")],
        ),
        ({"cycle": "2025-26", "ratings": []}, [("input.ratings", "REQUIRED")]),
        (
            {"cycle": "2025-26", "ratings": [rating("1.1", "emerging"), rating("1.1", "applying")]},
            [("input.ratings.1.elementCode", "DUPLICATE_ELEMENT")],
        ),
        (
            {"cycle": "2025-26", "ratings": [rating("1.1", "emerging"), rating("9.9", "applying")]},
            [("input.ratings.1.elementCode", "UNKNOWN_ELEMENT")],
        ),
        (
            {
                "cycle": "2025-26",
                "ratings": [rating("1", "emerging")],
            },  # a standard, not an element
            [("input.ratings.0.elementCode", "UNKNOWN_ELEMENT")],
        ),
        (
            {"cycle": "2025-26", "ratings": [rating("1.1", "great"), rating("1.1", "awful")]},
            [
                ("input.ratings.0.level", "UNKNOWN_LEVEL"),
                ("input.ratings.1.elementCode", "DUPLICATE_ELEMENT"),
                ("input.ratings.1.level", "UNKNOWN_LEVEL"),
            ],
        ),
    ],
)
async def test_self_assessment_user_errors(client, world, input, expected):
    assert await errors(client, "submitSelfAssessment", input, TEACHER_A) == expected
    assert await of_teacher(client, world, TEACHER_A, "selfAssessments { id }", TEACHER_A) == []


async def test_resubmission_with_an_error_keeps_the_earlier_ratings(client, world):
    await ok(
        client,
        "submitSelfAssessment",
        {"cycle": "2025-26", "ratings": [rating("1.1", "emerging")]},
        TEACHER_A,
    )
    bad = {"cycle": "2025-26", "ratings": [rating("1.1", "innovating"), rating("1.2", "nope")]}
    assert await errors(client, "submitSelfAssessment", bad, TEACHER_A) == [
        ("input.ratings.1.level", "UNKNOWN_LEVEL")
    ]
    [kept] = await of_teacher(
        client, world, TEACHER_A, f"selfAssessments {{ ratings {{ {RATING} }} }}", TEACHER_A
    )
    assert codes(kept["ratings"]) == {"1.1": "emerging"}


@pytest.mark.parametrize("who", [COACH, PRINCIPAL_NORTH, ADMIN, OUTSIDER])
async def test_only_teachers_submit_self_assessments(client, world, who):
    input = {"cycle": "2025-26", "ratings": [rating("1.1", "emerging")]}
    assert await errors(client, "submitSelfAssessment", input, who) == [("input", "FORBIDDEN")]


async def test_without_an_active_framework_there_is_nothing_to_rate(client, world, db):
    async with db.sessionmaker.begin() as session:
        await session.execute(
            update(models.District)
            .where(models.District.id == world.district_id)
            .values(active_framework_id=None)
        )
    input = {"cycle": "2025-26", "ratings": [rating("1.1", "emerging")]}
    assert await errors(client, "submitSelfAssessment", input, TEACHER_A) == [
        ("input", "NO_FRAMEWORK")
    ]


async def test_self_assessment_visibility(client, world):
    result = await ok(
        client,
        "submitSelfAssessment",
        {"cycle": "2025-26", "ratings": [rating("1.1", "emerging")]},
        TEACHER_A,
    )
    for reader in READERS_OF_A:
        found = await node(client, result["id"], reader, "... on SelfAssessment { cycle }")
        assert found == {"__typename": "SelfAssessment", "id": result["id"], "cycle": "2025-26"}, (
            reader
        )
        listed = await of_teacher(client, world, TEACHER_A, "selfAssessments { id }", reader)
        assert listed == [{"id": result["id"]}], reader
    for outsider in NON_READERS_OF_A:
        assert await node(client, result["id"], outsider) is None, outsider
        assert (
            await of_teacher(client, world, TEACHER_A, "selfAssessments { id }", outsider) is None
        )


# --- observations ---------------------------------------------------------------------------------


async def test_coach_records_observation_the_teacher_reads(client, world):
    result = await observe(
        client,
        world,
        kind="COACHING",
        notes=" Try wait time. ",
        ratings=[rating("1.5", "applying", "good"), rating("2.6", "exploring")],
    )
    assert result["kind"] == "COACHING"
    assert result["observedOn"] == "2025-10-01"
    assert result["notes"] == "Try wait time."
    assert result["observer"] == {"name": "Cora Coach"}
    assert result["teacher"] == {"name": "Ana Alvarez"}
    assert codes(result["ratings"]) == {"1.5": "applying", "2.6": "exploring"}
    assert result["comments"] == []
    listed = await of_teacher(
        client, world, TEACHER_A, f"observations {{ {FIELDS['observation']} }}", TEACHER_A
    )
    assert listed == [result]


async def test_observations_newest_first(client, world):
    older = await observe(client, world, observedOn="2025-09-01")
    newer = await observe(client, world, observedOn="2025-11-15", as_=PRINCIPAL_NORTH)
    today = await observe(
        client, world, observedOn=TODAY.isoformat(), ratings=[], kind="WALKTHROUGH"
    )
    listed = await of_teacher(client, world, TEACHER_A, "observations { id }", TEACHER_A)
    assert [item["id"] for item in listed] == [today["id"], newer["id"], older["id"]]


@pytest.mark.parametrize(
    ("observer", "teacher"),
    [
        (COACH, TEACHER_A),
        (PRINCIPAL_NORTH, TEACHER_A),
        (PRINCIPAL_NORTH, TEACHER_B),
        (PRINCIPAL_SOUTH, TEACHER_C),
        (ADMIN, TEACHER_C),
    ],
)
async def test_supervisors_observe_the_teachers_they_serve(client, world, observer, teacher):
    result = await observe(client, world, teacherId=teacher_id(world, teacher), as_=observer)
    listed = await of_teacher(
        client, world, teacher, "observations { id observer { email } }", teacher
    )
    assert listed == [{"id": result["id"], "observer": {"email": observer}}]


@pytest.mark.parametrize(
    ("observer", "teacher"),
    [
        (COACH, TEACHER_B),
        (COACH, TEACHER_C),
        (PRINCIPAL_NORTH, TEACHER_C),
        (PRINCIPAL_SOUTH, TEACHER_A),
        (TEACHER_B, TEACHER_A),
        (TEACHER_A, TEACHER_A),
        (OUTSIDER, TEACHER_A),
    ],
)
async def test_nobody_else_records_observations(client, world, observer, teacher):
    input = {
        "teacherId": teacher_id(world, teacher),
        "kind": "INFORMAL",
        "observedOn": "2025-10-01",
        "notes": "x",
    }
    assert await errors(client, "recordObservation", input, observer) == [("input", "FORBIDDEN")]
    assert await of_teacher(client, world, teacher, "observations { id }", ADMIN) == []


async def test_unknown_teacher_gets_the_same_answer_as_an_unserved_one(client, world):
    input = {
        "teacherId": to_global_id("Teacher", 999_999),
        "kind": "FORMAL",
        "observedOn": "2025-10-01",
        "notes": "x",
    }
    assert await errors(client, "recordObservation", input, COACH) == [("input", "FORBIDDEN")]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"observedOn": (TODAY + timedelta(days=2)).isoformat()},
            [("input.observedOn", "IN_FUTURE")],
        ),
        ({"teacherId": "not-an-id"}, [("input.teacherId", "BAD_ID")]),
        ({"teacherId": to_global_id("School", 1)}, [("input.teacherId", "BAD_ID")]),
        ({"notes": "  ", "ratings": []}, [("input.notes", "REQUIRED")]),
        (
            {"ratings": [rating("1.5", "applying"), rating("1.5", "exploring")]},
            [("input.ratings.1.elementCode", "DUPLICATE_ELEMENT")],
        ),
        (
            {"ratings": [rating("7.7", "applying")]},
            [("input.ratings.0.elementCode", "UNKNOWN_ELEMENT")],
        ),
        ({"ratings": [rating("1.5", "perfect")]}, [("input.ratings.0.level", "UNKNOWN_LEVEL")]),
    ],
)
async def test_observation_user_errors(client, world, overrides, expected):
    input = {
        "teacherId": teacher_id(world, TEACHER_A),
        "kind": "FORMAL",
        "observedOn": "2025-10-01",
        "notes": "ok",
    } | overrides
    assert await errors(client, "recordObservation", input, COACH) == expected
    assert await of_teacher(client, world, TEACHER_A, "observations { id }", ADMIN) == []


async def test_observation_visibility(client, world):
    result = await observe(client, world)
    for reader in READERS_OF_A:
        found = await node(client, result["id"], reader, "... on Observation { notes }")
        assert found["notes"] == "Strong questioning.", reader
        assert await of_teacher(client, world, TEACHER_A, "observations { id }", reader) == [
            {"id": result["id"]}
        ]
    for outsider in NON_READERS_OF_A:
        assert await node(client, result["id"], outsider) is None, outsider


async def test_self_ratings_and_observer_ratings_stay_apart(client, world):
    await ok(
        client,
        "submitSelfAssessment",
        {"cycle": "2025-26", "ratings": [rating("1.5", "innovating")]},
        TEACHER_A,
    )
    await observe(client, world, ratings=[rating("1.5", "emerging")])
    data = await of_teacher(
        client, world, TEACHER_A, f"selfAssessments {{ ratings {{ {RATING} }} }}", COACH
    )
    assert codes(data[0]["ratings"]) == {"1.5": "innovating"}
    data = await of_teacher(
        client, world, TEACHER_A, f"observations {{ ratings {{ {RATING} }} }}", COACH
    )
    assert codes(data[0]["ratings"]) == {"1.5": "emerging"}


# --- evidence -------------------------------------------------------------------------------------


async def test_teacher_adds_evidence_tied_to_elements_and_own_goals(client, world, goals):
    result = await add_evidence(
        client,
        kind="STUDENT_WORK",
        elementCodes=["2.2", "1.1", "1.1"],
        goalIds=[goal_id(goals, TEACHER_A)],
    )
    assert result["kind"] == "STUDENT_WORK"
    assert (result["title"], result["body"], result["url"]) == ("Exit tickets", "What I saw.", "")
    assert result["teacher"] == {"name": "Ana Alvarez"}
    assert [element["code"] for element in result["elements"]] == ["1.1", "2.2"]
    assert result["goals"] == [{"id": goal_id(goals, TEACHER_A), "title": f"Goal of {TEACHER_A}"}]
    listed = await of_teacher(
        client, world, TEACHER_A, f"evidence {{ {FIELDS['evidence']} }}", TEACHER_A
    )
    assert listed == [result]
    goal = await node(
        client, goal_id(goals, TEACHER_A), TEACHER_A, "... on Goal { evidence { id } }"
    )
    assert goal["evidence"] == [{"id": result["id"]}]


async def test_link_evidence_needs_an_http_url(client, world):
    result = await add_evidence(client, kind="LINK", url="https://example.org/lesson")
    assert result["url"] == "https://example.org/lesson"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"kind": "LINK"}, [("input.url", "REQUIRED")]),
        ({"kind": "LINK", "url": "ftp://example.org/x"}, [("input.url", "BAD_URL")]),
        ({"kind": "FILE", "url": "javascript:alert(1)"}, [("input.url", "BAD_URL")]),
        ({"kind": "LINK", "url": "https://"}, [("input.url", "BAD_URL")]),
        ({"url": "https://example.org/" + "x" * 1000}, [("input.url", "TOO_LONG")]),
        ({"title": "   "}, [("input.title", "REQUIRED")]),
        ({"title": "t" * 301}, [("input.title", "TOO_LONG")]),
        ({"elementCodes": ["1.1", "8.8"]}, [("input.elementCodes", "UNKNOWN_ELEMENT")]),
        ({"goalIds": ["nope"]}, [("input.goalIds.0", "BAD_ID")]),
        ({"goalIds": [to_global_id("Goal", 999_999)]}, [("input.goalIds.0", "UNKNOWN_GOAL")]),
    ],
)
async def test_add_evidence_user_errors(client, world, overrides, expected):
    input = {"kind": "REFLECTION", "title": "Exit tickets"} | overrides
    assert await errors(client, "addEvidence", input, TEACHER_A) == expected
    assert await of_teacher(client, world, TEACHER_A, "evidence { id }", TEACHER_A) == []


async def test_evidence_cannot_support_another_teachers_goal(client, world, goals):
    input = {
        "kind": "REFLECTION",
        "title": "x",
        "goalIds": [goal_id(goals, TEACHER_A), goal_id(goals, TEACHER_B)],
    }
    assert await errors(client, "addEvidence", input, TEACHER_A) == [
        ("input.goalIds.1", "UNKNOWN_GOAL")
    ]


@pytest.mark.parametrize("who", [COACH, PRINCIPAL_NORTH, ADMIN, OUTSIDER])
async def test_only_teachers_add_evidence(client, world, who):
    assert await errors(client, "addEvidence", {"kind": "ARTIFACT", "title": "x"}, who) == [
        ("input", "FORBIDDEN")
    ]


async def test_owner_updates_evidence_field_by_field(client, world, goals):
    original = await add_evidence(client, elementCodes=["1.1"], goalIds=[goal_id(goals, TEACHER_A)])
    updated = await ok(
        client,
        "updateEvidence",
        {
            "evidenceId": original["id"],
            "kind": "LINK",
            "url": "http://example.org/v",
            "title": "Video",
            "elementCodes": ["3.2", "1.4"],
            "goalIds": [],
        },
        TEACHER_A,
    )
    assert updated["id"] == original["id"]
    assert (updated["kind"], updated["title"], updated["url"]) == (
        "LINK",
        "Video",
        "http://example.org/v",
    )
    assert updated["body"] == "What I saw."  # left out, so kept
    assert [element["code"] for element in updated["elements"]] == ["1.4", "3.2"]
    assert updated["goals"] == []
    assert updated["createdAt"] == original["createdAt"]
    assert updated["updatedAt"] > original["updatedAt"]
    untouched = await ok(
        client, "updateEvidence", {"evidenceId": original["id"], "body": "More."}, TEACHER_A
    )
    assert (untouched["title"], untouched["body"]) == ("Video", "More.")
    assert [element["code"] for element in untouched["elements"]] == ["1.4", "3.2"]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"kind": "LINK"}, [("input.url", "REQUIRED")]),
        ({"title": ""}, [("input.title", "REQUIRED")]),
        ({"url": "mailto:a@b.c"}, [("input.url", "BAD_URL")]),
        ({"elementCodes": ["0.0"]}, [("input.elementCodes", "UNKNOWN_ELEMENT")]),
        ({"evidenceId": to_global_id("Observation", 1)}, [("input.evidenceId", "BAD_ID")]),
    ],
)
async def test_update_evidence_user_errors_change_nothing(client, world, overrides, expected):
    original = await add_evidence(client, elementCodes=["1.1"])
    input = {"evidenceId": original["id"]} | overrides
    assert await errors(client, "updateEvidence", input, TEACHER_A) == expected
    fragment = f"... on Evidence {{ {FIELDS['evidence']} }}"
    assert await node(client, original["id"], TEACHER_A, fragment) == original | {
        "__typename": "Evidence"
    }


@pytest.mark.parametrize(
    "who", [COACH, PRINCIPAL_NORTH, ADMIN, TEACHER_B, PRINCIPAL_SOUTH, OUTSIDER]
)
async def test_only_the_owner_updates_evidence(client, world, who):
    original = await add_evidence(client)
    input = {"evidenceId": original["id"], "title": "Hijacked"}
    assert await errors(client, "updateEvidence", input, who) == [("input", "FORBIDDEN")]
    assert (await node(client, original["id"], TEACHER_A, "... on Evidence { title }"))[
        "title"
    ] == "Exit tickets"


async def test_evidence_visibility(client, world):
    result = await add_evidence(client)
    for reader in READERS_OF_A:
        assert (await node(client, result["id"], reader, "... on Evidence { title }"))[
            "title"
        ] == "Exit tickets"
        assert await of_teacher(client, world, TEACHER_A, "evidence { id }", reader) == [
            {"id": result["id"]}
        ]
    for outsider in NON_READERS_OF_A:
        assert await node(client, result["id"], outsider) is None, outsider


# --- comments -------------------------------------------------------------------------------------


async def test_comments_on_evidence_observations_and_goals(client, world, goals):
    evidence = await add_evidence(client)
    observation = await observe(client, world)
    coach_says = await ok(
        client, "addComment", {"evidenceId": evidence["id"], "body": " Nice! "}, COACH
    )
    assert coach_says["body"] == "Nice!"
    assert coach_says["author"] == {"name": "Cora Coach"}
    await ok(client, "addComment", {"evidenceId": evidence["id"], "body": "Thanks"}, TEACHER_A)
    await ok(
        client, "addComment", {"observationId": observation["id"], "body": "Agreed"}, TEACHER_A
    )
    await ok(
        client, "addComment", {"goalId": goal_id(goals, TEACHER_A), "body": "Go"}, PRINCIPAL_NORTH
    )

    listed = await of_teacher(
        client, world, TEACHER_A, "evidence { comments { body author { name } } }", ADMIN
    )
    assert listed[0]["comments"] == [  # oldest first
        {"body": "Nice!", "author": {"name": "Cora Coach"}},
        {"body": "Thanks", "author": {"name": "Ana Alvarez"}},
    ]
    listed = await of_teacher(client, world, TEACHER_A, "observations { comments { body } }", COACH)
    assert listed[0]["comments"] == [{"body": "Agreed"}]
    goal = await node(
        client,
        goal_id(goals, TEACHER_A),
        TEACHER_A,
        "... on Goal { comments { body author { name } } }",
    )
    assert goal["comments"] == [{"body": "Go", "author": {"name": "Pat North"}}]
    found = await node(
        client, coach_says["id"], TEACHER_A, f"... on Comment {{ {FIELDS['comment']} }}"
    )
    assert found == coach_says | {"__typename": "Comment"}


@pytest.mark.parametrize(
    ("targets", "body", "expected"),
    [
        ({}, "hi", [("input", "ONE_TARGET")]),
        ({"evidence": True, "observation": True}, "hi", [("input", "ONE_TARGET")]),
        ({"evidence": True}, "   ", [("input.body", "REQUIRED")]),
        ({"evidence": True}, "x" * 10_001, [("input.body", "TOO_LONG")]),
        ({"bad": True}, "hi", [("input.goalId", "BAD_ID")]),
    ],
)
async def test_add_comment_user_errors(client, world, targets, body, expected):
    evidence = await add_evidence(client)
    observation = await observe(client, world)
    input: dict[str, Any] = {"body": body}
    if targets.get("evidence"):
        input["evidenceId"] = evidence["id"]
    if targets.get("observation"):
        input["observationId"] = observation["id"]
    if targets.get("bad"):
        input["goalId"] = evidence["id"]  # an Evidence ID where a Goal ID belongs
    assert await errors(client, "addComment", input, COACH) == expected
    assert (await node(client, evidence["id"], TEACHER_A, "... on Evidence { comments { id } }"))[
        "comments"
    ] == []


@pytest.mark.parametrize("who", READERS_OF_A)
async def test_readers_of_a_teacher_comment_on_their_work(client, world, goals, who):
    evidence = await add_evidence(client)
    observation = await observe(client, world)
    for target in (
        {"evidenceId": evidence["id"]},
        {"observationId": observation["id"]},
        {"goalId": goal_id(goals, TEACHER_A)},
    ):
        await ok(client, "addComment", target | {"body": f"from {who}"}, who)


@pytest.mark.parametrize("who", NON_READERS_OF_A)
async def test_nobody_else_comments(client, world, goals, who):
    evidence = await add_evidence(client)
    observation = await observe(client, world)
    for target in (
        {"evidenceId": evidence["id"]},
        {"observationId": observation["id"]},
        {"goalId": goal_id(goals, TEACHER_A)},
        {"evidenceId": to_global_id("Evidence", 999_999)},
    ):
        assert await errors(client, "addComment", target | {"body": "psst"}, who) == [
            ("input", "FORBIDDEN")
        ]
    for field in ("evidence", "observations"):
        listed = await of_teacher(
            client, world, TEACHER_A, f"{field} {{ comments {{ id }} }}", ADMIN
        )
        assert listed == [{"comments": []}], field


async def test_coach_may_not_comment_on_unassigned_teachers(client, world, goals):
    evidence = await add_evidence(client, as_=TEACHER_B)
    for target in ({"evidenceId": evidence["id"]}, {"goalId": goal_id(goals, TEACHER_B)}):
        assert await errors(client, "addComment", target | {"body": "hi"}, COACH) == [
            ("input", "FORBIDDEN")
        ]
    await ok(client, "addComment", {"evidenceId": evidence["id"], "body": "hi"}, PRINCIPAL_NORTH)


async def test_comment_visibility(client, world):
    evidence = await add_evidence(client)
    comment = await ok(client, "addComment", {"evidenceId": evidence["id"], "body": "Nice"}, COACH)
    for reader in READERS_OF_A:
        assert (await node(client, comment["id"], reader, "... on Comment { body }"))[
            "body"
        ] == "Nice"
    for outsider in NON_READERS_OF_A:
        assert await node(client, comment["id"], outsider) is None, outsider


# --- training records -----------------------------------------------------------------------------


async def test_teacher_records_own_training(client, world):
    older = await ok(
        client,
        "recordTrainingRecord",
        {
            "title": "Math talks",
            "provider": "County Office",
            "completedOn": "2024-06-01",
            "hours": 12.5,
            "elementCodes": ["1.5", "3.3"],
        },
        TEACHER_A,
    )
    assert older["teacher"] == {"name": "Ana Alvarez"}
    assert (older["title"], older["provider"], older["completedOn"], older["hours"]) == (
        "Math talks",
        "County Office",
        "2024-06-01",
        12.5,
    )
    assert [element["code"] for element in older["elements"]] == ["1.5", "3.3"]
    newer = await ok(
        client,
        "recordTrainingRecord",
        {
            "teacherId": teacher_id(world, TEACHER_A),
            "title": "Routines",
            "completedOn": TODAY.isoformat(),
            "hours": 500,
        },
        TEACHER_A,
    )
    assert newer["elements"] == [] and newer["provider"] == ""
    listed = await of_teacher(client, world, TEACHER_A, "trainingRecords { id }", TEACHER_A)
    assert listed == [{"id": newer["id"]}, {"id": older["id"]}]  # most recent first


async def test_district_admin_records_training_for_any_teacher(client, world):
    result = await ok(
        client,
        "recordTrainingRecord",
        {
            "teacherId": teacher_id(world, TEACHER_C),
            "title": "ELD",
            "completedOn": "2025-01-10",
            "hours": 6,
        },
        ADMIN,
    )
    assert result["teacher"] == {"name": "Cam Chen"}
    assert await of_teacher(client, world, TEACHER_C, "trainingRecords { id }", TEACHER_C) == [
        {"id": result["id"]}
    ]


@pytest.mark.parametrize(
    ("who", "teacher"),
    [
        (TEACHER_A, TEACHER_B),
        (COACH, TEACHER_A),
        (PRINCIPAL_NORTH, TEACHER_A),
        (OUTSIDER, TEACHER_A),
        (ADMIN, None),
        (COACH, None),
    ],
)
async def test_nobody_else_records_training(client, world, who, teacher):
    input: dict[str, Any] = {"title": "PD", "completedOn": "2025-01-10", "hours": 2}
    if teacher is not None:
        input["teacherId"] = teacher_id(world, teacher)
    assert await errors(client, "recordTrainingRecord", input, who) == [("input", "FORBIDDEN")]
    for each in (TEACHER_A, TEACHER_B):
        assert await of_teacher(client, world, each, "trainingRecords { id }", ADMIN) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"hours": 0}, [("input.hours", "OUT_OF_RANGE")]),
        ({"hours": -3}, [("input.hours", "OUT_OF_RANGE")]),
        ({"hours": 500.5}, [("input.hours", "OUT_OF_RANGE")]),
        (
            {"completedOn": (TODAY + timedelta(days=2)).isoformat()},
            [("input.completedOn", "IN_FUTURE")],
        ),
        ({"title": ""}, [("input.title", "REQUIRED")]),
        ({"provider": "p" * 201}, [("input.provider", "TOO_LONG")]),
        ({"elementCodes": ["1.1", "x"]}, [("input.elementCodes", "UNKNOWN_ELEMENT")]),
        ({"teacherId": "garbage"}, [("input.teacherId", "BAD_ID")]),
    ],
)
async def test_training_user_errors(client, world, overrides, expected):
    input = {"title": "PD", "completedOn": "2025-01-10", "hours": 2} | overrides
    assert await errors(client, "recordTrainingRecord", input, TEACHER_A) == expected
    assert await of_teacher(client, world, TEACHER_A, "trainingRecords { id }", TEACHER_A) == []


async def test_training_visibility(client, world):
    result = await ok(
        client,
        "recordTrainingRecord",
        {"title": "PD", "completedOn": "2025-01-10", "hours": 2},
        TEACHER_A,
    )
    for reader in READERS_OF_A:
        assert (await node(client, result["id"], reader, "... on TrainingRecord { title }"))[
            "title"
        ] == "PD"
        assert await of_teacher(client, world, TEACHER_A, "trainingRecords { id }", reader) == [
            {"id": result["id"]}
        ]
    for outsider in NON_READERS_OF_A:
        assert await node(client, result["id"], outsider) is None, outsider


# --- scoping of nested reads, and SQL per request -------------------------------------------------


async def test_nested_loaders_never_load_rows_outside_the_viewers_reach(client, world, db, goals):
    """Child rows carry the scope of their parents, whoever asks the loader for them."""
    assessment = await ok(
        client,
        "submitSelfAssessment",
        {"cycle": "2025-26", "ratings": [rating("1.1", "emerging")]},
        TEACHER_A,
    )
    observation = await observe(client, world)
    evidence = await add_evidence(client, elementCodes=["1.1"], goalIds=[goal_id(goals, TEACHER_A)])
    await ok(client, "addComment", {"evidenceId": evidence["id"], "body": "a"}, COACH)
    await ok(client, "addComment", {"observationId": observation["id"], "body": "b"}, COACH)
    await ok(client, "addComment", {"goalId": goal_id(goals, TEACHER_A), "body": "c"}, COACH)
    training = await ok(
        client,
        "recordTrainingRecord",
        {"title": "PD", "completedOn": "2025-01-10", "hours": 2, "elementCodes": ["1.1"]},
        TEACHER_A,
    )

    def db_id(global_id: str) -> list[int]:
        return [from_global_id(global_id)[1]]

    goal = [goals[TEACHER_A]]
    calls = [
        (feedback.self_assessment_ratings, db_id(assessment["id"])),
        (feedback.observation_ratings, db_id(observation["id"])),
        (feedback_evidence.evidence_elements, db_id(evidence["id"])),
        (feedback_evidence.evidence_goals, db_id(evidence["id"])),
        (feedback_evidence.evidence_by_goal, goal),
        (feedback_evidence.comments_by_evidence, db_id(evidence["id"])),
        (feedback_evidence.comments_by_observation, db_id(observation["id"])),
        (feedback_evidence.comments_by_goal, goal),
        (feedback_training.training_elements, db_id(training["id"])),
    ]
    async with db.sessionmaker() as session:
        users = {user.email: actor_for(user) for user in await session.scalars(select(models.User))}
        for batch, keys in calls:
            assert all(await batch(session, users[COACH], keys)), batch.__name__
            for outsider in NON_READERS_OF_A:
                assert await batch(session, users[outsider], keys) == [[]], (
                    batch.__name__,
                    outsider,
                )


NESTED = """query($id: ID!) { teacher(id: $id) {
  selfAssessments { cycle ratings { element { code } level { key } } }
  observations { kind observer { name } teacher { name } ratings { element { code } level { key } }
                 comments { body author { name } } }
  evidence { title elements { code } goals { title } comments { body author { name } } }
  trainingRecords { title elements { code } }
} }"""


async def seed(client: GraphQLClient, world: World, goals: dict[str, int], index: int) -> None:
    cycle = f"{2010 + index}-{(11 + index) % 100:02d}"
    ratings = [rating("1.1", "emerging"), rating("2.2", "applying")]
    await ok(client, "submitSelfAssessment", {"cycle": cycle, "ratings": ratings}, TEACHER_A)
    observation = await observe(client, world, ratings=ratings)
    evidence = await add_evidence(
        client, elementCodes=["1.1", "2.2"], goalIds=[goal_id(goals, TEACHER_A)]
    )
    for target in ({"evidenceId": evidence["id"]}, {"observationId": observation["id"]}):
        await ok(client, "addComment", target | {"body": "c"}, COACH)
    await ok(
        client,
        "recordTrainingRecord",
        {
            "title": f"PD {index}",
            "completedOn": "2025-01-10",
            "hours": 2,
            "elementCodes": ["1.1", "2.2"],
        },
        TEACHER_A,
    )


async def test_sql_statements_do_not_grow_with_rows(client, world, db, goals):
    variables = {"id": teacher_id(world, TEACHER_A)}
    await seed(client, world, goals, 0)
    with db.count_statements() as one:
        data = await client.execute(NESTED, variables, as_=COACH)
    assert len(data["teacher"]["observations"]) == 1
    for index in range(1, 4):
        await seed(client, world, goals, index)
    with db.count_statements() as four:
        data = await client.execute(NESTED, variables, as_=COACH)
    teacher = data["teacher"]
    assert [
        len(teacher[key])
        for key in ("selfAssessments", "observations", "evidence", "trainingRecords")
    ] == [4] * 4
    assert all(
        len(item["comments"]) == 1 and len(item["ratings"]) == 2 for item in teacher["observations"]
    )
    assert all(
        len(item["goals"]) == 1 and len(item["elements"]) == 2 for item in teacher["evidence"]
    )
    assert four.count == one.count, four.statements


async def test_the_same_training_twice_is_a_duplicate(client, world):
    record = {"title": "Math talks", "completedOn": "2025-01-10", "hours": 2, "elementCodes": []}
    await ok(client, "recordTrainingRecord", record, TEACHER_A)
    assert await errors(client, "recordTrainingRecord", record, TEACHER_A) == [
        ("input.title", "DUPLICATE")
    ]
