"""A teacher's needs per element, each with the four signals behind it and the ratings side by side.

Also the helpers the other personalization and insights views share: an element from the needs
service's :class:`~mypd_graph.services.personalization.needs.ElementInfo`, a rating level by id.
"""

from __future__ import annotations

from datetime import date

import strawberry

from mypd_graph.schema.context import Info
from mypd_graph.schema.frameworks import Element, RatingLevel, level_by_id
from mypd_graph.schema.people.types import User, user_by_id
from mypd_graph.schema.relay import to_global_id
from mypd_graph.services.common import check_first
from mypd_graph.services.personalization import needs as needs_service
from mypd_graph.services.personalization.settings import Signal
from mypd_graph.services.students.growth_measures import GROWTH_RULE
from mypd_graph.services.students.status import RESULTS_RULES
from mypd_graph.services.students.window import WINDOW_RULE

NeedSignalKind = strawberry.enum(Signal, name="NeedSignalKind")
STUDENT_RULES = f"{RESULTS_RULES} {WINDOW_RULE}"


def element_of(info: needs_service.ElementInfo) -> Element:
    return Element(
        id=to_global_id("Element", info.id),
        code=info.code,
        text=info.text,
        retired=False,
        db_id=info.id,
        framework_id=info.framework_id,
        identifier=info.identifier,
    )


async def level_of(info: Info, level_id: int) -> RatingLevel:
    level = await level_by_id(info, level_id)
    assert level is not None  # ratings refer to levels of synced frameworks
    return level


@strawberry.type(
    description="One of the four signals behind a need. A missing signal has no value (never 0), "
    "says why in missingReason, and its weight is shared among the present signals."
)
class NeedSignal:
    kind: NeedSignalKind
    present: bool
    value: float | None = strawberry.field(description="0 (no need) to 1 (highest need).")
    weight: float = strawberry.field(
        description="The district's weight for this signal, as a share of all four."
    )
    effective_weight: float | None = strawberry.field(
        description="The weight renormalized over the signals present for this need."
    )
    contribution: float | None = strawberry.field(description="value × effectiveWeight.")
    evidence: list[str] = strawberry.field(description="The data behind the value, in words.")
    missing_reason: str | None
    rule: str | None = strawberry.field(
        default=None,
        description="STUDENT_PERFORMANCE: the stated rules behind it, when one result and one "
        "student are below standard and which school year speaks (docs/student-results.md); "
        "STUDENT_GROWTH: when a student grew less than typical; null for the other signals.",
    )

    @classmethod
    def from_reading(cls, reading: needs_service.SignalReading) -> NeedSignal:
        return cls(
            kind=reading.signal,
            present=reading.present,
            value=reading.value,
            weight=round(reading.weight, 4),
            effective_weight=(
                round(reading.effective_weight, 4) if reading.effective_weight is not None else None
            ),
            contribution=(
                round(reading.contribution, 4) if reading.contribution is not None else None
            ),
            evidence=list(reading.evidence),
            missing_reason=reading.missing_reason,
            rule=STUDENT_RULES
            if reading.signal is Signal.STUDENT_PERFORMANCE
            else GROWTH_RULE
            if reading.signal is Signal.STUDENT_GROWTH
            else None,
        )


@strawberry.type(description="The teacher's latest self-rating of an element.")
class SelfRating:
    cycle: str
    level_id: strawberry.Private[int]

    @strawberry.field
    async def level(self, info: Info) -> RatingLevel:
        return await level_of(info, self.level_id)


@strawberry.type(description="The latest observer rating of an element (an evaluator's rating).")
class ObservedRating:
    observed_on: date
    kind: str = strawberry.field(description="formal, informal, walkthrough or coaching.")
    level_id: strawberry.Private[int]
    observer_id: strawberry.Private[int]

    @strawberry.field
    async def level(self, info: Info) -> RatingLevel:
        return await level_of(info, self.level_id)

    @strawberry.field
    async def observer(self, info: Info) -> User | None:
        return await user_by_id(info, self.observer_id)


@strawberry.type(
    description="How much a teacher needs to grow in one element (0 to 1), with the signals behind "
    "it. Self and observer ratings are shown side by side, never averaged."
)
class Need:
    element: Element
    score: float | None = strawberry.field(
        description="Null when no student, self or observer data speaks to this element."
    )
    rank: int | None = strawberry.field(description="1 for the teacher's highest need.")
    is_focus: bool = strawberry.field(description="The teacher chose this element to grow in.")
    summary: str
    signals: list[NeedSignal] = strawberry.field(description="Always four, in a fixed order.")
    self_rating: SelfRating | None
    observed_rating: ObservedRating | None

    @classmethod
    def from_need(cls, need: needs_service.Need) -> Need:
        self_rating = observed = None
        if need.self_rating is not None:
            self_rating = SelfRating(
                cycle=need.self_rating.cycle, level_id=need.self_rating.level.id
            )
        if need.observed_rating is not None:
            rating = need.observed_rating
            observed = ObservedRating(
                observed_on=rating.observed_on,
                kind=rating.kind,
                level_id=rating.level.id,
                observer_id=rating.observer_id,
            )
        return cls(
            element=element_of(need.element),
            score=need.score,
            rank=need.rank,
            is_focus=need.is_focus,
            summary=need.summary,
            signals=[NeedSignal.from_reading(reading) for reading in need.signals],
            self_rating=self_rating,
            observed_rating=observed,
        )


async def needs_of_teacher(
    info: Info, teacher_id: int, first: int, include_unscored: bool, element_code: str | None
) -> list[Need]:
    """``Teacher.needs``: highest first; unscored elements only when asked for."""
    check_first(first)
    needs = await info.context.loader(needs_service.needs_by_teacher).load(teacher_id)
    chosen = [
        need
        for need in needs
        if (include_unscored or need.score is not None)
        and (element_code is None or need.element.code == element_code.strip())
    ]
    return [Need.from_need(need) for need in chosen[:first]]
