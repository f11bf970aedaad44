"""No N+1: the SQL statements a nested query runs do not grow with the rows it returns."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date
from typing import Any

from sqlalchemy import insert

from mypd_graph import models
from tests.factories import ADMIN, World

NESTED = """
{
  district {
    teachers(first: 100) {
      nodes {
        name school { name } focusElements { code }
        plans {
          cycle status history { action actor { name } }
          goals { title elements { code } baselineLevel { key } targetLevel { key }
                  actionSteps { description status } }
        }
        evidence { title elements { code } }
        observations { kind observer { name } ratings { element { code } level { key } } }
        selfAssessments { cycle ratings { element { code } level { key } } }
        trainingRecords { title hours elements { code } }
      }
    }
  }
}
"""


async def add_teachers(db, world: World, count: int, start: int) -> None:
    """``count`` more teachers in school North, each with a full set of growth records."""
    elements = [world.element_ids[code] for code in sorted(world.element_ids)]
    levels = list(world.level_ids.values())
    admin = world.id(ADMIN)
    async with db.sessionmaker.begin() as session:
        for n in range(start, start + count):
            user = models.User(
                district_id=world.district_id,
                school_id=world.school_ids["N"],
                email=f"extra{n}@test.mypd",
                name=f"Extra {n}",
                role="teacher",
            )
            session.add(user)
            await session.flush()
            session.add(models.TeacherProfile(user_id=user.id, school_id=world.school_ids["N"]))
            plan = models.LearningPlan(teacher_id=user.id, cycle="2025-26", status="submitted")
            # shared with supervisors, so the admin's nested read returns every row
            evidence = models.Evidence(
                teacher_id=user.id, kind="artifact", title=f"E{n}", audience="supervisors"
            )
            observation = models.Observation(
                teacher_id=user.id, observer_id=admin, kind="formal", observed_on=date(2025, 10, 1)
            )
            sa = models.SelfAssessment(teacher_id=user.id, cycle="2025-26", audience="supervisors")
            training = models.TrainingRecord(
                teacher_id=user.id, title=f"T{n}", completed_on=date(2025, 8, 1), hours=3
            )
            session.add_all([plan, evidence, observation, sa, training])
            await session.flush()
            session.add(
                models.PlanEvent(
                    plan_id=plan.id,
                    actor_id=user.id,
                    action="submit",
                    from_status="draft",
                    to_status="submitted",
                )
            )
            session.add(models.FocusElement(teacher_id=user.id, element_id=elements[n % 38]))
            for g in range(2):
                goal = models.Goal(
                    plan_id=plan.id,
                    title=f"G{n}.{g}",
                    baseline_level_id=levels[0],
                    target_level_id=levels[2],
                )
                session.add(goal)
                await session.flush()
                session.add(models.GoalElement(goal_id=goal.id, element_id=elements[g]))
                session.add(models.ActionStep(goal_id=goal.id, description="Read"))
            await session.execute(
                insert(models.EvidenceElement),
                [{"evidence_id": evidence.id, "element_id": elements[0]}],
            )
            await session.execute(
                insert(models.ObservationRating),
                [
                    {
                        "observation_id": observation.id,
                        "element_id": elements[i],
                        "level_id": levels[i],
                    }
                    for i in range(3)
                ],
            )
            await session.execute(
                insert(models.SelfAssessmentRating),
                [
                    {"self_assessment_id": sa.id, "element_id": elements[i], "level_id": levels[1]}
                    for i in range(3)
                ],
            )
            await session.execute(
                insert(models.TrainingRecordElement),
                [{"training_record_id": training.id, "element_id": elements[4]}],
            )


async def test_nested_teacher_query_runs_the_same_statements_for_5_and_50_teachers(
    client, db, world
) -> None:
    await add_teachers(db, world, 2, start=0)  # 3 world teachers + 2 = 5

    def nested() -> Awaitable[dict[str, Any]]:
        return client.execute(NESTED, as_=ADMIN)

    small, five = await db.fewest_statements(nested)
    await add_teachers(db, world, 45, start=2)  # 50 teachers
    large, fifty = await db.fewest_statements(nested)
    assert len(small["district"]["teachers"]["nodes"]) == 5
    nodes = large["district"]["teachers"]["nodes"]
    assert len(nodes) == 50
    extra = next(node for node in nodes if node["name"] == "Extra 7")
    assert [len(plan["goals"]) for plan in extra["plans"]] == [2]
    assert len(extra["observations"][0]["ratings"]) == 3
    assert extra["trainingRecords"][0]["elements"] == [{"code": sorted(world.element_ids)[4]}]
    assert extra["selfAssessments"][0]["ratings"][0]["level"]["key"] == "exploring"
    assert fifty.count == five.count, (five.count, fifty.count, fifty.statements)
