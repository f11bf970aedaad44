"""Checks shared by plan edits and the workflow: every problem with an input at once, targets loaded for writing.

A target the viewer cannot see is "not found", with the same message as one that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from datetime import date
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    ActionStep,
    DistrictGoal,
    Goal,
    LearningPlan,
    PlanStatus,
    RatingLevel,
    Resource,
    Standard,
)
from mypd_graph.services.access import Actor, plan_condition
from mypd_graph.services.errors import Problem, UserInputError, invalid
from mypd_graph.services.frameworks import registry as frameworks
from mypd_graph.services.inputs import check_day, text_problem

T = TypeVar("T")


# --- input checks ---------------------------------------------------------------------------------


class Problems:
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


def check_text(
    problems: Problems, field: tuple[str, ...], value: str, limit: int | None, required: bool
) -> str:
    """The text's problem (:func:`~mypd_graph.services.inputs.text_problem`) joins the others."""
    problem = text_problem(value, field, limit, required)
    if problem is not None:
        problems.found.append(problem)
    return value.strip()


def check_due(problems: Problems, field: tuple[str, ...], day: date | None) -> date | None:
    """A due day, if any, within the plausible range (:func:`~mypd_graph.services.inputs.check_day`)."""
    if day is not None:
        try:
            check_day(day, field)
        except UserInputError as error:
            problems.found.extend(error.problems)
    return day


def check_progress(problems: Problems, progress: int) -> None:
    if not 0 <= progress <= 100:
        problems.add(("input", "progress"), "progress must be between 0 and 100", "OUT_OF_RANGE")


async def active_framework_id(session: AsyncSession, actor: Actor) -> int:
    framework = await frameworks.active_framework(session, actor.district_id)
    if framework is None:
        raise invalid("input", "the district has no active framework", "NO_FRAMEWORK")
    return framework.id


async def current_elements(
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


async def level_by_key(
    session: AsyncSession, framework_id: int, key: str | None, field: tuple[str, ...]
) -> RatingLevel | None:
    if key is None:
        return None
    return await frameworks.resolve_level(session, framework_id, key.strip(), field)


def check_level_order(
    problems: Problems, baseline: RatingLevel | None, target: RatingLevel | None
) -> None:
    if baseline is not None and target is not None and target.position <= baseline.position:
        problems.add(
            ("input", "targetLevel"),
            f"the target level ({target.key}) must be above the baseline level ({baseline.key})",
            "TARGET_NOT_ABOVE_BASELINE",
        )


async def active_district_goal(
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


async def existing_resource(
    session: AsyncSession, resource_id: int | None, linked: int | None = None
) -> int | None:
    """The resource a step names: it must exist, and a newly linked one must still be offered
    (a retired one stays on the steps that already name it, ``linked``)."""
    if resource_id is None:
        return None
    found = (
        await session.execute(
            select(Resource.id, Resource.retired_at).where(Resource.id == resource_id)
        )
    ).first()
    if found is None:
        raise invalid(("input", "resourceId"), "no resource with this ID", "NOT_FOUND")
    if found.retired_at is not None and resource_id != linked:
        raise invalid(
            ("input", "resourceId"),
            "this resource was retired: its provider no longer offers it",
            "RETIRED_RESOURCE",
        )
    return found.id


# --- loading a target for writing: visible or "not found", locked against concurrent changes ------


def not_found(field: tuple[str, ...], what: str) -> UserInputError:
    # One message for "does not exist" and "not yours to see": the answer must not reveal existence.
    return invalid(field, f"no {what} with this ID", "NOT_FOUND")


async def plan_for_write(
    session: AsyncSession, actor: Actor, plan_id: int, field: tuple[str, ...]
) -> LearningPlan:
    plan = await session.scalar(
        select(LearningPlan)
        .where(LearningPlan.id == plan_id, plan_condition(actor))
        .with_for_update()
    )
    if plan is None:
        raise not_found(field, "learning plan")
    return plan


async def goal_for_write(
    session: AsyncSession, actor: Actor, goal_id: int
) -> tuple[Goal, LearningPlan]:
    row = (
        await session.execute(
            select(Goal, LearningPlan)
            .join(LearningPlan, LearningPlan.id == Goal.plan_id)
            .where(Goal.id == goal_id, plan_condition(actor))
            .with_for_update(of=LearningPlan)
        )
    ).first()
    if row is None:
        raise not_found(("input", "goalId"), "goal")
    return row[0], row[1]


async def step_for_write(
    session: AsyncSession, actor: Actor, step_id: int
) -> tuple[ActionStep, LearningPlan]:
    row = (
        await session.execute(
            select(ActionStep, LearningPlan)
            .join(Goal, Goal.id == ActionStep.goal_id)
            .join(LearningPlan, LearningPlan.id == Goal.plan_id)
            .where(ActionStep.id == step_id, plan_condition(actor))
            .with_for_update(of=LearningPlan)
        )
    ).first()
    if row is None:
        raise not_found(("input", "actionStepId"), "action step")
    return row[0], row[1]


def require_status(
    plan: LearningPlan, allowed: Sequence[PlanStatus], field: tuple[str, ...], what: str
) -> None:
    if plan.status not in allowed:
        states = " or ".join(status.name for status in allowed)
        raise invalid(
            field,
            f"the plan is {PlanStatus(plan.status).name}; {what} only while it is {states}",
            "PLAN_LOCKED",
        )
