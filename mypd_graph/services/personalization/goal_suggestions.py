"""Goal suggestions drafted from a teacher's needs and focus elements, and accepting one into a plan.

A suggestion names one element, a baseline (the latest observer rating of it when there is one, else
the latest self-rating; the two are never averaged), a target one level up, and action steps: the two
best recommended resources for that element plus a request for a focused observation. Candidates
are ranked like recommendations (need score, plus a bonus for focus elements); elements already in
a goal of an open plan (draft, submitted or approved) and elements rated at the top of the scale are
skipped.

Accepting recomputes the suggestion on the server (a client cannot forge its content) and writes it
with the plan services (:func:`~mypd_graph.services.plans.edits.add_goal` and
:func:`~mypd_graph.services.plans.edits.add_action_step`), so every plan rule (owner only, draft only,
valid levels) holds exactly as for a goal typed by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Goal, GoalElement, LearningPlan, PlanStatus
from mypd_graph.services.access import Actor, plan_condition
from mypd_graph.services.common import group_by_key
from mypd_graph.services.errors import PermissionDenied, invalid
from mypd_graph.services.personalization.needs import (
    ElementInfo,
    LevelInfo,
    Need,
    assess,
    teachers_by_ids,
)
from mypd_graph.services.personalization.recommendations import (
    FOCUS_BONUS,
    RecommendationInputs,
    rank_resources,
    recommendation_inputs,
)
from mypd_graph.services.plans import edits as plan_edits
from mypd_graph.services.plans.checks import plan_for_write

DEFAULT_SUGGESTIONS = 3
RESOURCE_STEPS = 2
TITLE_MAX = plan_edits.GOAL_TITLE_MAX
OPEN_STATUSES = (PlanStatus.DRAFT.value, PlanStatus.SUBMITTED.value, PlanStatus.APPROVED.value)


@dataclass(frozen=True, slots=True)
class SuggestedStep:
    description: str
    resource_id: int | None = None


@dataclass(frozen=True, slots=True)
class GoalSuggestion:
    teacher_id: int
    element: ElementInfo
    need: Need
    baseline: LevelInfo | None
    baseline_source: str  # where the baseline comes from, in words
    target: LevelInfo
    title: str
    rationale: str
    steps: tuple[SuggestedStep, ...]


async def open_goal_elements(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[set[int]]:
    """DataLoader batch: per teacher, the elements of goals in plans that are still open."""
    rows = await session.execute(
        select(LearningPlan.teacher_id, GoalElement.element_id)
        .join(Goal, Goal.id == GoalElement.goal_id)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(
            LearningPlan.teacher_id.in_(teachers_by_ids(actor, teacher_ids)),
            LearningPlan.status.in_(OPEN_STATUSES),
            plan_condition(actor),
        )
    )
    return [{row[1] for row in group} for group in group_by_key(rows, teacher_ids, lambda r: r[0])]


def _baseline(need: Need) -> tuple[LevelInfo | None, str]:
    if need.observed_rating is not None:
        rating = need.observed_rating
        return rating.level, f"{rating.kind} observation on {rating.observed_on.isoformat()}"
    if need.self_rating is not None:
        return need.self_rating.level, f"{need.self_rating.cycle} self-assessment"
    return None, "no rating yet"


def _target(baseline: LevelInfo | None, scale: Sequence[LevelInfo]) -> LevelInfo | None:
    if not scale:
        return None
    if baseline is None:
        return scale[(len(scale) - 1) // 2]  # the middle of the scale (Applying on the CSTP's)
    above = [level for level in scale if level.position > baseline.position]
    return above[0] if above else None


def _title(element: ElementInfo, baseline: LevelInfo | None, target: LevelInfo) -> str:
    move = f"from {baseline.label} to {target.label}" if baseline else f"to {target.label}"
    head = f"Grow {move} in {element.code}: "
    text = element.text
    if len(head) + len(text) > TITLE_MAX:
        text = text[: TITLE_MAX - len(head) - 1].rstrip() + "…"
    return head + text


def _duration(minutes: int | None) -> str:
    if not minutes:
        return ""
    return f", {minutes} minutes" if minutes < 90 else f", {minutes / 60:g} hours"


def suggest_goals(
    needs: Sequence[Need],
    inputs: RecommendationInputs | None,
    open_elements: set[int],
    limit: int | None = DEFAULT_SUGGESTIONS,
) -> list[GoalSuggestion]:
    """Goal drafts for one teacher, best first (pure: everything it needs is passed in)."""
    candidates = sorted(
        (n for n in needs if n.score is not None and n.element.id not in open_elements),
        key=lambda n: (-((n.score or 0.0) + (FOCUS_BONUS if n.is_focus else 0.0)), n.element.order),
    )
    catalog = {entry.id: entry for entry in inputs.catalog} if inputs else {}
    suggestions: list[GoalSuggestion] = []
    for need in candidates:
        if limit is not None and len(suggestions) >= limit:
            break
        baseline, source = _baseline(need)
        target = _target(baseline, need.context.scale)
        if target is None:
            continue  # already at the top of the scale
        steps = []
        if inputs is not None:
            for recommendation in rank_resources(needs, inputs, need.element.id)[:RESOURCE_STEPS]:
                entry = catalog[recommendation.resource_id]
                steps.append(
                    SuggestedStep(
                        f"Complete \u201c{entry.title}\u201d ({entry.format}"
                        f"{_duration(entry.duration_minutes)})",
                        entry.id,
                    )
                )
        steps.append(
            SuggestedStep(
                f"Ask your coach or principal to observe a lesson focused on {need.element.code} "
                "and debrief it together"
            )
        )
        rationale = need.summary
        if need.is_focus:
            rationale += f". {need.element.code} is one of your focus elements"
        suggestions.append(
            GoalSuggestion(
                teacher_id=need.teacher_id,
                element=need.element,
                need=need,
                baseline=baseline,
                baseline_source=source,
                target=target,
                title=_title(need.element, baseline, target),
                rationale=rationale + f". Baseline from the {source}.",
                steps=tuple(steps),
            )
        )
    return suggestions


async def _own_suggestions(session: AsyncSession, actor: Actor) -> list[GoalSuggestion]:
    teachers: Select[tuple[int]] = teachers_by_ids(actor, [actor.user_id])
    needs = (await assess(session, actor, teachers)).get(actor.user_id)
    if needs is None:
        raise PermissionDenied("only a teacher accepts goal suggestions, into their own plan")
    [inputs] = await recommendation_inputs(session, actor, [actor.user_id])
    [open_elements] = await open_goal_elements(session, actor, [actor.user_id])
    return suggest_goals(needs, inputs, open_elements, limit=None)


async def accept_suggestion(
    session: AsyncSession, actor: Actor, element_id: int, plan_id: int
) -> Goal:
    """The teacher turns the suggestion for ``element_id`` into a goal of their draft plan.

    Accepting is idempotent: the plan is locked first, and when it already holds a goal for the
    element (an earlier or a concurrent accept), that goal is the answer and nothing is added.
    """
    plan = await plan_for_write(session, actor, plan_id, ("input", "planId"))
    accepted = await session.scalar(
        select(Goal)
        .join(GoalElement, GoalElement.goal_id == Goal.id)
        .where(Goal.plan_id == plan.id, GoalElement.element_id == element_id)
        .order_by(Goal.id)
        .limit(1)
    )
    if accepted is not None:
        return accepted
    suggestion = next(
        (s for s in await _own_suggestions(session, actor) if s.element.id == element_id), None
    )
    if suggestion is None:
        raise invalid(
            ("input", "suggestionId"),
            "this goal is not suggested for you now (it may already be in an open plan)",
            "NOT_SUGGESTED",
        )
    goal = await plan_edits.add_goal(
        session,
        actor,
        plan_id,
        title=suggestion.title,
        description=suggestion.rationale,
        element_codes=[suggestion.element.code],
        baseline_level=suggestion.baseline.key if suggestion.baseline else None,
        target_level=suggestion.target.key,
    )
    for step in suggestion.steps:
        await plan_edits.add_action_step(
            session, actor, goal.id, description=step.description, resource_id=step.resource_id
        )
    return goal
