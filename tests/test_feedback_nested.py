"""Nested feedback reads: loaders keep the viewer's scope, and SQL per request stays flat."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from mypd_graph import models
from mypd_graph.schema.relay import from_global_id
from mypd_graph.services.access import actor_for
from mypd_graph.services.feedback import evidence as feedback_evidence
from mypd_graph.services.feedback import ratings as feedback
from mypd_graph.services.feedback import training as feedback_training
from tests.factories import COACH, TEACHER_A, World
from tests.feedback_helpers import (
    NON_READERS_OF_A,
    add_evidence,
    goal_id,
    observe,
    ok,
    rating,
    teacher_id,
)
from tests.feedback_helpers import goals as goals  # the fixture, found by its name

if TYPE_CHECKING:  # imported by name, pytest would try to collect TestDatabase as a test class
    from tests.conftest import GraphQLClient


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

    def nested() -> Awaitable[dict[str, Any]]:
        return client.execute(NESTED, variables, as_=COACH)

    data, one = await db.fewest_statements(nested)
    assert len(data["teacher"]["observations"]) == 1
    for index in range(1, 4):
        await seed(client, world, goals, index)
    data, four = await db.fewest_statements(nested)
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
