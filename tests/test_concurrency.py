"""Twenty identical requests at once against a real server, on both databases: exactly one state
change wins, the others get a userError, nothing surfaces as INTERNAL and no write is half done."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.auth import mint_token
from mypd_graph.schema.relay import to_global_id
from tests.conftest import SECRET, TestDatabase
from tests.factories import COACH, TEACHER_A, World
from tests.test_cli import running_server
from tests.test_recommendations import SUGGESTIONS
from tests.test_recommendations import catalog as catalog

AT_ONCE = 20


@pytest.fixture
def server(db: TestDatabase, world: World) -> Iterator[str]:
    with running_server(db.url) as base:
        yield base


async def at_once(
    base: str, world: World, as_: str, query: str, variables: dict[str, Any]
) -> list[dict[str, Any]]:
    """The same request sent AT_ONCE times concurrently; each response's top-level field."""
    token = mint_token(SECRET, world.id(as_), as_)
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=AT_ONCE)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/graphql", json={"query": query, "variables": variables}, headers=headers
                )
                for _ in range(AT_ONCE)
            )
        )
    bodies = []
    for response in responses:
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body["errors"]  # INTERNAL would show here
        [payload] = body["data"].values()
        bodies.append(payload)
    return bodies


def error_codes(payloads: list[dict[str, Any]]) -> Counter[str]:
    return Counter(error["code"] for p in payloads for error in p["userErrors"])


async def draft_plan_with_a_goal(db: TestDatabase, world: World, status: str = "draft") -> int:
    async with db.sessionmaker.begin() as session:
        plan = models.LearningPlan(
            teacher_id=world.id(TEACHER_A), cycle="2026-27", title="Next year", status=status
        )
        session.add(plan)
        await session.flush()
        goal = models.Goal(plan_id=plan.id, title="Exit tickets", progress=0)
        session.add(goal)
        await session.flush()
        session.add(models.GoalElement(goal_id=goal.id, element_id=world.element_ids["5.2"]))
        return plan.id


async def count(db: TestDatabase, statement: Any) -> int:
    async with db.sessionmaker() as session:
        return int(await session.scalar(statement) or 0)


TRANSITION = """
mutation($input: PlanTransitionInput!) {
  %s(input: $input) { plan { status } userErrors { field message code } }
}
"""


@pytest.mark.parametrize(
    ("mutation", "start", "actor", "action"),
    [("submitPlan", "draft", TEACHER_A, "submit"), ("approvePlan", "submitted", COACH, "approve")],
)
async def test_one_transition_wins(
    db: TestDatabase, world: World, server: str, mutation: str, start: str, actor: str, action: str
) -> None:
    plan = await draft_plan_with_a_goal(db, world, status=start)
    variables = {"input": {"planId": to_global_id("LearningPlan", plan)}}
    payloads = await at_once(server, world, actor, TRANSITION % mutation, variables)

    assert sum(1 for p in payloads if p["plan"] is not None) == 1
    codes = error_codes(payloads)
    assert sum(codes.values()) == AT_ONCE - 1
    assert set(codes) <= {"INVALID_TRANSITION", "PLAN_CHANGED"}, codes
    events = select(func.count(models.PlanEvent.id)).where(
        models.PlanEvent.plan_id == plan, models.PlanEvent.action == action
    )
    assert await count(db, events) == 1


ACCEPT = """
mutation($input: AcceptGoalSuggestionInput!) {
  acceptGoalSuggestion(input: $input) { goal { id title } userErrors { code } }
}
"""


