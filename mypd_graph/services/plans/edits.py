"""Learning plans, goals and action steps: reading them in the viewer's reach, editing, workflow.

A plan belongs to one teacher for one cycle and moves draft → submitted → approved → completed
(a supervisor may also return a submitted plan to draft). The rules, all enforced here:

- only the owning teacher creates and edits their plan; everyone else who can see it gets FORBIDDEN;
- a plan the viewer cannot see behaves like one that does not exist (NOT_FOUND, same message);
- goals and action steps are *structure*: they change only while the plan is a draft; progress,
  action-step status and reflections are *tracking*: they change while it is a draft or approved;
- submitting is the owner's, approving and returning belong to a supervisor who serves the teacher
  (``may_supervise`` plus visibility), completing is either's; every transition records a PlanEvent.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    ActionStep,
    ActionStepStatus,
    DistrictGoal,
    Goal,
    GoalElement,
    LearningPlan,
    PlanEvent,
    PlanStatus,
    RatingLevel,
    Resource,
    Standard,
    TeacherProfile,
    utcnow,
)
from mypd_graph.services.access import Actor, may_edit_own, may_supervise, teacher_condition
from mypd_graph.services.common import group_by_key, one_by_key
from mypd_graph.services.errors import PermissionDenied, Problem, UserInputError, invalid
from mypd_graph.services.frameworks import registry as frameworks

T = TypeVar("T")

PLAN_TITLE_MAX = 200
GOAL_TITLE_MAX = 300
NOTE_MAX = 2000
CYCLE_PATTERN = re.compile(r"(\d{4})-(\d{2})")


class _Unchanged(enum.Enum):
    """Marks an update argument the caller left out, as distinct from ``None`` (clear the value)."""

    UNCHANGED = "unchanged"


UNCHANGED = _Unchanged.UNCHANGED
Unchanged = Literal[_Unchanged.UNCHANGED]


class PlanAction(enum.StrEnum):
    """What a plan event records; the values are stored in ``plan_event.action``."""

    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    COMPLETE = "complete"


EDITABLE = (PlanStatus.DRAFT,)
TRACKABLE = (PlanStatus.DRAFT, PlanStatus.APPROVED)


# --- reading (DataLoader batch functions: results aligned to the keys) ----------------------------


async def plans_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[LearningPlan | None]:
    rows = await session.scalars(
        select(LearningPlan).where(
            LearningPlan.id.in_(ids), teacher_condition(actor, LearningPlan.teacher_id)
        )
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
                teacher_condition(actor, LearningPlan.teacher_id),
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
        .where(PlanEvent.plan_id.in_(plan_ids), teacher_condition(actor, LearningPlan.teacher_id))
        .order_by(PlanEvent.at, PlanEvent.id)
    )
    return group_by_key(rows, plan_ids, lambda row: row.plan_id)


async def goals_by_plan(
    session: AsyncSession, actor: Actor, plan_ids: Sequence[int]
) -> list[list[Goal]]:
    rows = await session.scalars(
        select(Goal)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(Goal.plan_id.in_(plan_ids), teacher_condition(actor, LearningPlan.teacher_id))
        .order_by(Goal.id)
    )
    return group_by_key(rows, plan_ids, lambda row: row.plan_id)


async def goals_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Goal | None]:
    rows = await session.scalars(
        select(Goal)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(Goal.id.in_(ids), teacher_condition(actor, LearningPlan.teacher_id))
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
        .where(GoalElement.goal_id.in_(goal_ids), teacher_condition(actor, LearningPlan.teacher_id))
        .order_by(Standard.code)
    )
    grouped = group_by_key(list(rows), goal_ids, lambda row: row[0])
    return [[row[1] for row in group] for group in grouped]


async def action_steps_by_goal(
    session: AsyncSession, actor: Actor, goal_ids: Sequence[int]
) -> list[list[ActionStep]]:
    rows = await session.scalars(
        select(ActionStep)
        .join(Goal, Goal.id == ActionStep.goal_id)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(ActionStep.goal_id.in_(goal_ids), teacher_condition(actor, LearningPlan.teacher_id))
        .order_by(ActionStep.id)
    )
    return group_by_key(rows, goal_ids, lambda row: row.goal_id)


async def action_steps_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[ActionStep | None]:
    rows = await session.scalars(
        select(ActionStep)
        .join(Goal, Goal.id == ActionStep.goal_id)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(ActionStep.id.in_(ids), teacher_condition(actor, LearningPlan.teacher_id))
    )
    return one_by_key(rows, ids, lambda row: row.id)


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


# --- input checks ---------------------------------------------------------------------------------


class _Problems:
    """Collects every problem with an input, so the user sees them all in one round trip."""

    def __init__(self) -> None:
        self.found: list[Problem] = []

    def add(self, field: tuple[str, ...], message: str, code: str) -> None:
        self.found.append(Problem(field, message, code))

    async def check(self, awaitable: Awaitable[T]) -> T | None:
        """The awaited value, or ``None`` after recording the userErrors it raised."""
        try:
            return await awaitable
        except UserInputError as error:
            self.found.extend(error.problems)
            return None

    def raise_any(self) -> None:
        if self.found:
            raise UserInputError(*self.found)


def check_cycle(cycle: str, field: tuple[str, ...] = ("input", "cycle")) -> str:
    """A school year written ``2026-27``: four digits, a hyphen, the next year's last two digits."""
    match = CYCLE_PATTERN.fullmatch(cycle.strip())
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise invalid(field, f"{cycle!r} is not a school year like 2026-27", "BAD_CYCLE")
    return match[0]


