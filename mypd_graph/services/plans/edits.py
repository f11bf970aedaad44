"""Editing learning plans, goals and action steps: only the owning teacher, and only while the plan allows.

The rules, all enforced here:

- only the owning teacher creates and edits their plan; everyone else who can see it gets FORBIDDEN;
- a plan the viewer cannot see behaves like one that does not exist (NOT_FOUND, same message);
- goals and action steps are *structure*: they change only while the plan is a draft; progress,
  action-step status and reflections are *tracking*: they change while it is a draft or approved.

Reads live in :mod:`.reads`, the workflow in :mod:`.workflow`, shared checks in :mod:`.checks`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import date
from typing import Literal

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    ActionStep,
    ActionStepStatus,
    Goal,
    GoalElement,
    LearningPlan,
    PlanStatus,
    RatingLevel,
    Standard,
    TeacherProfile,
    utcnow,
)
from mypd_graph.models.growth import Audience
from mypd_graph.services.access import Actor, district_default_audience, may_edit_own
from mypd_graph.services.errors import PermissionDenied, UserInputError, invalid
from mypd_graph.services.inputs import LONG_TEXT, check_cycle, column_length
from mypd_graph.services.plans.checks import (
    Problems,
    active_district_goal,
    active_framework_id,
    check_due,
    check_level_order,
    check_progress,
    check_text,
    current_elements,
    existing_resource,
    goal_for_write,
    level_by_key,
    plan_for_write,
    require_status,
    step_for_write,
)

PLAN_TITLE_MAX = column_length(LearningPlan.title)
GOAL_TITLE_MAX = column_length(Goal.title)


class _Unchanged(enum.Enum):
    """Marks an update argument the caller left out, as distinct from ``None`` (clear the value)."""

    UNCHANGED = "unchanged"


UNCHANGED = _Unchanged.UNCHANGED
Unchanged = Literal[_Unchanged.UNCHANGED]


EDITABLE = (PlanStatus.DRAFT,)
TRACKABLE = (PlanStatus.DRAFT, PlanStatus.APPROVED)


# --- plans and goals ------------------------------------------------------------------------------


async def create_plan(
    session: AsyncSession, actor: Actor, cycle: str, title: str = ""
) -> LearningPlan:
    """A teacher starts their own plan for a cycle; one plan per teacher per cycle."""
    if await session.get(TeacherProfile, actor.user_id) is None:
        raise PermissionDenied("only a teacher may create a learning plan, for themself")
    problems = Problems()
    try:
        cycle = check_cycle(cycle)
    except UserInputError as error:
        problems.found.extend(error.problems)
    title = check_text(problems, ("input", "title"), title, PLAN_TITLE_MAX, required=False)
    problems.raise_any()
    duplicate = invalid(
        ("input", "cycle"), f"you already have a learning plan for {cycle}", "DUPLICATE"
    )
    existing = await session.scalar(
        select(LearningPlan.id).where(
            LearningPlan.teacher_id == actor.user_id, LearningPlan.cycle == cycle
        )
    )
    if existing is not None:
        raise duplicate
    plan = LearningPlan(teacher_id=actor.user_id, cycle=cycle, title=title)
    session.add(plan)
    try:
        await session.flush()
    except IntegrityError as error:  # a concurrent request created it first; this one rolls back
        raise duplicate from error
    return plan


async def add_goal(
    session: AsyncSession,
    actor: Actor,
    plan_id: int,
    *,
    title: str,
    description: str = "",
    element_codes: Sequence[str],
    baseline_level: str | None = None,
    target_level: str | None = None,
    due_on: date | None = None,
    district_goal_id: int | None = None,
) -> Goal:
    plan = await plan_for_write(session, actor, plan_id, ("input", "planId"))
    may_edit_own(actor, plan.teacher_id)
    require_status(plan, EDITABLE, ("input", "planId"), "goals can be added")
    framework_id = await active_framework_id(session, actor)

    problems = Problems()
    title = check_text(problems, ("input", "title"), title, GOAL_TITLE_MAX, required=True)
    description = check_text(problems, ("input", "description"), description, LONG_TEXT, False)
    check_due(problems, ("input", "dueOn"), due_on)
    elements = await problems.check(current_elements(session, framework_id, element_codes))
    baseline = await problems.check(
        level_by_key(session, framework_id, baseline_level, ("input", "baselineLevel"))
    )
    target = await problems.check(
        level_by_key(session, framework_id, target_level, ("input", "targetLevel"))
    )
    check_level_order(problems, baseline, target)
    district_goal = await problems.check(active_district_goal(session, actor, district_goal_id))
    problems.raise_any()

    goal = Goal(
        plan_id=plan.id,
        title=title,
        description=description,
        baseline_level_id=baseline.id if baseline else None,
        target_level_id=target.id if target else None,
        due_on=due_on,
        district_goal_id=district_goal,
        progress=0,
    )
    session.add(goal)
    await session.flush()
    session.add_all(GoalElement(goal_id=goal.id, element_id=e.id) for e in elements or [])
    plan.updated_at = utcnow()
    await session.flush()
    return goal


async def update_goal(
    session: AsyncSession,
    actor: Actor,
    goal_id: int,
    *,
    title: str | Unchanged = UNCHANGED,
    description: str | Unchanged = UNCHANGED,
    element_codes: Sequence[str] | Unchanged = UNCHANGED,
    baseline_level: str | None | Unchanged = UNCHANGED,
    target_level: str | None | Unchanged = UNCHANGED,
    due_on: date | None | Unchanged = UNCHANGED,
    district_goal_id: int | None | Unchanged = UNCHANGED,
    progress: int | Unchanged = UNCHANGED,
) -> Goal:
    """The owner edits a goal: content while the plan is a draft, progress while approved too."""
    goal, plan = await goal_for_write(session, actor, goal_id)
    may_edit_own(actor, plan.teacher_id)
    structure = {
        "title": title,
        "description": description,
        "elementCodes": element_codes,
        "baselineLevel": baseline_level,
        "targetLevel": target_level,
        "dueOn": due_on,
        "districtGoalId": district_goal_id,
    }
    changed = [name for name, value in structure.items() if value is not UNCHANGED]
    if not changed and progress is UNCHANGED:
        return goal  # nothing asked: the plan's updatedAt stays
    if changed:
        require_status(plan, EDITABLE, ("input", changed[0]), "a goal's content can change")
    if progress is not UNCHANGED:
        require_status(plan, TRACKABLE, ("input", "progress"), "progress can change")

    # Validate everything before touching the row: a query below would autoflush a bad value.
    problems = Problems()
    if title is not UNCHANGED:
        title = check_text(problems, ("input", "title"), title, GOAL_TITLE_MAX, required=True)
    if description is not UNCHANGED:
        description = check_text(problems, ("input", "description"), description, LONG_TEXT, False)
    if due_on is not UNCHANGED:
        check_due(problems, ("input", "dueOn"), due_on)
    if progress is not UNCHANGED:
        check_progress(problems, progress)
    district_goal: int | None | Unchanged = UNCHANGED
    if district_goal_id is not UNCHANGED:
        district_goal = await problems.check(active_district_goal(session, actor, district_goal_id))
    elements: list[Standard] | None = None
    levels: tuple[RatingLevel | None, RatingLevel | None] | None = None
    if {"elementCodes", "baselineLevel", "targetLevel"} & set(changed):
        framework_id = await active_framework_id(session, actor)
        if element_codes is not UNCHANGED:
            elements = await problems.check(current_elements(session, framework_id, element_codes))
        baseline = await _changed_level(
            session, problems, framework_id, baseline_level, goal.baseline_level_id, "baselineLevel"
        )
        target = await _changed_level(
            session, problems, framework_id, target_level, goal.target_level_id, "targetLevel"
        )
        check_level_order(problems, baseline, target)
        levels = (baseline, target)
    problems.raise_any()

    if title is not UNCHANGED:
        goal.title = title
    if description is not UNCHANGED:
        goal.description = description
    if progress is not UNCHANGED:
        goal.progress = progress
    if due_on is not UNCHANGED:
        goal.due_on = due_on
    if district_goal is not UNCHANGED:
        goal.district_goal_id = district_goal
    if levels is not None:
        goal.baseline_level_id = levels[0].id if levels[0] else None
        goal.target_level_id = levels[1].id if levels[1] else None
    if elements is not None:
        await session.execute(delete(GoalElement).where(GoalElement.goal_id == goal.id))
        session.add_all(GoalElement(goal_id=goal.id, element_id=e.id) for e in elements)
    plan.updated_at = utcnow()
    await session.flush()
    return goal


async def _changed_level(
    session: AsyncSession,
    problems: Problems,
    framework_id: int,
    key: str | None | Unchanged,
    current_id: int | None,
    name: str,
) -> RatingLevel | None:
    """The level a goal will have after the update: the new key's, or the one it has now."""
    if key is UNCHANGED:
        return await session.get(RatingLevel, current_id) if current_id is not None else None
    return await problems.check(level_by_key(session, framework_id, key, ("input", name)))


