"""Self-assessments, observations, evidence, comments and training records: types and mutations.

Resolvers only translate: IDs in, rows out. Every rule (who may read or write, what input is valid)
lives in the services (:mod:`mypd_graph.services.feedback.ratings` and its ``feedback_*`` siblings).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph import models
from mypd_graph.schema.context import Info
from mypd_graph.schema.errors import UserError, run_mutation
from mypd_graph.schema.frameworks import Element, RatingLevel
from mypd_graph.schema.people import Teacher, User, teacher_by_id, user_by_id
from mypd_graph.schema.relay import Node, decode_id, node_loader, to_global_id
from mypd_graph.services.feedback import evidence as evidence_service
from mypd_graph.services.feedback import ratings as service
from mypd_graph.services.feedback import training as training_service
from mypd_graph.services.feedback.common import RatingInput, RatingRow

if TYPE_CHECKING:
    from mypd_graph.schema.plans import Goal

# plans.py reaches back here for comments and evidence of goals; lazy keeps both free of cycles.
LazyGoal = Annotated["Goal", strawberry.lazy("mypd_graph.schema.plans")]

ObservationKind = strawberry.enum(models.ObservationKind, name="ObservationKind")
EvidenceKind = strawberry.enum(models.EvidenceKind, name="EvidenceKind")


async def _teacher(info: Info, teacher_id: int) -> Teacher:
    teacher = await teacher_by_id(info, teacher_id)
    assert teacher is not None  # the row was loaded within the viewer's reach: so is its teacher
    return teacher


async def _user(info: Info, user_id: int) -> User:
    user = await user_by_id(info, user_id)
    assert user is not None  # authors and observers belong to the viewer's district
    return user


def _elements(rows: Sequence[models.Standard]) -> list[Element]:
    return [Element.from_row(row) for row in rows]


@strawberry.type(description="An element rated at one level of the framework's scale.")
class ElementRating:
    element: Element
    level: RatingLevel
    note: str

    @classmethod
    def from_row(cls, row: RatingRow) -> ElementRating:
        return cls(
            element=Element.from_row(row.element),
            level=RatingLevel.from_row(row.level),
            note=row.note,
        )


@strawberry.type(description="A teacher's comment or a supervisor's feedback.")
class Comment(Node):
    body: str
    created_at: datetime
    author_id: strawberry.Private[int]

    @strawberry.field
    async def author(self, info: Info) -> User:
        return await _user(info, self.author_id)

    @classmethod
    def from_row(cls, row: models.Comment) -> Comment:
        return cls(
            id=to_global_id("Comment", row.id),
            body=row.body,
            created_at=row.created_at,
            author_id=row.author_id,
        )


def _comments(rows: Sequence[models.Comment]) -> list[Comment]:
    return [Comment.from_row(row) for row in rows]


@strawberry.type(
    description="A teacher's self-ratings for one cycle; never mixed with observers' ratings."
)
class SelfAssessment(Node):
    cycle: str
    submitted_at: datetime
    db_id: strawberry.Private[int]
    teacher_id: strawberry.Private[int]

    @strawberry.field
    async def ratings(self, info: Info) -> list[ElementRating]:
        rows = await info.context.loader(service.self_assessment_ratings).load(self.db_id)
        return [ElementRating.from_row(row) for row in rows]

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher:
        return await _teacher(info, self.teacher_id)

    @classmethod
    def from_row(cls, row: models.SelfAssessment) -> SelfAssessment:
        return cls(
            id=to_global_id("SelfAssessment", row.id),
            cycle=row.cycle,
            submitted_at=row.submitted_at,
            db_id=row.id,
            teacher_id=row.teacher_id,
        )


@strawberry.type(description="What a coach, principal or admin saw, with their ratings.")
class Observation(Node):
    kind: ObservationKind
    observed_on: date
    notes: str
    created_at: datetime
    db_id: strawberry.Private[int]
    teacher_id: strawberry.Private[int]
    observer_id: strawberry.Private[int]

    @strawberry.field
    async def observer(self, info: Info) -> User:
        return await _user(info, self.observer_id)

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher:
        return await _teacher(info, self.teacher_id)

    @strawberry.field(description="The observer's ratings (evaluator ratings, not self-ratings).")
    async def ratings(self, info: Info) -> list[ElementRating]:
        rows = await info.context.loader(service.observation_ratings).load(self.db_id)
        return [ElementRating.from_row(row) for row in rows]

    @strawberry.field(description="Oldest first.")
    async def comments(self, info: Info) -> list[Comment]:
        loader = info.context.loader(evidence_service.comments_by_observation)
        return _comments(await loader.load(self.db_id))

    @classmethod
    def from_row(cls, row: models.Observation) -> Observation:
        return cls(
            id=to_global_id("Observation", row.id),
            kind=models.ObservationKind(row.kind),
            observed_on=row.observed_on,
            notes=row.notes,
            created_at=row.created_at,
            db_id=row.id,
            teacher_id=row.teacher_id,
            observer_id=row.observer_id,
        )


@strawberry.type(
    description="Something a teacher offers to show growth, tied to elements and goals."
)
class Evidence(Node):
    kind: EvidenceKind
    title: str
    body: str
    url: str
    created_at: datetime
    updated_at: datetime
    db_id: strawberry.Private[int]
    teacher_id: strawberry.Private[int]

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher:
        return await _teacher(info, self.teacher_id)

    @strawberry.field
    async def elements(self, info: Info) -> list[Element]:
        return _elements(
            await info.context.loader(evidence_service.evidence_elements).load(self.db_id)
        )

    @strawberry.field(description="Goals of the teacher's plans this evidence supports.")
    async def goals(self, info: Info) -> list[LazyGoal]:
        from mypd_graph.schema import plans

        rows = await info.context.loader(evidence_service.evidence_goals).load(self.db_id)
        return [plans.Goal.from_row(row) for row in rows]

    @strawberry.field(description="Oldest first.")
    async def comments(self, info: Info) -> list[Comment]:
        loader = info.context.loader(evidence_service.comments_by_evidence)
        return _comments(await loader.load(self.db_id))

    @classmethod
    def from_row(cls, row: models.Evidence) -> Evidence:
        return cls(
            id=to_global_id("Evidence", row.id),
            kind=models.EvidenceKind(row.kind),
            title=row.title,
            body=row.body,
            url=row.url,
            created_at=row.created_at,
            updated_at=row.updated_at,
            db_id=row.id,
            teacher_id=row.teacher_id,
        )


@strawberry.type(description="PD a teacher took: hours and the elements it addressed.")
class TrainingRecord(Node):
    title: str
    provider: str
    completed_on: date
    hours: float
    db_id: strawberry.Private[int]
    teacher_id: strawberry.Private[int]

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher:
        return await _teacher(info, self.teacher_id)

    @strawberry.field
    async def elements(self, info: Info) -> list[Element]:
        return _elements(
            await info.context.loader(training_service.training_elements).load(self.db_id)
        )

    @classmethod
    def from_row(cls, row: models.TrainingRecord) -> TrainingRecord:
        return cls(
            id=to_global_id("TrainingRecord", row.id),
            title=row.title,
            provider=row.provider,
            completed_on=row.completed_on,
            hours=row.hours,
            db_id=row.id,
            teacher_id=row.teacher_id,
        )


# --- reads other modules use (Teacher fields, Goal fields) and node loaders ---------------------


async def self_assessments_of_teacher(info: Info, teacher_id: int) -> list[SelfAssessment]:
    rows = await info.context.loader(service.self_assessments_by_teacher).load(teacher_id)
    return [SelfAssessment.from_row(row) for row in rows]


async def observations_of_teacher(info: Info, teacher_id: int) -> list[Observation]:
    """Newest first."""
    rows = await info.context.loader(service.observations_by_teacher).load(teacher_id)
    return [Observation.from_row(row) for row in rows]


async def evidence_of_teacher(info: Info, teacher_id: int) -> list[Evidence]:
    rows = await info.context.loader(evidence_service.evidence_by_teacher).load(teacher_id)
    return [Evidence.from_row(row) for row in rows]


async def training_of_teacher(info: Info, teacher_id: int) -> list[TrainingRecord]:
    rows = await info.context.loader(training_service.training_by_teacher).load(teacher_id)
    return [TrainingRecord.from_row(row) for row in rows]


async def comments_on_goal(info: Info, goal_id: int) -> list[Comment]:
    return _comments(await info.context.loader(evidence_service.comments_by_goal).load(goal_id))


async def evidence_for_goal(info: Info, goal_id: int) -> list[Evidence]:
    rows = await info.context.loader(evidence_service.evidence_by_goal).load(goal_id)
    return [Evidence.from_row(row) for row in rows]


@node_loader("SelfAssessment")
async def self_assessment_by_id(info: Info, db_id: int) -> SelfAssessment | None:
    row = await info.context.loader(service.self_assessments_by_ids).load(db_id)
    return SelfAssessment.from_row(row) if row else None


@node_loader("Observation")
async def observation_by_id(info: Info, db_id: int) -> Observation | None:
    row = await info.context.loader(service.observations_by_ids).load(db_id)
    return Observation.from_row(row) if row else None


@node_loader("Evidence")
async def evidence_by_id(info: Info, db_id: int) -> Evidence | None:
    row = await info.context.loader(evidence_service.evidence_by_ids).load(db_id)
    return Evidence.from_row(row) if row else None


@node_loader("Comment")
async def comment_by_id(info: Info, db_id: int) -> Comment | None:
    row = await info.context.loader(evidence_service.comments_by_ids).load(db_id)
    return Comment.from_row(row) if row else None


@node_loader("TrainingRecord")
async def training_record_by_id(info: Info, db_id: int) -> TrainingRecord | None:
    row = await info.context.loader(training_service.training_by_ids).load(db_id)
    return TrainingRecord.from_row(row) if row else None


# --- mutations ------------------------------------------------------------------------------------


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


@strawberry.input(description="Fields left out (or null) stay as they are; lists replace.")
class UpdateEvidenceInput:
    evidence_id: strawberry.ID
    kind: EvidenceKind | None = None
    title: str | None = None
    body: str | None = None
    url: str | None = None
    element_codes: list[str] | None = None
    goal_ids: list[strawberry.ID] | None = None


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
                session, actor, input.cycle, _ratings(input.ratings)
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
