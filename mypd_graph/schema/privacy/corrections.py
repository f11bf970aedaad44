"""Corrections: records made in error removed or corrected by who may (thin over
:mod:`mypd_graph.services.privacy.corrections`; every mutation runs in one session)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.feedback.mutations import ElementRatingInput
from mypd_graph.schema.feedback.types import Observation
from mypd_graph.schema.relay import decode_id
from mypd_graph.services.privacy import corrections as service


@strawberry.type(description="The ID of what was removed; null when nothing was (see userErrors).")
class RemovedPayload:
    removed_id: strawberry.ID | None
    user_errors: list[UserError]


@strawberry.input(description="Evidence of the signed-in teacher's, made in error.")
class DeleteEvidenceInput:
    evidence_id: strawberry.ID


@strawberry.input(description="A training record of the signed-in teacher's, made in error.")
class DeleteTrainingRecordInput:
    training_record_id: strawberry.ID


@strawberry.input(
    description="A self-assessment of the signed-in teacher's, while no plan of its cycle has "
    "been submitted."
)
class DeleteSelfAssessmentInput:
    self_assessment_id: strawberry.ID


@strawberry.input(
    description="The observer corrects an observation within the district's correction window; "
    "fields left out stay, ratings given replace all of them."
)
class CorrectObservationInput:
    observation_id: strawberry.ID
    observed_on: date | None = None
    notes: str | None = None
    ratings: list[ElementRatingInput] | None = None
    reason: str = strawberry.field(default="", description="Why (kept in the audit trail).")


@strawberry.input(
    description="The observer withdraws an observation within the district's correction window."
)
class WithdrawObservationInput:
    observation_id: strawberry.ID
    reason: str = strawberry.field(description="Why (kept in the audit trail).")


@strawberry.input(description="Days after an observation is recorded that its observer may fix it.")
class SetObservationCorrectionWindowInput:
    days: int = strawberry.field(description="0 to 366; 0 closes corrections.")


@strawberry.type
class CorrectObservationPayload:
    observation: Observation | None
    user_errors: list[UserError]


@strawberry.type
class SetObservationCorrectionWindowPayload:
    days: int | None
    user_errors: list[UserError]


async def _remove(
    info: Info, kind: str, global_id: str, field: str, remove: Callable[..., Awaitable[int]]
) -> RemovedPayload:
    actor = info.context.actor

    async def work(session: AsyncSession) -> int:
        return await remove(session, actor, decode_id(global_id, kind, ("input", field)))

    removed, errors = await run_mutation(info, work)
    return RemovedPayload(
        removed_id=strawberry.ID(global_id) if removed is not None else None, user_errors=errors
    )


@strawberry.type
class Mutation:
    @strawberry.mutation(description="The signed-in teacher deletes their own evidence.")
    async def delete_evidence(self, info: Info, input: DeleteEvidenceInput) -> RemovedPayload:
        return await _remove(
            info, "Evidence", input.evidence_id, "evidenceId", service.delete_evidence
        )

    @strawberry.mutation(description="The signed-in teacher deletes their own training record.")
    async def delete_training_record(
        self, info: Info, input: DeleteTrainingRecordInput
    ) -> RemovedPayload:
        return await _remove(
            info,
            "TrainingRecord",
            input.training_record_id,
            "trainingRecordId",
            service.delete_training_record,
        )

    @strawberry.mutation(
        description="The signed-in teacher deletes their own draft self-assessment."
    )
    async def delete_self_assessment(
        self, info: Info, input: DeleteSelfAssessmentInput
    ) -> RemovedPayload:
        return await _remove(
            info,
            "SelfAssessment",
            input.self_assessment_id,
            "selfAssessmentId",
            service.delete_self_assessment,
        )

    @strawberry.mutation(description="The observer corrects their observation, within the window.")
    async def correct_observation(
        self, info: Info, input: CorrectObservationInput
    ) -> CorrectObservationPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> models.Observation:
            return await service.correct_observation(
                session,
                actor,
                decode_id(input.observation_id, "Observation", ("input", "observationId")),
                observed_on=input.observed_on,
                notes=input.notes,
                ratings=None
                if input.ratings is None
                else [rating.to_rating() for rating in input.ratings],
                reason=input.reason,
            )

        row, errors = await run_mutation(info, work)
        return CorrectObservationPayload(
            observation=Observation.from_row(row) if row else None, user_errors=errors
        )

    @strawberry.mutation(description="The observer withdraws their observation, within the window.")
    async def withdraw_observation(
        self, info: Info, input: WithdrawObservationInput
    ) -> RemovedPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> int:
            observation = decode_id(input.observation_id, "Observation", ("input", "observationId"))
            return await service.withdraw_observation(session, actor, observation, input.reason)

        removed, errors = await run_mutation(info, work)
        return RemovedPayload(
            removed_id=strawberry.ID(input.observation_id) if removed is not None else None,
            user_errors=errors,
        )

    @strawberry.mutation(
        description="A district admin sets how long observers may correct an observation."
    )
    async def set_observation_correction_window(
        self, info: Info, input: SetObservationCorrectionWindowInput
    ) -> SetObservationCorrectionWindowPayload:
        actor = info.context.actor

        async def work(session: AsyncSession) -> int:
            return await service.set_correction_window(session, actor, input.days)

        days, errors = await run_mutation(info, work)
        return SetObservationCorrectionWindowPayload(days=days, user_errors=errors)
