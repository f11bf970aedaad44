"""Evidence and comments through GraphQL: success paths, userErrors and permissions."""

from __future__ import annotations

from typing import Any

import pytest

from mypd_graph.schema.relay import to_global_id
from tests.factories import (
    ADMIN,
    COACH,
    OUTSIDER,
    PRINCIPAL_NORTH,
    PRINCIPAL_SOUTH,
    TEACHER_A,
    TEACHER_B,
)
from tests.feedback_helpers import (
    FIELDS,
    NON_READERS_OF_A,
    READERS_OF_A,
    add_evidence,
    errors,
    goal_id,
    node,
    observe,
    of_teacher,
    ok,
)
from tests.feedback_helpers import goals as goals  # the fixture, found by its name

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
        client, world, TEACHER_A, "evidence { comments { body author { name } } }", COACH
    )
    assert listed[0]["comments"] == [  # oldest first
        {"body": "Nice!", "author": {"name": "Cora Coach"}},
        {"body": "Thanks", "author": {"name": "Ana Alvarez"}},
    ]
    # A coach's comment is coaching: the admin (an evaluator) reads the teacher's reply only.
    listed = await of_teacher(client, world, TEACHER_A, "evidence { comments { body } }", ADMIN)
    assert listed[0]["comments"] == [{"body": "Thanks"}]
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
    """A coach's comment is coaching: the teacher and their coaches read it, evaluators do not
    (docs/privacy.md); a principal's comment is evaluation, read by the teacher and supervisors."""
    evidence = await add_evidence(client)
    comment = await ok(client, "addComment", {"evidenceId": evidence["id"], "body": "Nice"}, COACH)
    for reader in (TEACHER_A, COACH):
        assert (await node(client, comment["id"], reader, "... on Comment { body }"))[
            "body"
        ] == "Nice"
    for outsider in [PRINCIPAL_NORTH, ADMIN, *NON_READERS_OF_A]:
        assert await node(client, comment["id"], outsider) is None, outsider
    comment = await ok(
        client, "addComment", {"evidenceId": evidence["id"], "body": "Nice"}, PRINCIPAL_NORTH
    )
    for reader in (TEACHER_A, PRINCIPAL_NORTH, ADMIN):
        assert (await node(client, comment["id"], reader, "... on Comment { body }"))[
            "body"
        ] == "Nice"
    for outsider in [COACH, *NON_READERS_OF_A]:
        assert await node(client, comment["id"], outsider) is None, outsider
