"""The 2025-26 learning plans: each one's review history up to its seeded status, its goals
(aligned to focus elements and district initiatives) and their action steps.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from mypd_graph import models
from mypd_graph.demo.basics import (
    APPROVED,
    COMPLETED,
    CURRENT_YEAR,
    DEMO_TEACHER_EMAIL,
    DRAFT,
    GOALS_DUE,
    INACTIVE,
    LAST_STEP_DONE,
    NO_PLAN,
    SUBMITTED,
    at_utc,
    insert_all,
    insert_rows,
    school_day,
)
from mypd_graph.demo.practice import FOCUS_BY_CODE
from mypd_graph.demo.resources import DISTRICT_GOALS, resource_for
from mypd_graph.demo.state import Build, Teacher
from mypd_graph.models import ActionStepStatus

RETURN_NOTES = (
    "Please make goal 1 measurable: which student data will show progress?",
    "Please tie your goals to your focus elements before resubmitting.",
)
APPROVAL_NOTES = (
    "Approved. Clear goals tied to student data.",
    "Approved; nice alignment with the district initiative.",
    "Approved. Let's schedule the first coaching cycle.",
)
STEP_REFLECTIONS = (
    "Students responded well; I will keep this as a weekly routine.",
    "Harder than expected at first, but the second round went much more smoothly.",
    "The data showed a clear bump on the next unit assessment.",
    "Useful. I shared what I learned with my grade-level team.",
)


# A goal's teacher, its element codes and when its plan was approved.
GoalMeta = tuple[Teacher, list[str], datetime | None]


class PlanGoals(NamedTuple):
    """The goals the plans got, for the evidence and comments that refer to them."""

    ids: list[int]
    rows: list[dict[str, Any]]
    meta: list[GoalMeta]


def approver(build: Build, teacher: Teacher) -> str:
    """Who returns or approves the teacher's plan: their coach, or else their principal."""
    return teacher.coach or build.principal_of[teacher.seed.school]


def _plan_history(
    build: Build, teacher: Teacher, created: date
) -> list[tuple[str, str, str, date]]:
    """(action, from, to, day) events that lead a new plan to its seeded status."""
    rng = build.rng
    status = teacher.seed.plan
    events: list[tuple[str, str, str, date]] = []
    day = created
    returned = rng.random() < (0.4 if status == DRAFT else 0.2)
    if status == DRAFT and not returned:
        return events
    day += timedelta(days=rng.randint(4, 20))
    events.append(("submit", DRAFT, SUBMITTED, day))
    if returned:
        day += timedelta(days=rng.randint(2, 7))
        events.append(("return", SUBMITTED, DRAFT, day))
        if status == DRAFT:
            return events
        day += timedelta(days=rng.randint(3, 10))
        events.append(("submit", DRAFT, SUBMITTED, day))
    if status == SUBMITTED:
        return events
    day += timedelta(days=rng.randint(2, 14))
    events.append(("approve", SUBMITTED, APPROVED, day))
    if status == APPROVED:
        return events
    completed = school_day(rng, date(2026, 5, 11), GOALS_DUE)
    events.append(("complete", APPROVED, COMPLETED, completed))
    return events


async def insert_plans(build: Build) -> PlanGoals:
    """Plans of the teachers who use mypd, with their histories, goals and action steps."""
    rng = build.rng
    planners = [t for t in build.teachers.values() if t.seed.plan not in (NO_PLAN, INACTIVE)]
    plan_rows: list[dict[str, Any]] = []
    histories: list[list[tuple[str, str, str, date]]] = []
    for teacher in planners:
        created = school_day(rng, date(2025, 8, 25), date(2025, 9, 19))
        history = _plan_history(build, teacher, created)
        last = history[-1][3] if history else created
        plan_rows.append(
            {
                "teacher_id": teacher.id,
                "cycle": CURRENT_YEAR,
                "title": f"{CURRENT_YEAR} Individual Learning Plan",
                "status": teacher.seed.plan,
                "created_at": at_utc(created, 22),
                "updated_at": at_utc(last, 23, 30),
            }
        )
        histories.append(history)
    plan_ids = await insert_rows(build.session, models.LearningPlan, plan_rows)
    events = [
        {
            "plan_id": plan_id,
            "actor_id": build.user_ids[
                teacher.email if action in ("submit", "complete") else approver(build, teacher)
            ],
            "action": action,
            "from_status": from_status,
            "to_status": to_status,
            "note": _event_note(build, action),
            "at": at_utc(day, 23, 30 if action != "submit" else 0),
        }
        for plan_id, teacher, history in zip(plan_ids, planners, histories, strict=True)
        for action, from_status, to_status, day in history
    ]
    await insert_all(build.session, models.PlanEvent, events)
    build.counts["learning plans"] = len(plan_ids)
    build.counts["plan events"] = len(events)
    return await _goals(build, planners, plan_ids, plan_rows, histories)


def _event_note(build: Build, action: str) -> str:
    if action == "return":
        return build.rng.choice(RETURN_NOTES)
    if action == "approve":
        return build.rng.choice(APPROVAL_NOTES)
    if action == "complete":
        return "Goals met; reflection shared at the end-of-year conference."
    return ""


