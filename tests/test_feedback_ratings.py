"""Self-assessments and observations through GraphQL: ratings, userErrors and who sees them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

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
)
from tests.feedback_helpers import (
    FIELDS,
    NON_READERS_OF_A,
    RATING,
    READERS_OF_A,
    TODAY,
    errors,
    node,
    observe,
    of_teacher,
    ok,
    rating,
    teacher_id,
)


def codes(ratings: list[dict[str, Any]]) -> dict[str, str]:
    return {item["element"]["code"]: item["level"]["key"] for item in ratings}


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
    """Reach, with the self-assessment shared with SUPERVISORS (narrower audiences:
    test_privacy_matrix.py)."""
    result = await ok(
        client,
        "submitSelfAssessment",
        {"cycle": "2025-26", "ratings": [rating("1.1", "emerging")], "audience": "SUPERVISORS"},
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
        client, world, teacher, "observations { id observer { id } }", teacher
    )
    observer_id = to_global_id("User", world.id(observer))
    assert listed == [{"id": result["id"], "observer": {"id": observer_id}}]


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