def _check_text(
    problems: _Problems, field: tuple[str, ...], value: str, limit: int | None, required: bool
) -> str:
    value = value.strip()
    if required and not value:
        problems.add(field, f"{field[-1]} must not be empty", "REQUIRED")
    if limit is not None and len(value) > limit:
        problems.add(field, f"{field[-1]} must be at most {limit} characters", "TOO_LONG")
    return value


def _check_progress(problems: _Problems, progress: int) -> None:
    if not 0 <= progress <= 100:
        problems.add(("input", "progress"), "progress must be between 0 and 100", "OUT_OF_RANGE")


async def _framework_id(session: AsyncSession, actor: Actor) -> int:
    framework = await frameworks.active_framework(session, actor.district_id)
    if framework is None:
        raise invalid("input", "the district has no active framework", "NO_FRAMEWORK")
    return framework.id


async def _elements(
    session: AsyncSession, framework_id: int, codes: Sequence[str]
) -> list[Standard]:
    """Current elements of the active framework; retired ones may not be chosen for new work."""
    field = ("input", "elementCodes")
    codes = [code.strip() for code in codes if code.strip()]
    if not codes:
        raise invalid(field, "choose at least one element", "REQUIRED")
    elements = await frameworks.resolve_elements(session, framework_id, codes, field)
    retired = [element.code for element in elements if element.retired]
    if retired:
        raise invalid(field, f"retired element(s): {', '.join(retired)}", "RETIRED_ELEMENT")
    return elements


async def _level(
    session: AsyncSession, framework_id: int, key: str | None, field: tuple[str, ...]
) -> RatingLevel | None:
    if key is None:
        return None
    return await frameworks.resolve_level(session, framework_id, key.strip(), field)


def _check_level_order(
    problems: _Problems, baseline: RatingLevel | None, target: RatingLevel | None
) -> None:
    if baseline is not None and target is not None and target.position <= baseline.position:
        problems.add(
            ("input", "targetLevel"),
            f"the target level ({target.key}) must be above the baseline level ({baseline.key})",
            "TARGET_NOT_ABOVE_BASELINE",
        )


