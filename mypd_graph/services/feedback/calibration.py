"""Several raters of one element: each rater, their spread, one reconciled observed rating.

When a coach and a principal (or two evaluators) rate the same element of a teacher in the same
cycle, the newest rating used to win whoever gave it. **The reconciled observed rating** of an
element in a cycle (a school year, July to June, by the day observed) is the median of each
rater's latest rating of it in that cycle; with an even number of raters, the lower of the two
middle ratings. So it is always a level some observer gave, in an observation that can be quoted,
and two raters who disagree never lift a teacher above what one of them saw. The cycle that speaks
for an element is the newest one with an observer rating of it. Self-ratings never enter it: the
calibration view shows the teacher's self-rating of the same cycle beside it, and the gap. Needs'
observation signal (and so goal baselines), growth's observed series (one point per cycle), the
district's rating distributions and PD impact all read it, so they agree (docs/ratings.md).

:func:`each_rater_latest` reads each rater's latest ratings in one SQL statement over any number
of teachers and :func:`reconcile` applies the rule to them; needs' observation signal
(services.personalization.signals) and goal baselines read the result, and :func:`calibration`
shows its parts (docs/ratings.md). PD impact applies the same rule on each side of a completion
in SQL (services.personalization.pd_impact), where it is aggregated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, case, extract, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    Observation,
    ObservationRating,
    RatingLevel,
    Role,
    SelfAssessment,
    SelfAssessmentRating,
    Standard,
    TeacherProfile,
)
from mypd_graph.services.access import (
    Actor,
    observation_shared,
    school_year_of,
    shared_with,
    teacher_condition,
)
from mypd_graph.services.errors import PermissionDenied
from mypd_graph.services.inputs import check_cycle, today

RULE = (
    "the median of each observer's latest rating of the element in the cycle (the lower of the "
    "two middle ratings when the number of observers is even); self-ratings never count"
)
CALIBRATION_ROLES = (Role.TEACHER, Role.COACH, Role.PRINCIPAL, Role.DISTRICT_ADMIN)


def cycle_start(day: ColumnElement[date]) -> ColumnElement[int]:
    """The first calendar year of the school year (July to June) a day falls in, as SQL."""
    year = extract("year", day)
    return (year - case((extract("month", day) < 7, 1), else_=0)).label("cycle_start")


def each_rater_latest(
    teachers: Select[tuple[int]], shown: ColumnElement[bool], cycle: str | None = None
) -> Select[tuple[object, ...]]:
    """Each observer's latest rating of each element of the teachers (in ``cycle`` when given):
    ``(teacher_id, element_id, observer_id, level_id, position, observed_on, kind,
    observation_id)``. Only observations ``shown`` to the viewer count
    (services.access.observation_shared).

    One sort, and ``row_number()`` keeps each rater's latest as it streams: as cheap as the
    newest-rating read it replaces. :func:`reconcile` does the rest in Python on these few rows
    (one per teacher, element and rater); in SQL the cycle and the median took two more sorted
    passes and twice the time on PostgreSQL, in the statement every teacher's needs wait for."""
    rated = (
        select(
            Observation.teacher_id,
            ObservationRating.element_id,
            Observation.observer_id,
            ObservationRating.level_id,
            RatingLevel.position,
            Observation.observed_on,
            Observation.kind,
            Observation.id.label("observation_id"),
            func.row_number()
            .over(
                partition_by=(
                    Observation.teacher_id,
                    ObservationRating.element_id,
                    Observation.observer_id,
                ),
                order_by=(Observation.observed_on.desc(), Observation.id.desc()),
            )
            .label("rater_newest"),
        )
        .join(Observation, Observation.id == ObservationRating.observation_id)
        .join(RatingLevel, RatingLevel.id == ObservationRating.level_id)
        .where(Observation.teacher_id.in_(teachers), shown)
    )
    if cycle is not None:
        rated = rated.where(cycle_start(Observation.observed_on) == int(cycle[:4]))
    latest = rated.subquery("rated")
    return select(*list(latest.c)[:-1]).where(latest.c.rater_newest == 1)


@dataclass(frozen=True, slots=True)
class RaterRating:
    observer_id: int
    level_id: int
    position: int
    observed_on: date
    kind: str
    observation_id: int


def _cycle(day: date) -> int:
    return day.year if day.month >= 7 else day.year - 1


def reconcile(rows: Iterable[Sequence[Any]]) -> dict[tuple[int, int], list[RaterRating]]:
    """``{(teacher, element): raters}`` from :func:`each_rater_latest`'s rows: the raters of the
    element's speaking cycle (that of its newest rating), lowest level first (the newer of two
    equal ones first); :func:`reconciled` picks the one at the lower median."""
    found: dict[tuple[int, int], list[RaterRating]] = defaultdict(list)
    for teacher, element, *rating in rows:
        found[(teacher, element)].append(RaterRating(*rating))
    for key, raters in found.items():
        if len(raters) > 1:
            speaking = _cycle(max(rater.observed_on for rater in raters))
            kept = [rater for rater in raters if _cycle(rater.observed_on) == speaking]
            kept.sort(key=lambda r: (r.position, -r.observed_on.toordinal(), -r.observation_id))
            found[key] = kept
    return found