def _district_goal_for(build: Build, teacher: Teacher, code: str) -> int | None:
    for seed, goal_id in zip(DISTRICT_GOALS, build.district_goal_ids, strict=True):
        subjects_fit = not seed.subjects or set(seed.subjects) & set(teacher.seed.subjects)
        if code in seed.elements and subjects_fit:
            return goal_id
    return None


async def _goals(
    build: Build,
    planners: list[Teacher],
    plan_ids: list[int],
    plan_rows: list[dict[str, Any]],
    histories: list[list[tuple[str, str, str, date]]],
) -> PlanGoals:
    rng = build.rng
    top = len(build.level_ids)
    progress_range = {
        DRAFT: (0, 0),
        SUBMITTED: (0, 15),
        APPROVED: (25, 75),
        COMPLETED: (100, 100),
    }
    goal_rows: list[dict[str, Any]] = []
    goal_meta: list[GoalMeta] = []
    for teacher, plan_id, plan, history in zip(
        planners, plan_ids, plan_rows, histories, strict=True
    ):
        approved = next((at_utc(day, 23, 30) for a, _, _, day in history if a == "approve"), None)
        count = 2 if teacher.email == DEMO_TEACHER_EMAIL else rng.randint(1, 3)
        for code in teacher.focus[: min(count, len(teacher.focus))]:
            area = FOCUS_BY_CODE[code]
            baseline = teacher.self_ratings[CURRENT_YEAR][code]
            codes = [code]
            siblings = [c for c in build.element_ids if c.split(".")[0] == code.split(".")[0]]
            if rng.random() < 0.3:
                codes.append(rng.choice([c for c in siblings if c != code]))
            goal_rows.append(
                {
                    "plan_id": plan_id,
                    "title": area.goal,
                    "description": (
                        f"Growing in CSTP {code}, {area.short}: from my self-assessed "
                        f"level this fall to the next level by May."
                    ),
                    "baseline_level_id": build.level_ids[baseline - 1],
                    "target_level_id": build.level_ids[min(top, baseline + 1) - 1],
                    "due_on": GOALS_DUE,
                    "progress": rng.randint(*progress_range[teacher.seed.plan]),
                    "district_goal_id": _district_goal_for(build, teacher, code),
                    "created_at": plan["created_at"] + timedelta(minutes=10 + len(goal_rows)),
                }
            )
            goal_meta.append((teacher, codes, approved))
    goal_ids = await insert_rows(build.session, models.Goal, goal_rows)
    links = [
        {"goal_id": goal_id, "element_id": build.element_ids[code]}
        for goal_id, (_, codes, _) in zip(goal_ids, goal_meta, strict=True)
        for code in codes
    ]
    await insert_all(build.session, models.GoalElement, links)
    build.counts["goals"] = len(goal_ids)
    await _action_steps(build, goal_ids, goal_rows, goal_meta)
    return PlanGoals(goal_ids, goal_rows, goal_meta)


async def _action_steps(
    build: Build,
    goal_ids: list[int],
    goal_rows: list[dict[str, Any]],
    goal_meta: list[GoalMeta],
) -> None:
    rng = build.rng
    rows: list[dict[str, Any]] = []
    for goal_id, goal, (teacher, codes, approved) in zip(
        goal_ids, goal_rows, goal_meta, strict=True
    ):
        area = FOCUS_BY_CODE[codes[0]]
        steps: list[tuple[str, int | None]] = []
        resource = resource_for(build, teacher, codes[0])
        if resource is not None:
            steps.append(
                (f"Complete \u201c{resource.title}\u201d ({resource.format})",
                 build.resource_ids[resource.external_id])
            )  # fmt: skip
        steps += [(text, None) for text in area.steps[: rng.randint(1, 2)]]
        for number, (description, resource_id) in enumerate(steps):
            status = _step_status(build, teacher.seed.plan, number)
            due = date(2025, 10, 31) + timedelta(days=56 * number + rng.randint(0, 20))
            done_on = None
            if status == ActionStepStatus.DONE.value:
                # After the plan was approved, before the end-of-year completion window.
                start = (approved or goal["created_at"]).date() + timedelta(days=7)
                end = max(start, min(due + timedelta(days=14), LAST_STEP_DONE))
                done_on = school_day(rng, start, end)
            rows.append(
                {
                    "goal_id": goal_id,
                    "description": description,
                    "resource_id": resource_id,
                    "status": status,
                    "due_on": due,
                    "reflection": rng.choice(STEP_REFLECTIONS) if done_on else "",
                    "completed_at": at_utc(done_on, 23, 45) if done_on else None,
                    "created_at": goal["created_at"] + timedelta(minutes=1 + number),
                }
            )
    await insert_all(build.session, models.ActionStep, rows)
    build.counts["action steps"] = len(rows)


def _step_status(build: Build, plan_status: str, number: int) -> str:
    """Steps move with the plan: none started in a draft, all done in a completed plan."""
    not_started, in_progress, done = (s.value for s in ActionStepStatus)
    if plan_status == COMPLETED:
        return done
    if plan_status == APPROVED:
        return (done, in_progress, not_started)[min(number, 2)]
    if plan_status == SUBMITTED and number == 0 and build.rng.random() < 0.5:
        return in_progress
    return not_started
