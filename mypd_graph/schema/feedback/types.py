"""Feedback types and the reads other domains call: by teacher (Teacher fields), by goal, by id.

Resolvers only translate: IDs in, rows out. Every rule (who may read or write, what input is valid)
lives in the services (:mod:`mypd_graph.services.feedback.ratings` and its ``feedback_*`` siblings).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from mypd_graph import models
from mypd_graph.models import growth
from mypd_graph.schema.context import Info
from mypd_graph.schema.enums import Audience
from mypd_graph.schema.feedback.files import EvidenceFile, files_of_evidence
from mypd_graph.schema.frameworks import Element, RatingLevel
from mypd_graph.schema.people.types import Teacher, User, teacher_by_id, user_by_id
from mypd_graph.schema.relay import Node, node_loader, to_global_id
from mypd_graph.services.feedback import evidence as evidence_service
from mypd_graph.services.feedback import ratings as service
from mypd_graph.services.feedback import training as training_service
from mypd_graph.services.feedback.common import RatingRow

if TYPE_CHECKING:
    from mypd_graph.schema.plans.types import Goal

# plans reaches back here for comments and evidence of goals; lazy keeps both free of cycles.
LazyGoal = Annotated["Goal", strawberry.lazy("mypd_graph.schema.plans.types")]

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
    audience: Audience = strawberry.field(description="Who besides the teacher sees it.")
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
            audience=growth.Audience(row.audience),
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
    known_ratings: strawberry.Private[list[ElementRating] | None] = None  # read with it

    @strawberry.field
    async def observer(self, info: Info) -> User:
        return await _user(info, self.observer_id)

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher:
        return await _teacher(info, self.teacher_id)

    @strawberry.field(description="The observer's ratings (evaluator ratings, not self-ratings).")
    def ratings(self, info: Info) -> list[ElementRating]:
        if self.known_ratings is not None:
            return self.known_ratings
        return self._load_ratings(info)  # type: ignore[return-value]  # awaited by graphql-core

    async def _load_ratings(self, info: Info) -> list[ElementRating]:
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
    audience: Audience = strawberry.field(description="Who besides the teacher sees it.")
    created_at: datetime
    updated_at: datetime
    db_id: strawberry.Private[int]
    teacher_id: strawberry.Private[int]
    known_elements: strawberry.Private[list[Element] | None] = None  # read with it

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher:
        return await _teacher(info, self.teacher_id)

    @strawberry.field
    def elements(self, info: Info) -> list[Element]:
        if self.known_elements is not None:
            return self.known_elements
        return self._load_elements(info)  # type: ignore[return-value]  # awaited by graphql-core

    async def _load_elements(self, info: Info) -> list[Element]:
        return _elements(
            await info.context.loader(evidence_service.evidence_elements).load(self.db_id)
        )

    @strawberry.field(description="Goals of the teacher's plans this evidence supports.")
    async def goals(self, info: Info) -> list[LazyGoal]:
        from mypd_graph.schema.plans.types import Goal

        rows = await info.context.loader(evidence_service.evidence_goals).load(self.db_id)
        return [Goal.from_row(row) for row in rows]

    @strawberry.field(description="Oldest first.")
    async def comments(self, info: Info) -> list[Comment]:
        loader = info.context.loader(evidence_service.comments_by_evidence)
        return _comments(await loader.load(self.db_id))

    @strawberry.field(description="Files attached to it, oldest first (attachEvidenceFile).")
    async def files(self, info: Info) -> list[EvidenceFile]:
        return await files_of_evidence(info, self.db_id)

    @classmethod
    def from_row(cls, row: models.Evidence) -> Evidence:
        return cls(
            id=to_global_id("Evidence", row.id),
            kind=models.EvidenceKind(row.kind),
            title=row.title,
            body=row.body,
            url=row.url,
            audience=growth.Audience(row.audience),
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
# (Teacher.observations and Teacher.evidence: schema/feedback/branches.py)


async def self_assessments_of_teacher(info: Info, teacher_id: int) -> list[SelfAssessment]:
    rows = await info.context.loader(service.self_assessments_by_teacher).load(teacher_id)
    return [SelfAssessment.from_row(row) for row in rows]


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