async def _district_goal(
    session: AsyncSession, actor: Actor, district_goal_id: int | None
) -> int | None:
    if district_goal_id is None:
        return None
    found = await session.scalar(
        select(DistrictGoal.id).where(
            DistrictGoal.id == district_goal_id,
            DistrictGoal.district_id == actor.district_id,
            DistrictGoal.active.is_(True),
        )
    )
    if found is None:
        raise invalid(
            ("input", "districtGoalId"), "no active district goal with this ID", "NOT_FOUND"
        )
    return found


async def _resource(session: AsyncSession, resource_id: int | None) -> int | None:
    if resource_id is None:
        return None
    found = await session.scalar(select(Resource.id).where(Resource.id == resource_id))
    if found is None:
        raise invalid(("input", "resourceId"), "no resource with this ID", "NOT_FOUND")
    return found


# --- loading a target for writing: visible or "not found", locked against concurrent changes ------


def _not_found(field: tuple[str, ...], what: str) -> UserInputError:
    # One message for "does not exist" and "not yours to see": the answer must not reveal existence.
    return invalid(field, f"no {what} with this ID", "NOT_FOUND")


async def _plan_for_write(
    session: AsyncSession, actor: Actor, plan_id: int, field: tuple[str, ...]
) -> LearningPlan:
    plan = await session.scalar(
        select(LearningPlan)
        .where(LearningPlan.id == plan_id, teacher_condition(actor, LearningPlan.teacher_id))
        .with_for_update()
    )
    if plan is None:
        raise _not_found(field, "learning plan")
    return plan


async def _goal_for_write(
    session: AsyncSession, actor: Actor, goal_id: int
) -> tuple[Goal, LearningPlan]:
    row = (
        await session.execute(
            select(Goal, LearningPlan)
            .join(LearningPlan, LearningPlan.id == Goal.plan_id)
            .where(Goal.id == goal_id, teacher_condition(actor, LearningPlan.teacher_id))
            .with_for_update(of=LearningPlan)
        )
    ).first()
    if row is None:
        raise _not_found(("input", "goalId"), "goal")
    return row[0], row[1]


async def _step_for_write(
    session: AsyncSession, actor: Actor, step_id: int
) -> tuple[ActionStep, LearningPlan]:
    row = (
        await session.execute(
            select(ActionStep, LearningPlan)
            .join(Goal, Goal.id == ActionStep.goal_id)
            .join(LearningPlan, LearningPlan.id == Goal.plan_id)
            .where(ActionStep.id == step_id, teacher_condition(actor, LearningPlan.teacher_id))
            .with_for_update(of=LearningPlan)
        )
    ).first()
    if row is None:
        raise _not_found(("input", "actionStepId"), "action step")
    return row[0], row[1]


def _require_status(
    plan: LearningPlan, allowed: Sequence[PlanStatus], field: tuple[str, ...], what: str
) -> None:
    if plan.status not in allowed:
        states = " or ".join(status.name for status in allowed)
        raise invalid(
            field,
            f"the plan is {PlanStatus(plan.status).name}; {what} only while it is {states}",
            "PLAN_LOCKED",
        )


# --- plans and goals ------------------------------------------------------------------------------


