"""Self-assessments and observations: a teacher's own ratings, and those of who serves them.

The two are kept apart on purpose (separate tables, separate reads, nothing here combines them): a
self-rating and an evaluator's rating answer different questions and are never averaged together.

Evidence and comments live in :mod:`.evidence`; training in :mod:`.training`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    Observation,
    ObservationKind,
    ObservationRating,
    SelfAssessment,
    SelfAssessmentRating,
    TeacherProfile,
    utcnow,
)
from mypd_graph.models.growth import Audience
from mypd_graph.services.access import (
    Actor,
    audience_condition,
    may_supervise,
    observation_condition,
    teacher_condition,
)
from mypd_graph.services.common import group_by_key, lock_teacher, one_by_key
from mypd_graph.services.errors import PermissionDenied, invalid
from mypd_graph.services.events.outbox import EventType, record_event
from mypd_graph.services.feedback.common import (
    RatingInput,
    RatingRow,
    default_audience,
    ratings_by_owner,
    require_own_teacher,
    resolve_ratings,
)
from mypd_graph.services.inputs import check_cycle, check_not_future

# --- self-assessments -----------------------------------------------------------------------------


def _self_assessment_scope(actor: Actor) -> ColumnElement[bool]:
    """Self-assessments the actor may read: within reach and shared with them (or their own)."""
    return audience_condition(actor, SelfAssessment.teacher_id, SelfAssessment.audience)


async def submit_self_assessment(
    session: AsyncSession,
    actor: Actor,
    cycle: str,
    ratings: Sequence[RatingInput],
    audience: Audience | None = None,
) -> SelfAssessment:
    """The teacher rates themself for a cycle.

    Resubmitting a cycle updates the ratings of the elements it names (others keep theirs) and moves
    ``submitted_at``: a teacher revises one self-assessment per year instead of starting over.
    ``audience`` says who sees it; a new one takes the district's default, a resubmitted one keeps
    its own unless given.
    """
    await require_own_teacher(session, actor, actor.user_id)
    cycle = check_cycle(cycle, ("input", "cycle"))
    if not ratings:
        raise invalid(("input", "ratings"), "rate at least one element", "REQUIRED")
    resolved = await resolve_ratings(session, actor, ratings, ("input", "ratings"))

    await lock_teacher(session, actor.user_id)
    # A cycle's self-assessment belongs to one framework: after a switch, the cycle starts anew.
    framework_id = resolved[0].element.framework_id
    assessment = await session.scalar(
        select(SelfAssessment).where(
            SelfAssessment.teacher_id == actor.user_id,
            SelfAssessment.cycle == cycle,
            SelfAssessment.framework_id == framework_id,
        )
    )
    if assessment is None:
        assessment = SelfAssessment(
            teacher_id=actor.user_id,
            cycle=cycle,
            framework_id=framework_id,
            audience=await default_audience(session, actor),
        )
        session.add(assessment)
    if audience is not None:
        assessment.audience = Audience(audience).value
    assessment.submitted_at = utcnow()
    await session.flush()

    existing = {
        row.element_id: row
        for row in await session.scalars(
            select(SelfAssessmentRating).where(
                SelfAssessmentRating.self_assessment_id == assessment.id
            )
        )
    }
    for rating in resolved:
        row = existing.get(rating.element.id)
        if row is None:
            row = SelfAssessmentRating(
                self_assessment_id=assessment.id, element_id=rating.element.id
            )
            session.add(row)
        row.level_id = rating.level.id
        row.note = rating.note
    await session.flush()
    return assessment


async def self_assessments_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[SelfAssessment]]:
    """Each teacher's self-assessments, newest cycle first."""
    rows = await session.scalars(
        select(SelfAssessment)
        .where(
            SelfAssessment.teacher_id.in_(teacher_ids),
            _self_assessment_scope(actor),
        )
        .order_by(SelfAssessment.cycle.desc())
    )
    return group_by_key(rows, teacher_ids, lambda row: row.teacher_id)


async def self_assessments_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[SelfAssessment | None]:
    rows = await session.scalars(
        select(SelfAssessment).where(SelfAssessment.id.in_(ids), _self_assessment_scope(actor))
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def self_assessment_ratings(
    session: AsyncSession, actor: Actor, assessment_ids: Sequence[int]
) -> list[list[RatingRow]]:
    return await ratings_by_owner(
        session,
        assessment_ids,
        SelfAssessmentRating,
        SelfAssessmentRating.self_assessment_id,
        _self_assessment_scope(actor),
        SelfAssessment.id,
    )


# --- observations ---------------------------------------------------------------------------------


async def record_observation(
    session: AsyncSession,
    actor: Actor,
    *,
    teacher_id: int,
    kind: ObservationKind,
    observed_on: date,
    notes: str,
    ratings: Sequence[RatingInput],
) -> Observation:
    """A coach, principal or district admin who serves the teacher records what they observed.

    Serving means the teacher is visible to them: the coach's assigned teachers, the principal's
    school, the admin's district. An unserved or unknown teacher gets the same answer, so the
    mutation reveals nothing about who exists.
    """
    may_supervise(actor, teacher_id)
    served = await session.scalar(
        select(TeacherProfile.user_id).where(
            TeacherProfile.user_id == teacher_id, teacher_condition(actor, TeacherProfile.user_id)
        )
    )
    if served is None:
        raise PermissionDenied("you may only observe teachers you serve")
    check_not_future(observed_on, ("input", "observedOn"))
    if not notes.strip() and not ratings:
        raise invalid(("input", "notes"), "record notes, ratings or both", "REQUIRED")
    resolved = await resolve_ratings(session, actor, ratings, ("input", "ratings"))

    observation = Observation(
        teacher_id=teacher_id,
        observer_id=actor.user_id,
        kind=ObservationKind(kind).value,
        observed_on=observed_on,
        notes=notes.strip(),
    )
    session.add(observation)
    await session.flush()
    session.add_all(
        ObservationRating(
            observation_id=observation.id,
            element_id=rating.element.id,
            level_id=rating.level.id,
            note=rating.note,
        )
        for rating in resolved
    )
    await session.flush()
    record_event(
        session,
        actor.district_id,
        EventType.OBSERVATION_RECORDED,
        actor.user_id,
        observation=("Observation", observation.id),
        teacher=("Teacher", teacher_id),
        kind=observation.kind,
    )
    return observation


async def observations_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[Observation]]:
    """Each teacher's observations, newest first."""
    rows = await session.scalars(
        select(Observation)
        .where(
            Observation.teacher_id.in_(teacher_ids),
            observation_condition(actor),
        )
        .order_by(Observation.observed_on.desc(), Observation.id.desc())
    )
    return group_by_key(rows, teacher_ids, lambda row: row.teacher_id)


async def observations_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Observation | None]:
    rows = await session.scalars(
        select(Observation).where(Observation.id.in_(ids), observation_condition(actor))
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def observation_ratings(
    session: AsyncSession, actor: Actor, observation_ids: Sequence[int]
) -> list[list[RatingRow]]:
    return await ratings_by_owner(
        session,
        observation_ids,
        ObservationRating,
        ObservationRating.observation_id,
        observation_condition(actor),
        Observation.id,
    )
