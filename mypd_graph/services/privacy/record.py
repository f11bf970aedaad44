"""A teacher's record is theirs to take: their whole growth record as one JSON document.

The document is what the teacher may see of their own record, nothing more: observations and
comments pass the same sharing rules as every read (:mod:`mypd_graph.services.access`, with the
teacher as the reader), and students appear only as the counts and shares of the growth figures
(small groups suppressed), never by name or id. Its shape is documented in docs/privacy.md
("A teacher's record") and versioned by ``format``. Every export is recorded in the audit trail.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from mypd_graph.models import (
    ActionStep,
    AuditEvent,
    Comment,
    Evidence,
    EvidenceElement,
    EvidenceGoal,
    FocusElement,
    Goal,
    GoalElement,
    LearningPlan,
    Observation,
    ObservationRating,
    PlanEvent,
    RatingLevel,
    Role,
    School,
    SelfAssessment,
    SelfAssessmentRating,
    Standard,
    TeacherProfile,
    TrainingRecord,
    TrainingRecordElement,
    User,
    utcnow,
)
from mypd_graph.services.access import Actor, actor_for, comment_condition, observation_condition
from mypd_graph.services.errors import NotFound
from mypd_graph.services.personalization.growth import (
    plan_progress_by_teacher,
    results_by_term_by_teacher,
    training_hours_by_teacher,
)
from mypd_graph.services.privacy.audit import new_event

FORMAT = "mypd-teacher-record/1"


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


async def _codes(
    session: AsyncSession, link: Any, owner: Any, ids: list[int]
) -> dict[int, list[str]]:
    """Element codes per owner id, from a link table (owner column, element_id)."""
    found: dict[int, list[str]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(owner, Standard.code)
            .join(Standard, Standard.id == link.element_id)
            .where(owner.in_(ids))
            .order_by(owner, Standard.position, Standard.code)
        )
        for owner_id, code in rows:
            found[owner_id].append(code)
    return found


async def _ratings(
    session: AsyncSession, model: Any, owner: Any, ids: list[int]
) -> dict[int, list[dict[str, str]]]:
    found: dict[int, list[dict[str, str]]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(owner, Standard.code, RatingLevel.key, model.note)
            .join(Standard, Standard.id == model.element_id)
            .join(RatingLevel, RatingLevel.id == model.level_id)
            .where(owner.in_(ids))
            .order_by(owner, Standard.position, Standard.code)
        )
        for owner_id, code, level, note in rows:
            found[owner_id].append({"element": code, "level": level, "note": note})
    return found


async def _comments(
    session: AsyncSession, reader: Actor, column: Any, ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if ids:
        rows = await session.execute(
            select(column, Comment.body, Comment.created_at, User.name, User.role)
            .join(User, User.id == Comment.author_id)
            .where(column.in_(ids), comment_condition(reader))
            .order_by(Comment.created_at, Comment.id)
        )
        for owner_id, body, at, name, role in rows:
            found[owner_id].append(
                {"author": name, "author_role": role, "at": _plain(at), "body": body}
            )
    return found


async def teacher_record(session: AsyncSession, teacher: Actor) -> dict[str, Any]:
    """The record of ``teacher`` as they see it (``teacher`` is the reader)."""
    tid = teacher.user_id
    user = await session.get(User, tid)
    profile = await session.get(TeacherProfile, tid)
    if user is None or profile is None:
        raise NotFound("no teacher record")
    school = await session.get(School, profile.school_id) if profile.school_id else None
    focus = list(
        await session.scalars(
            select(Standard.code)
            .join(FocusElement, FocusElement.element_id == Standard.id)
            .where(FocusElement.teacher_id == tid)
            .order_by(Standard.position, Standard.code)
        )
    )
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": _plain(utcnow()),
        "teacher": {
            "email": user.email,
            "name": user.name,
            "school": school.name if school else None,
            "subjects": list(profile.subjects),
            "grade_levels": list(profile.grade_levels),
            "years_experience": profile.years_experience,
            "bio": profile.bio,
            "growth_audience": profile.growth_audience,
        },
        "focus_elements": focus,
    }
    document["self_assessments"] = await _self_assessments(session, tid)
    document["observations"] = await _observations(session, teacher)
    document["plans"] = await _plans(session, teacher)
    document["evidence"] = await _evidence(session, teacher)
    document["training"] = await _training(session, tid)
    document["growth"] = {
        "students_results_by_term": [
            asdict(row) for row in (await results_by_term_by_teacher(session, teacher, [tid]))[0]
        ],
        "training_hours_by_year": [
            asdict(row) for row in (await training_hours_by_teacher(session, teacher, [tid]))[0]
        ],
        "plan_progress": [
            {k: v for k, v in asdict(row).items() if k not in ("plan_id", "teacher_id")}
            for row in (await plan_progress_by_teacher(session, teacher, [tid]))[0]
        ],
    }
    for term in document["growth"]["students_results_by_term"]:
        term.pop("assessment_id", None)
    return document


async def _self_assessments(session: AsyncSession, tid: int) -> list[dict[str, Any]]:
    rows = list(
        await session.scalars(
            select(SelfAssessment)
            .where(SelfAssessment.teacher_id == tid)
            .order_by(SelfAssessment.cycle, SelfAssessment.id)
        )
    )
    ratings = await _ratings(
        session, SelfAssessmentRating, SelfAssessmentRating.self_assessment_id, [r.id for r in rows]
    )
    return [
        {
            "cycle": row.cycle,
            "submitted_at": _plain(row.submitted_at),
            "audience": row.audience,
            "ratings": ratings[row.id],
        }
        for row in rows
    ]


async def _observations(session: AsyncSession, teacher: Actor) -> list[dict[str, Any]]:
    observer = aliased(User)
    rows = list(
        await session.execute(
            select(Observation, observer.name, observer.role)
            .join(observer, observer.id == Observation.observer_id)
            .where(Observation.teacher_id == teacher.user_id, observation_condition(teacher))
            .order_by(Observation.observed_on, Observation.id)
        )
    )
    ids = [row.id for row, _, _ in rows]
    ratings = await _ratings(session, ObservationRating, ObservationRating.observation_id, ids)
    comments = await _comments(session, teacher, Comment.observation_id, ids)
    return [
        {
            "kind": row.kind,
            "observed_on": _plain(row.observed_on),
            "observer": name,
            "observer_role": role,
            "notes": row.notes,
            "ratings": ratings[row.id],
            "comments": comments[row.id],
        }
        for row, name, role in rows
    ]


async def _plans(session: AsyncSession, teacher: Actor) -> list[dict[str, Any]]:
    plans = list(
        await session.scalars(
            select(LearningPlan)
            .where(LearningPlan.teacher_id == teacher.user_id)
            .order_by(LearningPlan.cycle)
        )
    )
    plan_ids = [plan.id for plan in plans]
    events: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event, name in await session.execute(
        select(PlanEvent, User.name)
        .outerjoin(User, User.id == PlanEvent.actor_id)
        .where(PlanEvent.plan_id.in_(plan_ids))
        .order_by(PlanEvent.at, PlanEvent.id)
    ):
        events[event.plan_id].append(
            {"action": event.action, "by": name, "from": event.from_status,
             "to": event.to_status, "note": event.note, "at": _plain(event.at)}
        )  # fmt: skip
    goals = list(
        await session.scalars(
            select(Goal).where(Goal.plan_id.in_(plan_ids)).order_by(Goal.plan_id, Goal.id)
        )
    )
    goal_ids = [goal.id for goal in goals]
    elements = await _codes(session, GoalElement, GoalElement.goal_id, goal_ids)
    comments = await _comments(session, teacher, Comment.goal_id, goal_ids)
    steps: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for step in await session.scalars(
        select(ActionStep).where(ActionStep.goal_id.in_(goal_ids)).order_by(ActionStep.id)
    ):
        steps[step.goal_id].append(
            {"description": step.description, "status": step.status,
             "due_on": _plain(step.due_on), "reflection": step.reflection,
             "reflection_audience": step.reflection_audience,
             "completed_at": _plain(step.completed_at)}
        )  # fmt: skip
    levels = {i: key for i, key in await session.execute(select(RatingLevel.id, RatingLevel.key))}
    by_plan: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for goal in goals:
        by_plan[goal.plan_id].append(
            {"title": goal.title, "description": goal.description,
             "elements": elements[goal.id], "baseline_level": levels.get(goal.baseline_level_id),
             "target_level": levels.get(goal.target_level_id), "due_on": _plain(goal.due_on),
             "progress": goal.progress, "action_steps": steps[goal.id],
             "comments": comments[goal.id]}
        )  # fmt: skip
    return [
        {"cycle": plan.cycle, "title": plan.title, "status": plan.status,
         "goals": by_plan[plan.id], "events": events[plan.id]}
        for plan in plans
    ]  # fmt: skip


async def _evidence(session: AsyncSession, teacher: Actor) -> list[dict[str, Any]]:
    rows = list(
        await session.scalars(
            select(Evidence).where(Evidence.teacher_id == teacher.user_id).order_by(Evidence.id)
        )
    )
    ids = [row.id for row in rows]
    elements = await _codes(session, EvidenceElement, EvidenceElement.evidence_id, ids)
    comments = await _comments(session, teacher, Comment.evidence_id, ids)
    goals: dict[int, list[str]] = defaultdict(list)
    for evidence_id, title in await session.execute(
        select(EvidenceGoal.evidence_id, Goal.title)
        .join(Goal, Goal.id == EvidenceGoal.goal_id)
        .where(EvidenceGoal.evidence_id.in_(ids))
        .order_by(Goal.id)
    ):
        goals[evidence_id].append(title)
    return [
        {"kind": row.kind, "title": row.title, "body": row.body, "url": row.url,
         "audience": row.audience, "created_at": _plain(row.created_at),
         "elements": elements[row.id], "goals": goals[row.id], "comments": comments[row.id]}
        for row in rows
    ]  # fmt: skip


async def _training(session: AsyncSession, tid: int) -> list[dict[str, Any]]:
    rows = list(
        await session.scalars(
            select(TrainingRecord)
            .where(TrainingRecord.teacher_id == tid)
            .order_by(TrainingRecord.completed_on, TrainingRecord.id)
        )
    )
    elements = await _codes(
        session,
        TrainingRecordElement,
        TrainingRecordElement.training_record_id,
        [r.id for r in rows],
    )
    return [
        {"title": row.title, "provider": row.provider, "completed_on": _plain(row.completed_on),
         "hours": row.hours, "elements": elements[row.id]}
        for row in rows
    ]  # fmt: skip


async def export_my_record(session: AsyncSession, actor: Actor) -> dict[str, Any] | None:
    """The signed-in teacher's record (``None`` for anyone who is not a teacher); audited."""
    if actor.role is not Role.TEACHER:
        return None
    document = await teacher_record(session, actor)
    session.add(
        new_event("export", "teacher_record", [actor.user_id], user_id=actor.user_id,
                  district_id=actor.district_id, teachers=[actor.user_id],
                  detail="exported by the teacher")
    )  # fmt: skip
    return document


async def export_teacher_record(session: AsyncSession, email: str) -> dict[str, Any]:
    """The operator exports a teacher's record for them (a records request); audited."""
    user = await session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.role != Role.TEACHER.value:
        raise NotFound(f"no teacher with email {email.strip()!r}")
    teacher = actor_for(user)
    document = await teacher_record(session, teacher)
    for pending in [row for row in session.new if isinstance(row, AuditEvent)]:
        session.expunge(pending)  # the reads ran as the teacher; this export is the operator's
    session.add(
        new_event("export", "teacher_record", [user.id], district_id=user.district_id,
                  teachers=[user.id], detail="exported by the operator")
    )  # fmt: skip
    return document
