"""Records made in error, removed or corrected by who may (issue 12.3).

- A teacher deletes their own evidence, training records, and self-assessments still in draft:
  a self-assessment is a draft while the teacher's plan for its cycle has not been submitted
  (once a plan was decided on it, it is part of the record).
- The observer who recorded an observation corrects it (date, notes, ratings) or withdraws it,
  within the district's correction window (``observation_correction_days`` after it was
  recorded, 14 by default; 0 closes corrections). Nobody else does.

What hangs on a removed record goes with it in the same transaction (the database's cascades):
comments, element and goal links, ratings. Nothing here is summarized (needs and growth read these
records as they are), so no summary needs a refresh. Every removal and correction is recorded in
the audit trail by :mod:`.audit` (``delete``/``update`` of the record, naming the teacher), with a
note of what went with it or why.

A target that does not exist and one the actor may not touch get the same answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    Comment,
    DistrictSettings,
    Evidence,
    LearningPlan,
    Observation,
    ObservationRating,
    PlanStatus,
    Role,
    SelfAssessment,
    TrainingRecord,
    utcnow,
)
from mypd_graph.models.settings import DEFAULT_OBSERVATION_CORRECTION_DAYS
from mypd_graph.services.access import Actor
from mypd_graph.services.common import lock_teacher
from mypd_graph.services.errors import PermissionDenied, invalid
from mypd_graph.services.feedback.common import RatingInput, resolve_ratings
from mypd_graph.services.inputs import check_not_future, check_text
from mypd_graph.services.privacy.audit import describe, new_event

REASON_MAX_LENGTH = 500
MAX_CORRECTION_DAYS = 366


async def _own(
    session: AsyncSession, actor: Actor, model: type, record_id: int, what: str
) -> object:
    row = await session.scalar(
        select(model).where(model.id == record_id, model.teacher_id == actor.user_id)  # type: ignore[attr-defined]
    )
    if row is None or actor.role is not Role.TEACHER:
        raise PermissionDenied(f"you may only delete your own {what}")
    await lock_teacher(session, actor.user_id)
    return row


async def _comments_on(session: AsyncSession, column: object, record_id: int) -> int:
    return int(await session.scalar(select(func.count()).where(column == record_id)) or 0)


async def delete_evidence(session: AsyncSession, actor: Actor, evidence_id: int) -> int:
    """The teacher's own evidence, its links and the comments on it."""
    row = await _own(session, actor, Evidence, evidence_id, "evidence")
    comments = await _comments_on(session, Comment.evidence_id, evidence_id)
    describe(session, "evidence", "delete", f"deleted by its teacher with {comments} comments")
    await session.delete(row)
    await session.flush()
    return evidence_id


async def delete_training_record(session: AsyncSession, actor: Actor, record_id: int) -> int:
    """The teacher's own training record (their needs no longer count it)."""
    row = await _own(session, actor, TrainingRecord, record_id, "training records")
    describe(session, "training_record", "delete", "deleted by its teacher")
    await session.delete(row)
    await session.flush()
    return record_id


async def delete_self_assessment(session: AsyncSession, actor: Actor, record_id: int) -> int:
    """The teacher's own self-assessment, while no plan of its cycle has been submitted."""
    row = await _own(session, actor, SelfAssessment, record_id, "draft self-assessments")
    assert isinstance(row, SelfAssessment)
    decided = await session.scalar(
        select(LearningPlan.status).where(
            LearningPlan.teacher_id == actor.user_id,
            LearningPlan.cycle == row.cycle,
            LearningPlan.status != PlanStatus.DRAFT.value,
        )
    )
    if decided is not None:
        raise invalid(
            ("input", "selfAssessmentId"),
            f"your {row.cycle} plan is {decided}: this self-assessment is part of your record now",
            "NOT_A_DRAFT",
        )
    describe(session, "self_assessment", "delete", "draft deleted by its teacher")
    await session.delete(row)
    await session.flush()
    return record_id