async def create_plan(
    session: AsyncSession, actor: Actor, cycle: str, title: str = ""
) -> LearningPlan:
    """A teacher starts their own plan for a cycle; one plan per teacher per cycle."""
    if await session.get(TeacherProfile, actor.user_id) is None:
        raise PermissionDenied("only a teacher may create a learning plan, for themself")
    problems = _Problems()
    try:
        cycle = check_cycle(cycle)
    except UserInputError as error:
        problems.found.extend(error.problems)
    title = _check_text(problems, ("input", "title"), title, PLAN_TITLE_MAX, required=False)
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
    plan = await _plan_for_write(session, actor, plan_id, ("input", "planId"))
    may_edit_own(actor, plan.teacher_id)
    _require_status(plan, EDITABLE, ("input", "planId"), "goals can be added")
    framework_id = await _framework_id(session, actor)

    problems = _Problems()
    title = _check_text(problems, ("input", "title"), title, GOAL_TITLE_MAX, required=True)
    elements = await problems.check(_elements(session, framework_id, element_codes))
    baseline = await problems.check(
        _level(session, framework_id, baseline_level, ("input", "baselineLevel"))
    )
    target = await problems.check(
        _level(session, framework_id, target_level, ("input", "targetLevel"))
    )
    _check_level_order(problems, baseline, target)
    district_goal = await problems.check(_district_goal(session, actor, district_goal_id))
    problems.raise_any()

    goal = Goal(
        plan_id=plan.id,
        title=title,
        description=description.strip(),
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
    goal, plan = await _goal_for_write(session, actor, goal_id)
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
        _require_status(plan, EDITABLE, ("input", changed[0]), "a goal's content can change")
    if progress is not UNCHANGED:
        _require_status(plan, TRACKABLE, ("input", "progress"), "progress can change")

    # Validate everything before touching the row: a query below would autoflush a bad value.
    problems = _Problems()
    if title is not UNCHANGED:
        title = _check_text(problems, ("input", "title"), title, GOAL_TITLE_MAX, required=True)
    if progress is not UNCHANGED:
        _check_progress(problems, progress)
    district_goal: int | None | Unchanged = UNCHANGED
    if district_goal_id is not UNCHANGED:
        district_goal = await problems.check(_district_goal(session, actor, district_goal_id))
    elements: list[Standard] | None = None
    levels: tuple[RatingLevel | None, RatingLevel | None] | None = None
    if {"elementCodes", "baselineLevel", "targetLevel"} & set(changed):
        framework_id = await _framework_id(session, actor)
        if element_codes is not UNCHANGED:
            elements = await problems.check(_elements(session, framework_id, element_codes))
        baseline = await _changed_level(
            session, problems, framework_id, baseline_level, goal.baseline_level_id, "baselineLevel"
        )
        target = await _changed_level(
            session, problems, framework_id, target_level, goal.target_level_id, "targetLevel"
        )
        _check_level_order(problems, baseline, target)
        levels = (baseline, target)
    problems.raise_any()

    if title is not UNCHANGED:
        goal.title = title
    if description is not UNCHANGED:
        goal.description = description.strip()
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
    problems: _Problems,
    framework_id: int,
    key: str | None | Unchanged,
    current_id: int | None,
    name: str,
) -> RatingLevel | None:
    """The level a goal will have after the update: the new key's, or the one it has now."""
    if key is UNCHANGED:
        return await session.get(RatingLevel, current_id) if current_id is not None else None
    return await problems.check(_level(session, framework_id, key, ("input", name)))


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
    goal, plan = await _goal_for_write(session, actor, goal_id)
    may_edit_own(actor, plan.teacher_id)
    _require_status(plan, EDITABLE, ("input", "goalId"), "action steps can be added")
    problems = _Problems()
    description = _check_text(problems, ("input", "description"), description, None, True)
    resource = await problems.check(_resource(session, resource_id))
    problems.raise_any()
    step = ActionStep(
        goal_id=goal.id,
        description=description,
        resource_id=resource,
        due_on=due_on,
        status=ActionStepStatus.NOT_STARTED.value,
        reflection="",
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
) -> ActionStep:
    """The owner edits a step; marking it DONE records when, leaving DONE forgets it."""
    step, plan = await _step_for_write(session, actor, step_id)
    may_edit_own(actor, plan.teacher_id)
    structure = {"description": description, "resourceId": resource_id, "dueOn": due_on}
    changed = [name for name, value in structure.items() if value is not UNCHANGED]
    if changed:
        _require_status(plan, EDITABLE, ("input", changed[0]), "a step's content can change")
    tracked = [
        name
        for name, value in (("status", status), ("reflection", reflection))
        if value is not UNCHANGED
    ]
    if not changed and not tracked:
        return step  # nothing asked: the plan's updatedAt stays
    if tracked:
        _require_status(plan, TRACKABLE, ("input", tracked[0]), "status and reflections can change")

    problems = _Problems()
    if description is not UNCHANGED:
        description = _check_text(problems, ("input", "description"), description, None, True)
    resource: int | None | Unchanged = UNCHANGED
    if resource_id is not UNCHANGED:
        resource = await problems.check(_resource(session, resource_id))
    problems.raise_any()
    if description is not UNCHANGED:
        step.description = description
    if resource is not UNCHANGED:
        step.resource_id = resource
    if due_on is not UNCHANGED:
        step.due_on = due_on
    if reflection is not UNCHANGED:
        step.reflection = reflection.strip()
    if status is not UNCHANGED and status.value != step.status:
        step.status = status.value
        step.completed_at = utcnow() if status is ActionStepStatus.DONE else None
    plan.updated_at = utcnow()
    await session.flush()
    return step


