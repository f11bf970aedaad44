"""Feedback mutations: rate oneself, record observations and training, add evidence and comments.

Inputs, payloads and the ``Mutation`` class; the rules stay in the services, as for the types.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.enums import Audience
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.feedback.types import (
    Comment,
    Evidence,
    EvidenceKind,
    Observation,
    ObservationKind,
    SelfAssessment,
    TrainingRecord,
)
from mypd_graph.schema.relay import decode_id
from mypd_graph.services.feedback import evidence as evidence_service
from mypd_graph.services.feedback import ratings as service
from mypd_graph.services.feedback import training as training_service
from mypd_graph.services.feedback.common import RatingInput


@strawberry.input
class ElementRatingInput:
    element_code: str = strawberry.field(
        description="An element of the active framework, e.g. 1.1."
    )
    level: str = strawberry.field(description="A level key of its scale, e.g. applying.")
    note: str = ""

    def to_rating(self) -> RatingInput:
        return RatingInput(self.element_code, self.level, self.note)


def _ratings(ratings: Sequence[ElementRatingInput]) -> list[RatingInput]:
    return [rating.to_rating() for rating in ratings]


@strawberry.input
class SubmitSelfAssessmentInput:
    cycle: str = strawberry.field(description="The school year, e.g. 2025-26.")
    ratings: list[ElementRatingInput] = strawberry.field(
        description="Resubmitting a cycle updates these elements' ratings; others stay."
    )
    audience: Audience | None = strawberry.field(
        default=None,
        description="Who besides you sees it; a new one takes the district's default, a "
        "resubmitted one keeps its own.",
    )


@strawberry.type
class SubmitSelfAssessmentPayload:
    self_assessment: SelfAssessment | None
    user_errors: list[UserError]


@strawberry.input
class RecordObservationInput:
    teacher_id: strawberry.ID
    kind: ObservationKind
    observed_on: date = strawberry.field(description="Not in the future.")
    notes: str = ""
    ratings: list[ElementRatingInput] = strawberry.field(default_factory=list)


@strawberry.type
class RecordObservationPayload:
    observation: Observation | None
    user_errors: list[UserError]


@strawberry.input
class AddEvidenceInput:
    kind: EvidenceKind
    title: str
    body: str = ""
    url: str = strawberry.field(default="", description="Required (http or https) for a LINK.")
    element_codes: list[str] = strawberry.field(default_factory=list)
    goal_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Goals of the teacher's own plans."
    )
    audience: Audience | None = strawberry.field(
        default=None, description="Who besides you sees it; by default the district's default."
    )


@strawberry.input(description="Fields left out (or null) stay as they are; lists replace.")
class UpdateEvidenceInput:
    evidence_id: strawberry.ID
    kind: EvidenceKind | None = None
    title: str | None = None
    body: str | None = None
    url: str | None = None
    element_codes: list[str] | None = None
    goal_ids: list[strawberry.ID] | None = None
    audience: Audience | None = None


@strawberry.type
class EvidencePayload:
    evidence: Evidence | None
    user_errors: list[UserError]


def _goal_ids(goal_ids: Sequence[str] | None) -> list[int] | None:
    if goal_ids is None:
        return None
    return [
        decode_id(goal_id, "Goal", ("input", "goalIds", str(index)))
        for index, goal_id in enumerate(goal_ids)
    ]


@strawberry.input(description="Give exactly one of evidenceId, goalId, observationId.")
class AddCommentInput:
    body: str
    evidence_id: strawberry.ID | None = None
    goal_id: strawberry.ID | None = None
    observation_id: strawberry.ID | None = None


@strawberry.type
class AddCommentPayload:
    comment: Comment | None
    user_errors: list[UserError]


@strawberry.input
class RecordTrainingRecordInput:
    title: str
    completed_on: date = strawberry.field(description="Not in the future.")
    hours: float = strawberry.field(description="More than 0, at most 500.")
    teacher_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the viewer; district admins record for any teacher."
    )
    provider: str = ""
    element_codes: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class RecordTrainingRecordPayload:
    training_record: TrainingRecord | None
    user_errors: list[UserError]


def _optional_id(global_id: str | None, type_name: str, field: str) -> int | None:
    return None if global_id is None else decode_id(global_id, type_name, ("input", field))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="The signed-in teacher rates themself for a cycle.")
    async def submit_self_assessment(
        self, info: Info, input: SubmitSelfAssessmentInput
    ) -> SubmitSelfAssessmentPayload:
        actor = info.context.actor
        row, errors = await run_mutation(
            info,
            lambda session: service.submit_self_assessment(
                session, actor, input.cycle, _ratings(input.ratings), input.audience
            ),
        )
        return SubmitSelfAssessmentPayload(
            self_assessment=SelfAssessment.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(
        description="A coach, principal or admin who serves the teacher records it."
    )
    async def record_observation(
        self, info: Info, input: RecordObservationInput
    ) -> RecordObservationPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.Observation:
            return await service.record_observation(
                session,
                actor,
                teacher_id=decode_id(input.teacher_id, "Teacher", ("input", "teacherId")),
                kind=input.kind,
                observed_on=input.observed_on,
                notes=input.notes,
                ratings=_ratings(input.ratings),
            )

        row, errors = await run_mutation(info, work)
        return RecordObservationPayload(
            observation=Observation.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="The signed-in teacher adds evidence of their growth.")
    async def add_evidence(self, info: Info, input: AddEvidenceInput) -> EvidencePayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.Evidence:
            changes = evidence_service.EvidenceChanges(
                kind=input.kind,
                title=input.title,
                body=input.body,
                url=input.url,
                element_codes=input.element_codes,
                goal_ids=_goal_ids(input.goal_ids),
                audience=input.audience,
            )
            return await evidence_service.add_evidence(session, actor, changes)

        row, errors = await run_mutation(info, work)
        return EvidencePayload(evidence=Evidence.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="The owning teacher edits their evidence.")
    async def update_evidence(self, info: Info, input: UpdateEvidenceInput) -> EvidencePayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.Evidence:
            evidence_id = decode_id(input.evidence_id, "Evidence", ("input", "evidenceId"))
            changes = evidence_service.EvidenceChanges(
                kind=input.kind,
                title=input.title,
                body=input.body,
                url=input.url,
                element_codes=input.element_codes,
                goal_ids=_goal_ids(input.goal_ids),
                audience=input.audience,
            )
            return await evidence_service.update_evidence(session, actor, evidence_id, changes)

        row, errors = await run_mutation(info, work)
        return EvidencePayload(evidence=Evidence.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Comment on evidence, a goal or an observation you may read.")
    async def add_comment(self, info: Info, input: AddCommentInput) -> AddCommentPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.Comment:
            return await evidence_service.add_comment(
                session,
                actor,
                body=input.body,
                evidence_id=_optional_id(input.evidence_id, "Evidence", "evidenceId"),
                goal_id=_optional_id(input.goal_id, "Goal", "goalId"),
                observation_id=_optional_id(input.observation_id, "Observation", "observationId"),
            )

        row, errors = await run_mutation(info, work)
        return AddCommentPayload(comment=Comment.from_row(row) if row else None, user_errors=errors)

    @strawberry.mutation(description="Record PD a teacher took (their own, or any, for an admin).")
    async def record_training_record(
        self, info: Info, input: RecordTrainingRecordInput
    ) -> RecordTrainingRecordPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.TrainingRecord:
            return await training_service.record_training(
                session,
                actor,
                teacher_id=_optional_id(input.teacher_id, "Teacher", "teacherId"),
                title=input.title,
                provider=input.provider,
                completed_on=input.completed_on,
                hours=input.hours,
                element_codes=input.element_codes,
            )

        row, errors = await run_mutation(info, work)
        return RecordTrainingRecordPayload(
            training_record=TrainingRecord.from_row(row) if row else None, user_errors=errors
        )