# --- action steps ---------------------------------------------------------------------------------


async def add_action_step(
    session: AsyncSession,
    actor: Actor,
    goal_id: int,
    *,
    description: str,
    resource_id: int | None = None,
    due_on: date | None = None,
) -> ActionStep:
    goal, plan = await goal_for_write(session, actor, goal_id)
    may_edit_own(actor, plan.teacher_id)
    require_status(plan, EDITABLE, ("input", "goalId"), "action steps can be added")
    problems = Problems()
    description = check_text(problems, ("input", "description"), description, LONG_TEXT, True)
    check_due(problems, ("input", "dueOn"), due_on)
    resource = await problems.check(existing_resource(session, resource_id))
    problems.raise_any()
    step = ActionStep(
        goal_id=goal.id,
        description=description,
        resource_id=resource,
        due_on=due_on,
        status=ActionStepStatus.NOT_STARTED.value,
        reflection="",
        reflection_audience=await session.scalar(
            select(district_default_audience(actor.district_id))
        ),
    )
    session.add(step)
    plan.updated_at = utcnow()
    await session.flush()
    return step


async def update_action_step(
    session: AsyncSession,
    actor: Actor,
    step_id: int,
    *,
    description: str | Unchanged = UNCHANGED,
    resource_id: int | None | Unchanged = UNCHANGED,
    due_on: date | None | Unchanged = UNCHANGED,
    status: ActionStepStatus | Unchanged = UNCHANGED,
    reflection: str | Unchanged = UNCHANGED,
    reflection_audience: Audience | Unchanged = UNCHANGED,
) -> ActionStep:
    """The owner edits a step; marking it DONE records when, leaving DONE forgets it. Who sees
    the reflection is the owner's to change whatever the plan's status: it is not content."""
    step, plan = await step_for_write(session, actor, step_id)
    may_edit_own(actor, plan.teacher_id)
    if reflection_audience is not UNCHANGED:
        step.reflection_audience = Audience(reflection_audience).value
    structure = {"description": description, "resourceId": resource_id, "dueOn": due_on}
    changed = [name for name, value in structure.items() if value is not UNCHANGED]
    if changed:
        require_status(plan, EDITABLE, ("input", changed[0]), "a step's content can change")
    tracked = [
        name
        for name, value in (("status", status), ("reflection", reflection))
        if value is not UNCHANGED
    ]
    if not changed and not tracked:
        await session.flush()
        return step  # nothing else asked: the plan's updatedAt stays
    if tracked:
        require_status(plan, TRACKABLE, ("input", tracked[0]), "status and reflections can change")

    problems = Problems()
    if description is not UNCHANGED:
        description = check_text(problems, ("input", "description"), description, LONG_TEXT, True)
    if reflection is not UNCHANGED:
        reflection = check_text(problems, ("input", "reflection"), reflection, LONG_TEXT, False)
    if due_on is not UNCHANGED:
        check_due(problems, ("input", "dueOn"), due_on)
    resource: int | None | Unchanged = UNCHANGED
    if resource_id is not UNCHANGED:
        resource = await problems.check(existing_resource(session, resource_id, step.resource_id))
    problems.raise_any()
    if description is not UNCHANGED:
        step.description = description
    if resource is not UNCHANGED:
        step.resource_id = resource
    if due_on is not UNCHANGED:
        step.due_on = due_on
    if reflection is not UNCHANGED:
        step.reflection = reflection
    if status is not UNCHANGED and status.value != step.status:
        step.status = status.value
        step.completed_at = utcnow() if status is ActionStepStatus.DONE else None
    plan.updated_at = utcnow()
    await session.flush()
    return step