# --- the workflow ---------------------------------------------------------------------------------


def _owner(actor: Actor, plan: LearningPlan) -> None:
    may_edit_own(actor, plan.teacher_id)


def _supervisor(actor: Actor, plan: LearningPlan) -> None:
    # The plan was loaded within the actor's reach, so a supervisor here serves this teacher.
    may_supervise(actor, plan.teacher_id)


def _owner_or_supervisor(actor: Actor, plan: LearningPlan) -> None:
    if actor.user_id != plan.teacher_id:
        may_supervise(actor)


@dataclass(frozen=True)
class Transition:
    source: PlanStatus
    target: PlanStatus
    allowed: Callable[[Actor, LearningPlan], None]
    done: str
    note_required: bool = False


TRANSITIONS: dict[PlanAction, Transition] = {
    PlanAction.SUBMIT: Transition(PlanStatus.DRAFT, PlanStatus.SUBMITTED, _owner, "submitted"),
    PlanAction.APPROVE: Transition(
        PlanStatus.SUBMITTED, PlanStatus.APPROVED, _supervisor, "approved"
    ),
    PlanAction.RETURN: Transition(
        PlanStatus.SUBMITTED, PlanStatus.DRAFT, _supervisor, "returned", note_required=True
    ),
    PlanAction.COMPLETE: Transition(
        PlanStatus.APPROVED, PlanStatus.COMPLETED, _owner_or_supervisor, "completed"
    ),
}


async def transition_plan(
    session: AsyncSession, actor: Actor, plan_id: int, action: PlanAction, note: str | None = None
) -> LearningPlan:
    """Move a plan one step along the workflow and record who did it, when, and why."""
    rule = TRANSITIONS[action]
    plan = await _plan_for_write(session, actor, plan_id, ("input", "planId"))
    rule.allowed(actor, plan)
    current = PlanStatus(plan.status)
    if current is not rule.source:
        raise invalid(
            ("input", "planId"),
            f"the plan is {current.name}; only a {rule.source.name} plan can be {rule.done}",
            "INVALID_TRANSITION",
        )
    problems = _Problems()
    note = _check_text(problems, ("input", "note"), note or "", NOTE_MAX, rule.note_required)
    if action is PlanAction.SUBMIT:
        goals = await session.scalar(select(func.count(Goal.id)).where(Goal.plan_id == plan.id))
        if not goals:
            problems.add(("input", "planId"), "add at least one goal before submitting", "NO_GOALS")
    problems.raise_any()

    now = utcnow()
    session.add(
        PlanEvent(
            plan_id=plan.id,
            actor_id=actor.user_id,
            action=action.value,
            from_status=current.value,
            to_status=rule.target.value,
            note=note,
            at=now,
        )
    )
    plan.status = rule.target.value
    plan.updated_at = now
    await session.flush()
    return plan