def reconciled(raters: Sequence[RaterRating]) -> RaterRating:
    """The rating at the lower median of the raters (sorted lowest first)."""
    return raters[(len(raters) + 1) // 2 - 1]


def reconciled_observed(
    rows: Iterable[Sequence[Any]],
) -> dict[tuple[int, int], tuple[int, date, str, int, int]]:
    """``{(teacher, element): (level id, observed on, kind, observation id, observer id)}``: the
    reconciled observed rating of each element, in the shape needs read. An element with one
    rater (most of them) costs a dictionary entry; the others go through :func:`reconcile`."""
    first: dict[tuple[int, int], Sequence[Any]] = {}
    several: dict[tuple[int, int], list[Sequence[Any]]] = {}
    for row in rows:
        key = (row[0], row[1])
        if key in first:
            several.setdefault(key, [first[key]]).append(row)
        else:
            first[key] = row
    # the row's columns: teacher, element, observer, level, position, day, kind, observation
    answer = {key: (row[3], row[5], row[6], row[7], row[2]) for key, row in first.items()}
    for key, raters in reconcile(row for group in several.values() for row in group).items():
        chosen = reconciled(raters)
        answer[key] = (
            chosen.level_id,
            chosen.observed_on,
            chosen.kind,
            chosen.observation_id,
            chosen.observer_id,
        )
    return answer


# --- the calibration view -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ElementCalibration:
    element_id: int
    raters: list[RaterRating]  # lowest level first
    reconciled: RaterRating | None
    self_level_id: int | None
    self_position: int | None

    @property
    def spread(self) -> int | None:
        """Highest minus lowest rater's level (0: they agree); ``None`` without raters."""
        if not self.raters:
            return None
        return self.raters[-1].position - self.raters[0].position

    @property
    def gap(self) -> int | None:
        """Reconciled observed level minus self-rated level, in scale steps: negative when the
        teacher rates themself higher than observers do."""
        if self.reconciled is None or self.self_position is None:
            return None
        return self.reconciled.position - self.self_position


@dataclass(frozen=True, slots=True)
class Calibration:
    teacher_id: int
    cycle: str
    elements: list[ElementCalibration]  # in framework order
    rule: str = RULE


async def calibration(
    session: AsyncSession, actor: Actor, teacher_id: int, cycle: str | None = None
) -> Calibration | None:
    """One teacher's observer ratings and self-ratings of a cycle side by side, per element
    (default cycle: the newest with an observation the actor may read, else the current one).

    Teachers read their own; coaches, principals and district admins the teachers they serve.
    Only observations whose kind reaches the actor and a self-assessment shared with them count
    (services.access), so a PRIVATE self-assessment stays the teacher's. ``None`` for a teacher
    out of reach. At most five statements."""
    if actor.role not in CALIBRATION_ROLES:
        raise PermissionDenied("calibration is for teachers, coaches, principals and admins")
    if cycle is not None:
        cycle = check_cycle(cycle, ("cycle",))
    # Loaded as a row, so a reader other than the teacher is recorded as reading their growth
    # record (services.privacy.audit), as every other read of observations and self-ratings is.
    profile = await session.scalar(
        select(TeacherProfile).where(
            TeacherProfile.user_id == teacher_id, teacher_condition(actor, TeacherProfile.user_id)
        )
    )
    if profile is None:
        return None
    shown = observation_shared(actor)
    if cycle is None:
        newest = await session.scalar(
            select(func.max(Observation.observed_on)).where(
                Observation.teacher_id == teacher_id, shown
            )
        )
        cycle = school_year_of(newest or today())
    rows = await session.execute(each_rater_latest(select(literal(teacher_id)), shown, cycle))
    selfs = await session.execute(
        select(SelfAssessmentRating.element_id, RatingLevel.id, RatingLevel.position)
        .join(SelfAssessment, SelfAssessment.id == SelfAssessmentRating.self_assessment_id)
        .join(RatingLevel, RatingLevel.id == SelfAssessmentRating.level_id)
        .where(
            SelfAssessment.teacher_id == teacher_id,
            SelfAssessment.cycle == cycle,
            shared_with(actor, SelfAssessment.teacher_id, SelfAssessment.audience),
        )
    )
    own = {element: (level, position) for element, level, position in selfs}
    raters = {element: found for (_, element), found in reconcile(rows).items()}
    elements = set(raters) | set(own)
    order = (
        list(
            await session.scalars(
                select(Standard.id)
                .where(Standard.id.in_(elements))
                .order_by(Standard.parent_id, Standard.position)
            )
        )
        if elements
        else []
    )
    return Calibration(
        teacher_id,
        cycle,
        [
            ElementCalibration(
                element,
                raters.get(element, []),
                reconciled(raters[element]) if element in raters else None,
                *own.get(element, (None, None)),
            )
            for element in order
        ],
    )
