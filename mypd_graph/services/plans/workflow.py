"""The plan workflow: draft -> submitted -> approved -> completed (a submitted plan may be returned).

Submitting is the owner's, approving and returning belong to a supervisor who serves the teacher
(``may_supervise`` plus visibility), completing is either's; every transition records a PlanEvent.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    Goal,
    LearningPlan,
    PlanEvent,
    PlanStatus,
    utcnow,
)
from mypd_graph.services.access import Actor, may_edit_own, may_supervise
from mypd_graph.services.errors import invalid
from mypd_graph.services.events.outbox import EventType, record_event
from mypd_graph.services.plans.checks import Problems, check_text, plan_for_write

NOTE_MAX = 2000


class PlanAction(enum.StrEnum):
    """What a plan event records; the values are stored in ``plan_event.action``."""

    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    COMPLETE = "complete"


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


# What each transition tells subscribers and the person who acts next (services/events).
PLAN_EVENTS = {
    PlanAction.SUBMIT: EventType.PLAN_SUBMITTED,
    PlanAction.APPROVE: EventType.PLAN_APPROVED,
    PlanAction.RETURN: EventType.PLAN_RETURNED,
    PlanAction.COMPLETE: EventType.PLAN_COMPLETED,
}

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
    plan = await plan_for_write(session, actor, plan_id, ("input", "planId"))
    rule.allowed(actor, plan)
    current = PlanStatus(plan.status)
    if current is not rule.source:
        raise invalid(
            ("input", "planId"),
            f"the plan is {current.name}; only a {rule.source.name} plan can be {rule.done}",
            "INVALID_TRANSITION",
        )
    problems = Problems()
    note = check_text(problems, ("input", "note"), note or "", NOTE_MAX, rule.note_required)
    if action is PlanAction.SUBMIT:
        goals = await session.scalar(select(func.count(Goal.id)).where(Goal.plan_id == plan.id))
        if not goals:
            problems.add(("input", "planId"), "add at least one goal before submitting", "NO_GOALS")
    problems.raise_any()

    # Compare-and-set: of two requests that both read the old status, one changes it and the
    # other changes nothing and is told so (row locks do not exist on SQLite).
    now = utcnow()
    changed = await session.execute(
        update(LearningPlan)
        .where(LearningPlan.id == plan.id, LearningPlan.status == current.value)
        .values(status=rule.target.value, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        raise invalid(
            ("input", "planId"),
            "the plan changed while this request was being handled; reload it and try again",
            "PLAN_CHANGED",
        )
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
    record_event(
        session,
        actor.district_id,
        PLAN_EVENTS[action],
        actor.user_id or None,
        plan=("LearningPlan", plan.id),
        teacher=("Teacher", plan.teacher_id),
        status=rule.target.value,
        cycle=plan.cycle,
    )
    await session.flush()
    await session.refresh(plan, ["status", "updated_at"])
    return plan