async def test_accepting_one_suggestion_makes_one_goal(
    db: TestDatabase, world: World, catalog: dict[str, int], server: str
) -> None:
    plan = await draft_plan_with_a_goal(db, world)
    async with httpx.AsyncClient(base_url=server) as http:
        token = mint_token(SECRET, world.id(TEACHER_A), TEACHER_A)
        response = await http.post(
            "/graphql",
            json={
                "query": SUGGESTIONS,
                "variables": {"id": to_global_id("Teacher", world.id(TEACHER_A))},
            },
            headers={"Authorization": f"Bearer {token}"},
        )
    [suggestion] = response.json()["data"]["teacher"]["goalSuggestions"]
    variables = {
        "input": {"suggestionId": suggestion["id"], "planId": to_global_id("LearningPlan", plan)}
    }
    payloads = await at_once(server, world, TEACHER_A, ACCEPT, variables)

    assert error_codes(payloads) == Counter()
    assert len({p["goal"]["id"] for p in payloads}) == 1, "every request answers the one goal"
    goals = select(func.count(models.Goal.id)).where(models.Goal.plan_id == plan)
    assert await count(db, goals) == 2  # the plan's first goal and the accepted one


RECORD_TRAINING = """
mutation($input: RecordTrainingRecordInput!) {
  recordTrainingRecord(input: $input) { trainingRecord { id } userErrors { code } }
}
"""


async def test_one_identical_training_record_is_written(
    db: TestDatabase, world: World, server: str
) -> None:
    training = {
        "title": "Formative assessment",
        "completedOn": "2025-09-15",
        "hours": 3,
        "elementCodes": ["5.2"],
    }
    payloads = await at_once(server, world, TEACHER_A, RECORD_TRAINING, {"input": training})

    assert sum(1 for p in payloads if p["trainingRecord"]) == 1
    assert error_codes(payloads) == Counter({"DUPLICATE": AT_ONCE - 1})
    records = select(func.count(models.TrainingRecord.id)).where(
        models.TrainingRecord.teacher_id == world.id(TEACHER_A)
    )
    assert await count(db, records) == 1


SELF_ASSESS = """
mutation($input: SubmitSelfAssessmentInput!) {
  submitSelfAssessment(input: $input) { selfAssessment { id } userErrors { code } }
}
"""


async def test_self_assessments_of_one_cycle_stay_one(
    db: TestDatabase, world: World, server: str
) -> None:
    ratings = [
        {"elementCode": "5.2", "level": "exploring"},
        {"elementCode": "1.1", "level": "applying"},
    ]
    variables = {"input": {"cycle": "2026-27", "ratings": ratings}}
    payloads = await at_once(server, world, TEACHER_A, SELF_ASSESS, variables)

    assert error_codes(payloads) == Counter()
    assert len({p["selfAssessment"]["id"] for p in payloads}) == 1
    rows = (
        select(func.count())
        .select_from(models.SelfAssessmentRating)
        .join(models.SelfAssessment)
        .where(
            models.SelfAssessment.teacher_id == world.id(TEACHER_A),
            models.SelfAssessment.cycle == "2026-27",
        )
    )
    assert await count(db, rows) == 2


SET_FOCUS = """
mutation($input: SetFocusElementsInput!) {
  setFocusElements(input: $input) { focusElements { code } userErrors { code } }
}
"""


async def test_focus_sets_are_replaced_whole(db: TestDatabase, world: World, server: str) -> None:
    wanted = [["1.1", "2.1"], ["5.2", "5.4", "1.6"], ["3.3"], ["4.4", "6.1"]]
    token = mint_token(SECRET, world.id(TEACHER_A), TEACHER_A)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=server, timeout=60) as http:
        responses = await asyncio.gather(
            *(
                http.post(
                    "/graphql",
                    json={"query": SET_FOCUS, "variables": {"input": {"elementCodes": codes}}},
                    headers=headers,
                )
                for _ in range(AT_ONCE // len(wanted))
                for codes in wanted
            )
        )
    assert all(r.status_code == 200 and "errors" not in r.json() for r in responses)
    async with db.sessionmaker() as session:
        final = set(
            await session.scalars(
                select(models.Standard.code)
                .join(models.FocusElement, models.FocusElement.element_id == models.Standard.id)
                .where(models.FocusElement.teacher_id == world.id(TEACHER_A))
            )
        )
    assert final in [set(codes) for codes in wanted], final
