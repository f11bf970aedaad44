"""The demo district tells one consistent story: its well-known accounts are what the README tour
says, every plan's history leads to its status, and two loads write identical rows.

Every test loads the demo into the empty database of the ``db`` fixture (SQLite, and PostgreSQL
when configured), the way ``mypd-graph demo load`` does after syncing the frameworks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from mypd_graph import migrate, models
from mypd_graph.db import create_engine, create_sessionmaker
from mypd_graph.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_COACH_EMAIL,
    DEMO_PRINCIPAL_EMAIL,
    DEMO_TEACHER_EMAIL,
    load_demo,
)
from mypd_graph.models import Base, PlanStatus
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.frameworks.registry import sync_frameworks
from mypd_graph.services.plans.workflow import PlanAction
from tests.test_demo import _load

# The transitions a plan's history may contain, and the action each one is recorded as.
TRANSITIONS = {
    ("draft", "submitted"): PlanAction.SUBMIT,
    ("submitted", "draft"): PlanAction.RETURN,
    ("submitted", "approved"): PlanAction.APPROVE,
    ("approved", "completed"): PlanAction.COMPLETE,
}


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive UTC, PostgreSQL aware UTC: compare them as naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


async def test_well_known_accounts(db):
    await _load(db)
    async with db.sessionmaker() as session:
        by_email = {
            u.email: u
            for u in await session.scalars(
                select(models.User).where(
                    models.User.email.in_(
                        [
                            DEMO_ADMIN_EMAIL,
                            DEMO_TEACHER_EMAIL,
                            DEMO_COACH_EMAIL,
                            DEMO_PRINCIPAL_EMAIL,
                        ]
                    )
                )
            )
        }
        admin, teacher = by_email[DEMO_ADMIN_EMAIL], by_email[DEMO_TEACHER_EMAIL]
        coach, principal = by_email[DEMO_COACH_EMAIL], by_email[DEMO_PRINCIPAL_EMAIL]
        assert (admin.role, teacher.role, coach.role, principal.role) == (
            "district_admin",
            "teacher",
            "coach",
            "principal",
        )

        profile = await session.get_one(models.TeacherProfile, teacher.id)
        assert profile.school_id == teacher.school_id == principal.school_id is not None
        assert await session.scalar(
            select(models.CoachAssignment.id).where(
                models.CoachAssignment.coach_id == coach.id,
                models.CoachAssignment.teacher_id == teacher.id,
            )
        )

        sections = list(
            await session.scalars(
                select(models.Section).where(models.Section.teacher_id == teacher.id)
            )
        )
        assert {s.school_year for s in sections} == {"2024-25", "2025-26"}
        students = set(
            await session.scalars(
                select(models.Enrollment.student_id).where(
                    models.Enrollment.section_id.in_(
                        [s.id for s in sections if s.school_year == "2025-26"]
                    )
                )
            )
        )
        assert len(students) >= 50

        plan = await session.scalar(
            select(models.LearningPlan).where(
                models.LearningPlan.teacher_id == teacher.id, models.LearningPlan.cycle == "2025-26"
            )
        )
        assert plan is not None and plan.status == "submitted"
        observers = set(
            await session.scalars(
                select(models.Observation.observer_id).where(
                    models.Observation.teacher_id == teacher.id
                )
            )
        )
        assert observers == {coach.id, principal.id}

        # Her students clearly struggle in math: spring MAP percentiles well below the district's.
        spring_math = (
            select(func.avg(models.AssessmentResult.percentile))
            .join(models.Assessment)
            .where(
                models.Assessment.key == "nwea-map-math",
                models.AssessmentResult.school_year == "2025-26",
                models.AssessmentResult.term == "Spring",
            )
        )
        mine = await session.scalar(
            spring_math.where(models.AssessmentResult.student_id.in_(students))
        )
        everyone = await session.scalar(spring_math)
        assert mine < everyone - 10, (mine, everyone)


async def test_plans_at_every_status_with_consistent_history(db):
    await _load(db)
    async with db.sessionmaker() as session:
        plans = list(await session.scalars(select(models.LearningPlan)))
        assert {p.status for p in plans} == {s.value for s in PlanStatus}
        assert {p.cycle for p in plans} == {"2025-26"}

        coach_of = dict(
            (
                await session.execute(
                    select(models.CoachAssignment.teacher_id, models.CoachAssignment.coach_id)
                )
            ).all()
        )
        school_of = dict(
            (await session.execute(select(models.User.id, models.User.school_id))).all()
        )
        principal_of = {
            school_id: user_id
            for user_id, school_id in await session.execute(
                select(models.User.id, models.User.school_id).where(models.User.role == "principal")
            )
        }
        events = defaultdict(list)
        for event in await session.scalars(
            select(models.PlanEvent).order_by(models.PlanEvent.at, models.PlanEvent.id)
        ):
            events[event.plan_id].append(event)

        for plan in plans:
            history = events[plan.id]
            status = "draft"
            moment = _utc(plan.created_at)
            for event in history:
                assert event.from_status == status, (plan.status, [e.action for e in history])
                assert TRANSITIONS[(event.from_status, event.to_status)] == event.action
                assert _utc(event.at) > moment
                if event.action in (PlanAction.SUBMIT, PlanAction.COMPLETE):
                    assert event.actor_id == plan.teacher_id
                else:
                    supervisors = {
                        coach_of.get(plan.teacher_id),
                        principal_of[school_of[plan.teacher_id]],
                    }
                    assert event.actor_id in supervisors
                status, moment = event.to_status, _utc(event.at)
            assert status == plan.status
            assert _utc(plan.updated_at) >= moment
            if plan.status != "draft":
                assert history

        goals = defaultdict(list)
        for goal in await session.scalars(select(models.Goal)):
            goals[goal.plan_id].append(goal)
        steps = defaultdict(list)
        for step in await session.scalars(select(models.ActionStep)):
            steps[step.goal_id].append(step)
        goal_elements = Counter(await session.scalars(select(models.GoalElement.goal_id)))
        for plan in plans:
            assert 1 <= len(goals[plan.id]) <= 3
            for goal in goals[plan.id]:
                assert goal_elements[goal.id] >= 1
                assert goal.baseline_level_id and goal.target_level_id
                assert steps[goal.id]
                statuses = {s.status for s in steps[goal.id]}
                if plan.status == "completed":
                    assert goal.progress == 100 and statuses == {"done"}
                    assert all(s.reflection and s.completed_at for s in steps[goal.id])
                if plan.status == "draft":
                    assert goal.progress == 0 and statuses == {"not_started"}
        all_steps = [s for group in steps.values() for s in group]
        assert any(s.resource_id for s in all_steps)
        assert any(s.resource_id is None for s in all_steps)


# ---- determinism --------------------------------------------------------------------------------

SYNCED = {"framework", "rating_level", "standard"}  # written by sync_frameworks, not the demo


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return _utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


async def _dump(engine: AsyncEngine) -> dict[str, list[tuple[Any, ...]]]:
    """Every demo table, rows ordered by primary key, references to synced rows by code/key.

    Ids are compared as they are: two loads into empty databases must assign the same ones. The
    framework's own rows are named by their code or key, since the sync that wrote them is not
    part of the demo.
    """
    dump: dict[str, list[tuple[Any, ...]]] = {}
    async with engine.connect() as connection:
        names = {
            "standard": dict(
                (await connection.execute(select(models.Standard.id, models.Standard.code))).all()
            ),
            "rating_level": dict(
                (
                    await connection.execute(select(models.RatingLevel.id, models.RatingLevel.key))
                ).all()
            ),
            "framework": dict(
                (await connection.execute(select(models.Framework.id, models.Framework.key))).all()
            ),
        }
        for table in Base.metadata.sorted_tables:
            if table.name in SYNCED:
                continue
            lookups = []
            for column in table.columns:
                targets = {fk.column.table.name for fk in column.foreign_keys} & SYNCED
                lookups.append(names[targets.pop()] if targets else None)
            rows = await connection.execute(select(table).order_by(*table.primary_key.columns))
            dump[table.name] = [
                tuple(
                    _canonical(lookup.get(value) if lookup is not None else value)
                    for lookup, value in zip(lookups, row, strict=True)
                )
                for row in rows
            ]
    return dump


async def test_two_loads_into_empty_databases_are_identical(db, tmp_path: Path, plugins: PluginSet):
    await _load(db)

    url = f"sqlite+aiosqlite:///{tmp_path / 'second.db'}"
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine).begin() as session:
            await sync_frameworks(session, plugins)
            await load_demo(session)
        second = await _dump(engine)
    finally:
        await engine.dispose()
    first = await _dump(db.engine)

    assert first.keys() == second.keys()
    assert len(first["assessment_result"]) > 5000
    for table in first:
        assert first[table] == second[table], f"{table} differs between the two loads"
