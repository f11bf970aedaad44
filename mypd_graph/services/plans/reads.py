"""Reading plans, goals, action steps and district goals in the viewer's reach.

Each function is a DataLoader batch: results aligned to the keys, one statement for any number of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from mypd_graph.models import (
    ActionStep,
    DistrictGoal,
    Goal,
    GoalElement,
    LearningPlan,
    PlanEvent,
    Standard,
)
from mypd_graph.services.access import Actor, plan_condition, shared_with
from mypd_graph.services.common import group_by_key, one_by_key

# --- reading (DataLoader batch functions: results aligned to the keys) ----------------------------


async def plans_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[LearningPlan | None]:
    rows = await session.scalars(
        select(LearningPlan).where(LearningPlan.id.in_(ids), plan_condition(actor))
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def plans_by_teacher(
    session: AsyncSession, actor: Actor, keys: Sequence[tuple[int, str | None]]
) -> list[list[LearningPlan]]:
    """Plans per ``(teacher id, cycle or None for all)``, newest cycle first, in one query."""
    teacher_ids = {teacher_id for teacher_id, _ in keys}
    rows = list(
        await session.scalars(
            select(LearningPlan)
            .where(
                LearningPlan.teacher_id.in_(teacher_ids),
                plan_condition(actor),
            )
            .order_by(LearningPlan.cycle.desc(), LearningPlan.id)
        )
    )
    return [
        [row for row in rows if row.teacher_id == teacher_id and cycle in (None, row.cycle)]
        for teacher_id, cycle in keys
    ]


async def events_by_plan(
    session: AsyncSession, actor: Actor, plan_ids: Sequence[int]
) -> list[list[PlanEvent]]:
    """Each plan's history, oldest first."""
    rows = await session.scalars(
        select(PlanEvent)
        .join(LearningPlan, LearningPlan.id == PlanEvent.plan_id)
        .where(PlanEvent.plan_id.in_(plan_ids), plan_condition(actor))
        .order_by(PlanEvent.at, PlanEvent.id)
    )
    return group_by_key(rows, plan_ids, lambda row: row.plan_id)


async def goals_by_plan(
    session: AsyncSession, actor: Actor, plan_ids: Sequence[int]
) -> list[list[Goal]]:
    rows = await session.scalars(
        select(Goal)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(Goal.plan_id.in_(plan_ids), plan_condition(actor))
        .order_by(Goal.id)
    )
    return group_by_key(rows, plan_ids, lambda row: row.plan_id)


