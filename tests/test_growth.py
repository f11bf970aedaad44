"""A teacher's growth: self and observer series kept apart, goal progress, training hours per
school year, students' results by term (small groups suppressed), the summary and PD impact."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from mypd_graph import models
from mypd_graph.services.students.figures import STUDENT_AGGREGATE
from tests.factories import ADMIN, COACH, PRINCIPAL_SOUTH, TEACHER_A, TEACHER_B, World
from tests.needs_helpers import widely_shared as widely_shared  # the fixture, by name
from tests.test_needs import gid, observe, self_rate, set_settings, train

# Figures, not who sees them: the district shares widely (needs_helpers.share_widely).
pytestmark = pytest.mark.usefixtures("widely_shared")


if TYPE_CHECKING:
    from tests.conftest import GraphQLClient, TestDatabase

GROWTH = """
query($id: ID!) {
  teacher(id: $id) {
    growth {
      summary { elementsImprovedSelf elementsImprovedObserved elementsDeclinedSelf
                elementsDeclinedObserved goals goalsMet trainingHours resourcesCompleted }
      elements { element { code } selfChange observedChange
                 selfLevels { when source level { key } } observedLevels { when source level { key } } }
      plans { cycle status goals goalsMet averageProgress plan { title } }
      trainingHours { schoolYear hours records }
      studentResults { assessmentName subject schoolYear term suppressed students
                       shareAtOrAboveStandard meanScaleScore }
      pdImpact { completedOn resource { title } element { code } observedBefore { key }
                 observedAfter { key } observedChange selfBefore { key } selfAfter { key } selfChange }
    }
  }
}
"""


async def resource(db: TestDatabase, world: World, external_id: str, codes: tuple[str, ...]) -> int:
    async with db.sessionmaker.begin() as session:
        row = models.Resource(
            provider="test",
            external_id=external_id,
            framework_id=world.framework_id,
            title=f"Resource {external_id}",
            format="course",
        )
        session.add(row)
        await session.flush()
        session.add_all(
            models.ResourceElement(resource_id=row.id, element_id=world.element_ids[code])
            for code in codes
        )
        return row.id


async def plan(
    db: TestDatabase,
    world: World,
    email: str,
    cycle: str,
    status: str,
    goals: list[tuple[tuple[str, ...], int]],
    steps: list[tuple[int, datetime]] = (),  # type: ignore[assignment]
) -> None:
    """A plan with goals (elements, progress); done action steps (resource, when) on goal 1."""
    async with db.sessionmaker.begin() as session:
        row = models.LearningPlan(teacher_id=world.id(email), cycle=cycle, status=status)
        session.add(row)
        await session.flush()
        for number, (codes, progress) in enumerate(goals):
            goal = models.Goal(plan_id=row.id, title=f"Goal {number}", progress=progress)
            session.add(goal)
            await session.flush()
            session.add_all(
                models.GoalElement(goal_id=goal.id, element_id=world.element_ids[code])
                for code in codes
            )
            if number == 0:
                session.add_all(
                    models.ActionStep(
                        goal_id=goal.id,
                        description="Take it",
                        resource_id=resource_id,
                        status="done",
                        completed_at=when,
                    )
                    for resource_id, when in steps
                )


@pytest.fixture
async def history(db: TestDatabase, world: World) -> dict[str, int]:
    await self_rate(
        db, world, TEACHER_A, {"1.6": "emerging", "2.1": "applying"}, "2024-25", date(2025, 5, 1)
    )
    await self_rate(
        db, world, TEACHER_A, {"1.6": "applying", "2.1": "exploring"}, "2025-26", date(2026, 3, 1)
    )
    await observe(db, world, TEACHER_A, {"1.6": "exploring"}, day=date(2025, 10, 1))
    await observe(db, world, TEACHER_A, {"1.6": "integrating"}, day=date(2026, 2, 1), kind="formal")
    checking = await resource(db, world, "checking", ("1.6",))
    circles = await resource(db, world, "circles", ("2.1",))
    await train(db, world, TEACHER_A, 3, ("1.6",), day=date(2024, 9, 10))
    await train(db, world, TEACHER_A, 2, ("2.1",), day=date(2025, 1, 15))
    await train(db, world, TEACHER_A, 4, ("1.6",), day=date(2025, 12, 1), resource_id=checking)
    await plan(db, world, TEACHER_A, "2024-25", "completed", [(("2.1",), 100)])
    await plan(
        db,
        world,
        TEACHER_A,
        "2025-26",
        "approved",
        [(("1.6",), 100), (("5.2",), 40)],
        steps=[(circles, datetime(2026, 1, 10, 22, tzinfo=UTC))],
    )
    return {"checking": checking, "circles": circles}


async def growth(
    client: GraphQLClient, world: World, viewer: str = COACH, email: str = TEACHER_A
) -> dict[str, Any]:
    data = await client.execute(GROWTH, {"id": gid(world, email)}, as_=viewer)
    return data["teacher"]["growth"] if data["teacher"] else None  # type: ignore[return-value]


async def test_ratings_over_time_kept_apart(
    client: GraphQLClient, world: World, history: dict[str, int]
) -> None:
    elements = {row["element"]["code"]: row for row in (await growth(client, world))["elements"]}
    assert list(elements) == ["1.6", "2.1"]
    six = elements["1.6"]
    assert six["selfLevels"] == [
        {"when": "2024-25", "source": "self", "level": {"key": "emerging"}},
        {"when": "2025-26", "source": "self", "level": {"key": "applying"}},
    ]
    # One observed point per cycle: the reconciled rating (here one observer, their latest
    # rating of 2025-26), as needs read it (docs/ratings.md).
    assert six["observedLevels"] == [
        {"when": "2026-02-01", "source": "formal", "level": {"key": "integrating"}},
    ]
    assert (six["selfChange"], six["observedChange"]) == (2, None)
    assert (elements["2.1"]["selfChange"], elements["2.1"]["observedChange"]) == (-1, None)


async def test_goals_training_and_summary(
    client: GraphQLClient, world: World, history: dict[str, int]
) -> None:
    found = await growth(client, world)
    assert found["plans"] == [
        {
            "cycle": "2025-26",
            "status": "approved",
            "goals": 2,
            "goalsMet": 1,
            "averageProgress": 70.0,
            "plan": {"title": ""},
        },
        {
            "cycle": "2024-25",
            "status": "completed",
            "goals": 1,
            "goalsMet": 1,
            "averageProgress": 100.0,
            "plan": {"title": ""},
        },
    ]
    assert found["trainingHours"] == [
        {"schoolYear": "2024-25", "hours": 5.0, "records": 2},
        {"schoolYear": "2025-26", "hours": 4.0, "records": 1},
    ]
    assert found["summary"] == {
        "elementsImprovedSelf": 1,
        "elementsImprovedObserved": 0,
        "elementsDeclinedSelf": 1,
        "elementsDeclinedObserved": 0,
        "goals": 3,
        "goalsMet": 2,
        "trainingHours": 9.0,
        "resourcesCompleted": 2,
    }


async def test_pd_impact_compares_ratings_before_and_after(
    client: GraphQLClient, world: World, history: dict[str, int]
) -> None:
    impact = (await growth(client, world))["pdImpact"]
    assert impact == [
        {
            "completedOn": "2025-12-01",
            "resource": {"title": "Resource checking"},
            "element": {"code": "1.6"},
            "observedBefore": {"key": "exploring"},
            "observedAfter": {"key": "integrating"},
            "observedChange": 2,
            "selfBefore": {"key": "emerging"},
            "selfAfter": {"key": "applying"},
            "selfChange": 2,
        },
        {
            "completedOn": "2026-01-10",
            "resource": {"title": "Resource circles"},
            "element": {"code": "2.1"},
            "observedBefore": None,
            "observedAfter": None,
            "observedChange": None,
            "selfBefore": {"key": "applying"},
            "selfAfter": {"key": "exploring"},
            "selfChange": -1,
        },
    ]


async def test_students_results_by_term_suppress_small_groups(
    client: GraphQLClient, world: World, db: TestDatabase
) -> None:
    [row] = (await growth(client, world))["studentResults"]
    assert row == {
        "assessmentName": "MAP Growth Math",
        "subject": "Math",
        "schoolYear": "2025-26",
        "term": "Fall",
        "suppressed": True,
        "students": None,
        "shareAtOrAboveStandard": None,
        "meanScaleScore": None,
    }
    await set_settings(db, world, minimum_group_size=3)
    [row] = (await growth(client, world))["studentResults"]
    assert (row["suppressed"], row["students"], row["meanScaleScore"]) == (False, 3, 202.0)
    assert row["shareAtOrAboveStandard"] == 0.0
    async with db.sessionmaker() as session:
        events = list(
            await session.scalars(
                select(models.AuditEvent).where(models.AuditEvent.entity == STUDENT_AGGREGATE)
            )
        )
    assert [event.entity_ids for event in events] == [[str(world.id(TEACHER_A))]] * 2


@pytest.mark.parametrize(
    ("viewer", "sees"),
    [(TEACHER_A, True), (COACH, True), (ADMIN, True), (TEACHER_B, False), (PRINCIPAL_SOUTH, False)],
)
async def test_growth_is_scoped_like_its_teacher(
    client: GraphQLClient, world: World, history: dict[str, int], viewer: str, sees: bool
) -> None:
    found = await growth(client, world, viewer)
    assert (found is not None) == sees
    if sees:
        assert found["summary"]["goals"] == 3
