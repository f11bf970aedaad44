"""Evidence a teacher offers of their growth; comments on evidence, goals and observations."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from mypd_graph.models import (
    Comment,
    Evidence,
    EvidenceElement,
    EvidenceGoal,
    EvidenceKind,
    Goal,
    LearningPlan,
    Observation,
    Standard,
    utcnow,
)
from mypd_graph.models.growth import Audience
from mypd_graph.services.access import (
    Actor,
    audience_condition,
    comment_condition,
    may_edit_own,
    observation_condition,
    plan_condition,
    teacher_condition,
)
from mypd_graph.services.common import group_by_key, one_by_key
from mypd_graph.services.errors import PermissionDenied, Problem, UserInputError, invalid
from mypd_graph.services.events.outbox import EventType, record_event
from mypd_graph.services.feedback.common import (
    default_audience,
    elements_by_owner,
    replace_links,
    require_own_teacher,
    resolve_element_codes,
)
from mypd_graph.services.inputs import check_text, check_url, column_length

TITLE_MAX_LENGTH = column_length(Evidence.title)
URL_MAX_LENGTH = column_length(Evidence.url)
COMMENT_MAX_LENGTH = 10_000  # feedback, not documents: longer belongs in evidence
EVIDENCE_BODY_MAX = 100_000  # a reflection or a pasted lesson plan; files belong in attachments

# --- evidence -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceChanges:
    """What to set on evidence; ``None`` leaves a field as it is (every field, when updating)."""

    kind: EvidenceKind | None = None
    title: str | None = None
    body: str | None = None
    url: str | None = None
    element_codes: Sequence[str] | None = None
    goal_ids: Sequence[int] | None = None
    audience: Audience | None = None  # who sees it; new evidence takes the district's default


def _evidence_scope(actor: Actor) -> ColumnElement[bool]:
    """Evidence the actor may read: within reach and shared with them (or their own)."""
    return audience_condition(actor, Evidence.teacher_id, Evidence.audience)


async def add_evidence(session: AsyncSession, actor: Actor, changes: EvidenceChanges) -> Evidence:
    """A teacher adds evidence of their own growth."""
    await require_own_teacher(session, actor, actor.user_id)
    if changes.kind is None:
        raise invalid(("input", "kind"), "kind is required", "REQUIRED")
    if changes.title is None:
        raise invalid(("input", "title"), "title is required", "REQUIRED")
    evidence = Evidence(
        teacher_id=actor.user_id,
        kind=changes.kind.value,
        title="",
        audience=await default_audience(session, actor),
    )
    await _apply(session, actor, evidence, changes)
    return evidence


async def update_evidence(
    session: AsyncSession, actor: Actor, evidence_id: int, changes: EvidenceChanges
) -> Evidence:
    """The owning teacher edits their evidence; coaches and principals may read and comment only."""
    evidence = await session.scalar(
        select(Evidence).where(
            Evidence.id == evidence_id, teacher_condition(actor, Evidence.teacher_id)
        )
    )
    if evidence is None:
        raise PermissionDenied("you may only change your own evidence")
    may_edit_own(actor, evidence.teacher_id)
    await _apply(session, actor, evidence, changes)
    evidence.updated_at = utcnow()
    await session.flush()
    return evidence


async def _apply(
    session: AsyncSession, actor: Actor, evidence: Evidence, changes: EvidenceChanges
) -> None:
    """Validate and set the given fields; the same rules for adding and for editing."""
    if changes.kind is not None:
        evidence.kind = changes.kind.value
    if changes.audience is not None:
        evidence.audience = Audience(changes.audience).value
    if changes.title is not None:
        evidence.title = check_text(changes.title, ("input", "title"), TITLE_MAX_LENGTH)
    if changes.body is not None:
        evidence.body = check_text(
            changes.body, ("input", "body"), EVIDENCE_BODY_MAX, required=False
        )
    if changes.url is not None:
        evidence.url = check_url(changes.url, ("input", "url"), URL_MAX_LENGTH, required=False)
    if evidence.kind == EvidenceKind.LINK.value and not evidence.url:
        raise invalid(("input", "url"), "a LINK needs an http(s) url", "REQUIRED")
    elements = None
    if changes.element_codes is not None:
        elements = await resolve_element_codes(
            session, actor, changes.element_codes, ("input", "elementCodes")
        )
    if changes.goal_ids is not None:
        await _check_own_goals(session, evidence.teacher_id, changes.goal_ids)
    session.add(evidence)
    await session.flush()
    if elements is not None:
        await replace_links(
            session,
            EvidenceElement,
            EvidenceElement.evidence_id,
            EvidenceElement.element_id,
            evidence.id,
            [element.id for element in elements],
        )
    if changes.goal_ids is not None:
        await replace_links(
            session,
            EvidenceGoal,
            EvidenceGoal.evidence_id,
            EvidenceGoal.goal_id,
            evidence.id,
            changes.goal_ids,
        )


async def _check_own_goals(session: AsyncSession, teacher_id: int, goal_ids: Sequence[int]) -> None:
    """Evidence supports goals of its teacher's own plans; anyone else's goal is reported as
    unknown, so the answer reveals nothing about other teachers' plans."""
    own = set(
        await session.scalars(
            select(Goal.id)
            .join(LearningPlan, LearningPlan.id == Goal.plan_id)
            .where(Goal.id.in_(goal_ids), LearningPlan.teacher_id == teacher_id)
        )
    )
    problems = [
        Problem(
            ("input", "goalIds", str(index)), "not a goal of your learning plans", "UNKNOWN_GOAL"
        )
        for index, goal_id in enumerate(goal_ids)
        if goal_id not in own
    ]
    if problems:
        raise UserInputError(*problems)


