"""Who must act on an event, and the email that tells them: a submitted plan goes to its approvers
(the principals of the teacher's school and the teacher's coaches), a decision on a plan or an
observation to the teacher, a comment to the owner of what it is on, a finished import to whoever
ran it. Nobody is told of their own action (an import's end excepted: it comes later), and a user
who turned an event type off is skipped.
Emails name people and plans, never students or ratings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.ids import from_global_id
from mypd_graph.models import (
    CoachAssignment,
    Comment,
    Evidence,
    Goal,
    ImportRun,
    LearningPlan,
    NotificationPreference,
    Observation,
    OutboxEvent,
    Role,
    TeacherProfile,
    User,
)
from mypd_graph.services.events.outbox import EventType


@dataclass(frozen=True)
class Notice:
    user_id: int
    address: str
    subject: str
    body: str


def _id(event: OutboxEvent, key: str) -> int | None:
    value = event.payload.get(key)
    return from_global_id(value)[1] if isinstance(value, str) else None


async def _name(session: AsyncSession, user_id: int | None) -> str:
    if user_id is None:
        return "Someone"
    return await session.scalar(select(User.name).where(User.id == user_id)) or "Someone"


async def _approvers(session: AsyncSession, teacher_id: int) -> list[int]:
    school = select(TeacherProfile.school_id).where(TeacherProfile.user_id == teacher_id)
    coaches = select(CoachAssignment.coach_id).where(CoachAssignment.teacher_id == teacher_id)
    rows = await session.scalars(
        select(User.id).where(
            User.active,
            or_(
                (User.role == Role.PRINCIPAL.value) & (User.school_id == school.scalar_subquery()),
                (User.role == Role.COACH.value) & User.id.in_(coaches),
            ),
        )
    )
    return sorted(rows)


async def _comment_owner(session: AsyncSession, comment_id: int) -> int | None:
    comment = await session.get(Comment, comment_id)
    if comment is None:
        return None
    if comment.evidence_id is not None:
        return await session.scalar(
            select(Evidence.teacher_id).where(Evidence.id == comment.evidence_id)
        )
    if comment.observation_id is not None:
        return await session.scalar(
            select(Observation.teacher_id).where(Observation.id == comment.observation_id)
        )
    return await session.scalar(
        select(LearningPlan.teacher_id)
        .join(Goal, Goal.plan_id == LearningPlan.id)
        .where(Goal.id == comment.goal_id)
    )


async def _who_and_what(session: AsyncSession, event: OutboxEvent) -> tuple[list[int], str, str]:
    """The users to tell, a subject and the first line of the body."""
    kind = EventType(event.event_type)
    actor = await _name(session, event.actor_id)
    teacher_id = _id(event, "teacher")
    if kind is EventType.PLAN_SUBMITTED and teacher_id is not None:
        cycle = event.payload.get("cycle", "")
        subject = f"{actor} submitted a learning plan for your approval"
        return await _approvers(session, teacher_id), subject, f"{subject} ({cycle})."
    if kind.value.startswith("plan.") and teacher_id is not None:
        done = kind.value.split(".", 1)[1]
        subject = f"{actor} {done} your learning plan"
        return [teacher_id], subject, f"{subject} ({event.payload.get('cycle', '')})."
    if kind is EventType.OBSERVATION_RECORDED and teacher_id is not None:
        subject = f"{actor} recorded an observation of your teaching"
        return [teacher_id], subject, f"{subject}."
    if kind is EventType.COMMENT_ADDED:
        comment_id = _id(event, "comment")
        owner = await _comment_owner(session, comment_id) if comment_id else None
        subject = f"{actor} commented on your {event.payload.get('on', 'work')}"
        return ([owner] if owner else []), subject, f"{subject}."
    if kind in (EventType.IMPORT_FINISHED, EventType.IMPORT_REJECTED) and event.actor_id:
        outcome = "finished" if kind is EventType.IMPORT_FINISHED else "was rejected"
        run = await session.get(ImportRun, _id(event, "run") or 0)
        subject = f"Your import of {run.file_name if run else 'a file'} {outcome}"
        return [event.actor_id], subject, f"{subject}."
    return [], "", ""


async def notices(session: AsyncSession, event: OutboxEvent, public_url: str) -> list[Notice]:
    """The emails an event sends (none for the actor themselves, or for a user who opted out)."""
    users, subject, first_line = await _who_and_what(session, event)
    # Nobody is told of their own action, except an import's end: it finishes after they left.
    own = event.event_type.startswith("import.")
    wanted = [user_id for user_id in users if own or user_id != event.actor_id]
    if not wanted:
        return []
    opted_out = set(
        await session.scalars(
            select(NotificationPreference.user_id).where(
                NotificationPreference.user_id.in_(wanted),
                NotificationPreference.event_type == event.event_type,
                NotificationPreference.email.is_(False),
            )
        )
    )
    rows = await session.execute(
        select(User.id, User.email).where(
            User.id.in_(wanted), User.active, User.id.not_in(opted_out or {0})
        )
    )
    where = f"Open myPD to see it: {public_url.rstrip('/')}/app/" if public_url else "Open myPD."
    body = (
        f"{first_line}\n\n{where}\n\n"
        "You receive this because you are the person who acts on it; turn these emails off "
        "in myPD (notification preferences)."
    )
    return [Notice(user_id, email, subject, body) for user_id, email in sorted(rows.all())]
