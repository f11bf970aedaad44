"""The calibration view (``calibration(teacherId, cycle)``): several raters of an element, their
spread, the reconciled observed rating and the gap to the teacher's self-rating, per element.

The rule and the access checks live in :mod:`mypd_graph.services.feedback.calibration`.
"""

from __future__ import annotations

from datetime import date

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.frameworks import Element, RatingLevel, element_by_id, level_by_id
from mypd_graph.schema.people.types import Teacher, User, teacher_by_id, user_by_id
from mypd_graph.schema.relay import decode_id, to_global_id
from mypd_graph.services.feedback import calibration as service


@strawberry.type(description="One observer's latest rating of an element in the cycle.")
class RaterRating:
    observed_on: date
    kind: str = strawberry.field(description="The kind of the observation (formal, coaching...).")
    observation_id: strawberry.ID
    observer_id: strawberry.Private[int]
    level_id: strawberry.Private[int]

    @strawberry.field
    async def observer(self, info: Info) -> User | None:
        return await user_by_id(info, self.observer_id)

    @strawberry.field
    async def level(self, info: Info) -> RatingLevel:
        return await _level(info, self.level_id)

    @classmethod
    def of(cls, rating: service.RaterRating) -> RaterRating:
        return cls(
            observed_on=rating.observed_on,
            kind=rating.kind,
            observation_id=strawberry.ID(to_global_id("Observation", rating.observation_id)),
            observer_id=rating.observer_id,
            level_id=rating.level_id,
        )


@strawberry.type(
    description="One element in one cycle: each observer's latest rating, their spread, the "
    "reconciled observed rating (Calibration.rule) and the teacher's self-rating beside it, never "
    "averaged with it."
)
class ElementCalibration:
    raters: list[RaterRating] = strawberry.field(description="Lowest level first.")
    spread: int | None = strawberry.field(
        description="Highest minus lowest observer's level, in scale steps (0: they agree)."
    )
    reconciled: RaterRating | None = strawberry.field(
        description="The reconciled observed rating: the rating of the observer at the median."
    )
    gap: int | None = strawberry.field(
        description="Reconciled observed level minus self-rated level, in scale steps (negative: "
        "the teacher rates themself higher); null without both."
    )
    element_id: strawberry.Private[int]
    self_level_id: strawberry.Private[int | None]

    @strawberry.field
    async def element(self, info: Info) -> Element:
        element = await element_by_id(info, self.element_id)
        assert element is not None  # a rated element of a synced framework
        return element

    @strawberry.field(
        description="The teacher's self-rating in the cycle, when their self-assessment is shared "
        "with you."
    )
    async def self_rating(self, info: Info) -> RatingLevel | None:
        return None if self.self_level_id is None else await _level(info, self.self_level_id)


@strawberry.type(
    description="A teacher's observer ratings and self-ratings of one cycle, per element."
)
class Calibration:
    cycle: str
    rule: str = strawberry.field(description="How the reconciled observed rating is chosen.")
    elements: list[ElementCalibration]
    teacher_id: strawberry.Private[int]

    @strawberry.field
    async def teacher(self, info: Info) -> Teacher | None:
        return await teacher_by_id(info, self.teacher_id)


async def _level(info: Info, level_id: int) -> RatingLevel:
    level = await level_by_id(info, level_id)
    assert level is not None  # ratings refer to levels of synced frameworks
    return level


@strawberry.type
class Query:
    @strawberry.field(
        description="Calibration for coaches: per element of a cycle (default: the newest with an "
        "observation you may read), each observer's latest rating, their spread, the reconciled "
        "observed rating and the gap to the self-rating. Only observations and a self-assessment "
        "shared with you count; null for a teacher you do not serve. For teachers (their own), "
        "coaches, principals and district admins."
    )
    async def calibration(
        self, info: Info, teacher_id: strawberry.ID, cycle: str | None = None
    ) -> Calibration | None:
        teacher = decode_id(teacher_id, "Teacher", "teacherId")
        found = await info.context.read(service.calibration, teacher, cycle)
        if found is None:
            return None
        return Calibration(
            cycle=found.cycle,
            rule=found.rule,
            teacher_id=found.teacher_id,
            elements=[
                ElementCalibration(
                    raters=[RaterRating.of(rating) for rating in element.raters],
                    spread=element.spread,
                    reconciled=None
                    if element.reconciled is None
                    else RaterRating.of(element.reconciled),
                    gap=element.gap,
                    element_id=element.element_id,
                    self_level_id=element.self_level_id,
                )
                for element in found.elements
            ],
        )
