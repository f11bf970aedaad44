"""Training records through GraphQL: success paths, userErrors, duplicates and permissions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from tests.factories import ADMIN, COACH, OUTSIDER, PRINCIPAL_NORTH, TEACHER_A, TEACHER_B, TEACHER_C
from tests.feedback_helpers import (
    NON_READERS_OF_A,
    READERS_OF_A,
    TODAY,
    errors,
    node,
    of_teacher,
    ok,
    teacher_id,
)

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


async def test_the_same_training_twice_is_a_duplicate(client, world):
    record = {"title": "Math talks", "completedOn": "2025-01-10", "hours": 2, "elementCodes": []}
    await ok(client, "recordTrainingRecord", record, TEACHER_A)
    assert await errors(client, "recordTrainingRecord", record, TEACHER_A) == [
        ("input.title", "DUPLICATE")
    ]