async def evidence_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[Evidence]]:
    """Each teacher's evidence, newest first."""
    rows = await session.scalars(
        select(Evidence)
        .where(Evidence.teacher_id.in_(teacher_ids), _evidence_scope(actor))
        .order_by(Evidence.id.desc())
    )
    return group_by_key(rows, teacher_ids, lambda row: row.teacher_id)


async def evidence_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Evidence | None]:
    rows = await session.scalars(
        select(Evidence).where(Evidence.id.in_(ids), _evidence_scope(actor))
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def evidence_by_goal(
    session: AsyncSession, actor: Actor, goal_ids: Sequence[int]
) -> list[list[Evidence]]:
    """The evidence offered for each goal, newest first."""
    rows = await session.execute(
        select(EvidenceGoal.goal_id, Evidence)
        .join(Evidence, Evidence.id == EvidenceGoal.evidence_id)
        .where(EvidenceGoal.goal_id.in_(goal_ids), _evidence_scope(actor))
        .order_by(Evidence.id.desc())
    )
    grouped = group_by_key(list(rows), goal_ids, lambda row: row[0])
    return [[row[1] for row in group] for group in grouped]


async def evidence_elements(
    session: AsyncSession, actor: Actor, evidence_ids: Sequence[int]
) -> list[list[Standard]]:
    return await elements_by_owner(
        session,
        evidence_ids,
        EvidenceElement.evidence_id,
        EvidenceElement.element_id,
        Evidence.id,
        _evidence_scope(actor),
    )


async def evidence_goals(
    session: AsyncSession, actor: Actor, evidence_ids: Sequence[int]
) -> list[list[Goal]]:
    """The goals each evidence item supports, scoped by the goals' own plans."""
    rows = await session.execute(
        select(EvidenceGoal.evidence_id, Goal)
        .join(Goal, Goal.id == EvidenceGoal.goal_id)
        .join(LearningPlan, LearningPlan.id == Goal.plan_id)
        .where(
            EvidenceGoal.evidence_id.in_(evidence_ids),
            plan_condition(actor),
        )
        .order_by(Goal.id)
    )
    grouped = group_by_key(list(rows), evidence_ids, lambda row: row[0])
    return [[row[1] for row in group] for group in grouped]


# --- comments -------------------------------------------------------------------------------------


async def add_comment(
    session: AsyncSession,
    actor: Actor,
    *,
    body: str,
    evidence_id: int | None = None,
    goal_id: int | None = None,
    observation_id: int | None = None,
) -> Comment:
    """Anyone who may read the target comments on it: its teacher and who serves them and may
    read it (evidence shared with them, an observation of their kind, a submitted plan's goal).

    A target outside the actor's reach and one that does not exist get the same answer.
    """
    targets = [target for target in (evidence_id, goal_id, observation_id) if target is not None]
    if len(targets) != 1:
        raise invalid(
            "input", "give exactly one of evidenceId, goalId, observationId", "ONE_TARGET"
        )
    body = check_text(body, ("input", "body"), COMMENT_MAX_LENGTH)
    if evidence_id is not None:
        target = select(Evidence.id).where(Evidence.id == evidence_id, _evidence_scope(actor))
    elif observation_id is not None:
        target = select(Observation.id).where(
            Observation.id == observation_id, observation_condition(actor)
        )
    else:
        target = (
            select(Goal.id)
            .join(LearningPlan, Goal.plan_id == LearningPlan.id)
            .where(Goal.id == goal_id, plan_condition(actor))
        )
    if await session.scalar(target) is None:
        raise PermissionDenied("you may only comment on what you may read")
    comment = Comment(
        author_id=actor.user_id,
        body=body,
        evidence_id=evidence_id,
        goal_id=goal_id,
        observation_id=observation_id,
    )
    session.add(comment)
    await session.flush()
    on = "evidence" if evidence_id else "observation" if observation_id else "goal"
    record_event(
        session,
        actor.district_id,
        EventType.COMMENT_ADDED,
        actor.user_id,
        comment=("Comment", comment.id),
        on=on,
        target=(on.capitalize(), targets[0]),
    )
    return comment


def _comment_scope(actor: Actor) -> ColumnElement[bool]:
    """A comment is readable when its target is, and its author's kind of feedback reaches the
    actor (services.access.comment_condition)."""
    return comment_condition(actor)


async def _comments_by(
    session: AsyncSession,
    actor: Actor,
    target_column: InstrumentedAttribute[int | None],
    target_ids: Sequence[int],
) -> list[list[Comment]]:
    """Comments on many targets of one kind, oldest first (the order of a conversation)."""
    rows = await session.scalars(
        select(Comment)
        .where(target_column.in_(target_ids), _comment_scope(actor))
        .order_by(Comment.id)
    )
    return group_by_key(rows, target_ids, lambda row: getattr(row, target_column.key))


async def comments_by_evidence(
    session: AsyncSession, actor: Actor, evidence_ids: Sequence[int]
) -> list[list[Comment]]:
    return await _comments_by(session, actor, Comment.evidence_id, evidence_ids)


async def comments_by_goal(
    session: AsyncSession, actor: Actor, goal_ids: Sequence[int]
) -> list[list[Comment]]:
    return await _comments_by(session, actor, Comment.goal_id, goal_ids)


async def comments_by_observation(
    session: AsyncSession, actor: Actor, observation_ids: Sequence[int]
) -> list[list[Comment]]:
    return await _comments_by(session, actor, Comment.observation_id, observation_ids)


async def comments_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Comment | None]:
    rows = await session.scalars(select(Comment).where(Comment.id.in_(ids), _comment_scope(actor)))
    return one_by_key(rows, ids, lambda row: row.id)