async def correction_days(session: AsyncSession, district_id: int) -> int:
    days = await session.scalar(
        select(DistrictSettings.observation_correction_days).where(
            DistrictSettings.district_id == district_id
        )
    )
    return DEFAULT_OBSERVATION_CORRECTION_DAYS if days is None else int(days)


async def _correctable(session: AsyncSession, actor: Actor, observation_id: int) -> Observation:
    """The actor's own observation, still inside the district's correction window."""
    row = await session.scalar(
        select(Observation).where(
            Observation.id == observation_id, Observation.observer_id == actor.user_id
        )
    )
    if row is None:
        raise PermissionDenied("you may only correct or withdraw observations you recorded")
    await lock_teacher(session, row.teacher_id)
    days = await correction_days(session, actor.district_id)
    closes = _aware(row.created_at) + timedelta(days=days)
    if utcnow() >= closes:
        raise invalid(
            ("input", "observationId"),
            f"observations can be corrected for {days} days after they are recorded; "
            f"this one closed on {closes.date().isoformat()}",
            "CORRECTION_WINDOW_CLOSED",
        )
    return row


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def correct_observation(
    session: AsyncSession,
    actor: Actor,
    observation_id: int,
    *,
    observed_on: date | None,
    notes: str | None,
    ratings: Sequence[RatingInput] | None,
    reason: str,
) -> Observation:
    """The observer corrects the date, the notes or the ratings (given ratings replace all)."""
    row = await _correctable(session, actor, observation_id)
    reason = check_text(reason, ("input", "reason"), REASON_MAX_LENGTH, required=False)
    if observed_on is not None:
        row.observed_on = check_not_future(observed_on, ("input", "observedOn"))
    if notes is not None:
        row.notes = notes.strip()
    if ratings is not None:
        resolved = await resolve_ratings(session, actor, ratings, ("input", "ratings"))
        await session.execute(
            delete(ObservationRating).where(ObservationRating.observation_id == row.id)
        )
        session.add_all(
            ObservationRating(
                observation_id=row.id,
                element_id=rating.element.id,
                level_id=rating.level.id,
                note=rating.note,
            )
            for rating in resolved
        )
    if not row.notes.strip() and ratings is not None and not ratings:
        raise invalid(("input", "notes"), "an observation keeps notes, ratings or both", "REQUIRED")
    describe(session, "observation", "update", f"corrected by its observer: {reason or '-'}")
    await session.flush()
    return row


async def withdraw_observation(
    session: AsyncSession, actor: Actor, observation_id: int, reason: str
) -> int:
    """The observer withdraws the observation, its ratings and the comments on it."""
    row = await _correctable(session, actor, observation_id)
    reason = check_text(reason, ("input", "reason"), REASON_MAX_LENGTH)
    comments = await _comments_on(session, Comment.observation_id, observation_id)
    describe(
        session,
        "observation",
        "delete",
        f"withdrawn by its observer with {comments} comments: {reason}",
    )
    await session.delete(row)
    await session.flush()
    return observation_id


async def set_correction_window(session: AsyncSession, actor: Actor, days: int) -> int:
    """A district admin sets how long observers may correct or withdraw an observation."""
    if not actor.is_district_admin:
        raise PermissionDenied("only district admins change the correction window")
    if not 0 <= days <= MAX_CORRECTION_DAYS:
        raise invalid(
            ("input", "days"), f"days must be between 0 and {MAX_CORRECTION_DAYS}", "BAD_DAYS"
        )
    settings = await session.get(DistrictSettings, actor.district_id)
    if settings is None:
        settings = DistrictSettings(
            district_id=actor.district_id,
            observation_correction_days=DEFAULT_OBSERVATION_CORRECTION_DAYS,
        )
        session.add(settings)
    before = settings.observation_correction_days
    settings.observation_correction_days = days
    settings.updated_at = utcnow()
    settings.updated_by_id = actor.user_id
    session.add(
        new_event(
            "update",
            "district_settings",
            [actor.district_id],
            user_id=actor.user_id,
            district_id=actor.district_id,
            detail=f"observation_correction_days {before} -> {days}",
        )
    )
    await session.flush()
    return days