async def goals_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Goal | None]:
    rows = await session.scalars(
        select(Goal)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(Goal.id.in_(ids), plan_condition(actor))
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def elements_by_goal(
    session: AsyncSession, actor: Actor, goal_ids: Sequence[int]
) -> list[list[Standard]]:
    rows = await session.execute(
        select(GoalElement.goal_id, Standard)
        .join(Standard, Standard.id == GoalElement.element_id)
        .join(Goal, Goal.id == GoalElement.goal_id)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(GoalElement.goal_id.in_(goal_ids), plan_condition(actor))
        .order_by(Standard.code)
    )
    grouped = group_by_key(list(rows), goal_ids, lambda row: row[0])
    return [[row[1] for row in group] for group in grouped]


# --- plan trees: a teacher's plans with their goals (and the goals' elements) in one batch -------
# The dashboard reads teachers → plans → goals → elements. Read level by level through separate
# loaders, each goal and each plan waits on a loader of its own (an awaitable per field, a session
# per level); read here in one session, as plain rows (no ORM entities), the resolvers below the
# plan answer from memory. The statements are the same three, with the same access condition.

_PLAN_COLUMNS = (
    LearningPlan.id,
    LearningPlan.teacher_id,
    LearningPlan.cycle,
    LearningPlan.title,
    LearningPlan.status,
    LearningPlan.created_at,
    LearningPlan.updated_at,
)
_GOAL_COLUMNS = (
    Goal.id,
    Goal.plan_id,
    Goal.title,
    Goal.description,
    Goal.due_on,
    Goal.progress,
    Goal.baseline_level_id,
    Goal.target_level_id,
    Goal.district_goal_id,
)
_ELEMENT_COLUMNS = (
    Standard.id,
    Standard.code,
    Standard.text,
    Standard.retired,
    Standard.identifier,
    Standard.framework_id,
)


@dataclass(frozen=True, slots=True)
class GoalTree:
    """A goal's row and, when asked for, its elements' rows (by code)."""

    goal: Row[Any]
    elements: list[Row[Any]] | None


@dataclass(frozen=True, slots=True)
class PlanTree:
    plan: Row[Any]
    goals: list[GoalTree]


async def _plan_trees(
    session: AsyncSession,
    actor: Actor,
    keys: Sequence[tuple[int, str | None]],
    with_elements: bool,
) -> list[list[PlanTree]]:
    teacher_ids = {teacher_id for teacher_id, _ in keys}
    plans = list(
        await session.execute(
            select(*_PLAN_COLUMNS)
            .where(LearningPlan.teacher_id.in_(teacher_ids), plan_condition(actor))
            .order_by(LearningPlan.cycle.desc(), LearningPlan.id)
        )
    )
    plan_ids = [plan.id for plan in plans]
    goals = list(
        await session.execute(
            select(*_GOAL_COLUMNS)
            .join(LearningPlan, LearningPlan.id == Goal.plan_id)
            .where(Goal.plan_id.in_(plan_ids), plan_condition(actor))
            .order_by(Goal.id)
        )
        if plan_ids
        else []
    )
    elements: dict[int, list[Row[Any]]] = {}
    if with_elements and goals:
        rows = await session.execute(
            select(GoalElement.goal_id, *_ELEMENT_COLUMNS)
            .join(Standard, Standard.id == GoalElement.element_id)
            .join(Goal, Goal.id == GoalElement.goal_id)
            .join(LearningPlan, LearningPlan.id == Goal.plan_id)
            .where(GoalElement.goal_id.in_([goal.id for goal in goals]), plan_condition(actor))
            .order_by(Standard.code)
        )
        for row in rows:
            elements.setdefault(row.goal_id, []).append(row)
    goals_by_plan: dict[int, list[GoalTree]] = {}
    for goal in goals:
        found = elements.get(goal.id, []) if with_elements else None
        goals_by_plan.setdefault(goal.plan_id, []).append(GoalTree(goal, found))
    by_teacher: dict[int, list[PlanTree]] = {}
    for plan in plans:
        tree = PlanTree(plan, goals_by_plan.get(plan.id, []))
        by_teacher.setdefault(plan.teacher_id, []).append(tree)
    return [
        [tree for tree in by_teacher.get(teacher_id, []) if cycle in (None, tree.plan.cycle)]
        for teacher_id, cycle in keys
    ]


async def plans_with_goals_by_teacher(
    session: AsyncSession, actor: Actor, keys: Sequence[tuple[int, str | None]]
) -> list[list[PlanTree]]:
    """Plans per ``(teacher id, cycle or None)`` as :func:`plans_by_teacher`, with their goals."""
    return await _plan_trees(session, actor, keys, with_elements=False)


async def plans_with_goal_elements_by_teacher(
    session: AsyncSession, actor: Actor, keys: Sequence[tuple[int, str | None]]
) -> list[list[PlanTree]]:
    """The same, with each goal's elements."""
    return await _plan_trees(session, actor, keys, with_elements=True)


def _steps(actor: Actor) -> Select[tuple[ActionStep, bool]]:
    """Action steps of the plans the actor may read, each with whether its reflection is shown."""
    return (
        select(
            ActionStep,
            shared_with(actor, LearningPlan.teacher_id, ActionStep.reflection_audience),
        )
        .join(Goal, Goal.id == ActionStep.goal_id)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(plan_condition(actor))
    )


def _hide_reflections(rows: Sequence[tuple[ActionStep, bool]]) -> list[ActionStep]:
    """A reflection not shared with the viewer reads as empty; the read session is never
    committed, and the value is set as loaded, so nothing is written back."""
    steps = []
    for step, shown in rows:
        if not shown:
            set_committed_value(step, "reflection", "")
        steps.append(step)
    return steps


async def action_steps_by_goal(
    session: AsyncSession, actor: Actor, goal_ids: Sequence[int]
) -> list[list[ActionStep]]:
    rows = await session.execute(
        _steps(actor).where(ActionStep.goal_id.in_(goal_ids)).order_by(ActionStep.id)
    )
    steps = _hide_reflections([(step, shown) for step, shown in rows])
    return group_by_key(steps, goal_ids, lambda row: row.goal_id)


async def action_steps_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[ActionStep | None]:
    rows = await session.execute(_steps(actor).where(ActionStep.id.in_(ids)))
    steps = _hide_reflections([(step, shown) for step, shown in rows])
    return one_by_key(steps, ids, lambda row: row.id)


async def district_goals_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[DistrictGoal | None]:
    """District goals are the district's own initiatives: anyone in the district may read them."""
    rows = await session.scalars(
        select(DistrictGoal).where(
            DistrictGoal.id.in_(ids), DistrictGoal.district_id == actor.district_id
        )
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def active_district_goals(session: AsyncSession, actor: Actor) -> list[DistrictGoal]:
    """The initiatives a new goal may align to."""
    return list(
        await session.scalars(
            select(DistrictGoal)
            .where(DistrictGoal.district_id == actor.district_id, DistrictGoal.active.is_(True))
            .order_by(DistrictGoal.title, DistrictGoal.id)
        )
    )
