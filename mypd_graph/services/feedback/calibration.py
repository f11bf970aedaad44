"""Several raters of one element: each rater, their spread, one reconciled observed rating.

When a coach and a principal (or two evaluators) rate the same element of a teacher in the same
cycle, the newest rating used to win whoever gave it. **The reconciled observed rating** of an
element in a cycle (a school year, July to June, by the day observed) is the median of each
rater's latest rating of it in that cycle; with an even number of raters, the lower of the two
middle ratings. So it is always a level some observer gave, in an observation that can be quoted,
and two raters who disagree never lift a teacher above what one of them saw. The cycle that speaks
for an element is the newest one with an observer rating of it. Self-ratings never enter it: the
calibration view shows the teacher's self-rating of the same cycle beside it, and the gap.

:func:`reconciled_observed` is that rule as one SQL statement over any number of teachers; needs'
observation signal (services.personalization.signals) and goal baselines read it, and
:func:`calibration` shows its parts (docs/ratings.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

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


def rater_latest(
    teachers: Select[tuple[int]], shown: ColumnElement[bool], cycle: str | None = None
) -> Select[tuple[object, ...]]:
    """Each rater's latest rating of each element in the speaking cycle (``cycle``, else the
    newest with a rating of the element), the raters ranked by level: ``(teacher_id,
    element_id, level_id, position, observed_on, kind, observation_id, observer_id, raters,
    lowest, highest, rank)``. Only observations ``shown`` to the viewer count
    (services.access.observation_shared)."""
    start = cycle_start(Observation.observed_on)
    by_element = (Observation.teacher_id, ObservationRating.element_id)
    rated = (
        select(
            Observation.teacher_id,
            ObservationRating.element_id,
            ObservationRating.level_id,
            RatingLevel.position,
            Observation.observed_on,
            Observation.kind,
            Observation.id.label("observation_id"),
            Observation.observer_id,
            start,
            func.max(start).over(partition_by=by_element).label("newest_cycle"),
            func.row_number()
            .over(
                partition_by=(*by_element, Observation.observer_id, start),
                order_by=(Observation.observed_on.desc(), Observation.id.desc()),
            )
            .label("rater_newest"),
        )
        .join(Observation, Observation.id == ObservationRating.observation_id)
        .join(RatingLevel, RatingLevel.id == ObservationRating.level_id)
        .where(Observation.teacher_id.in_(teachers), shown)
    )
    if cycle is not None:
        rated = rated.where(start == int(cycle[:4]))
    ranked = rated.subquery("rated")
    columns = [ranked.c[name] for name in _RATER_COLUMNS]
    element = (ranked.c.teacher_id, ranked.c.element_id)
    return select(
        *columns,
        func.count().over(partition_by=element).label("raters"),
        func.min(ranked.c.position).over(partition_by=element).label("lowest"),
        func.max(ranked.c.position).over(partition_by=element).label("highest"),
        func.row_number()
        .over(
            partition_by=element,
            order_by=(
                ranked.c.position,
                ranked.c.observed_on.desc(),
                ranked.c.observation_id.desc(),
            ),
        )
        .label("rank"),
    ).where(ranked.c.cycle_start == ranked.c.newest_cycle, ranked.c.rater_newest == 1)


_RATER_COLUMNS = (
    "teacher_id",
    "element_id",
    "level_id",
    "position",
    "observed_on",
    "kind",
    "observation_id",
    "observer_id",
)


def reconciled_observed(
    teachers: Select[tuple[int]], shown: ColumnElement[bool]
) -> Select[tuple[object, ...]]:
    """Per teacher and element, the reconciled observed rating (the rater at the lower median):
    ``(teacher_id, element_id, level_id, observed_on, kind, observation_id, observer_id,
    raters, lowest, highest)``: the shape needs read, plus how many raters and their spread."""
    each = rater_latest(teachers, shown).subquery("rater_latest")
    middle = (each.c.raters + 1) // 2  # integer division on both databases
    return select(
        each.c.teacher_id,
        each.c.element_id,
        each.c.level_id,
        each.c.observed_on,
        each.c.kind,
        each.c.observation_id,
        each.c.observer_id,
        each.c.raters,
        each.c.lowest,
        each.c.highest,
    ).where(each.c.rank == middle)


# --- the calibration view -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RaterRating:
    observer_id: int
    level_id: int
    position: int
    observed_on: date
    kind: str
    observation_id: int


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
    reachable = select(TeacherProfile.user_id).where(
        TeacherProfile.user_id == teacher_id, teacher_condition(actor, TeacherProfile.user_id)
    )
    if await session.scalar(reachable) is None:
        return None
    shown = observation_shared(actor)
    if cycle is None:
        newest = await session.scalar(
            select(func.max(Observation.observed_on)).where(
                Observation.teacher_id == teacher_id, shown
            )
        )
        cycle = school_year_of(newest or today())
    teacher = select(literal(teacher_id))
    rows = (await session.execute(rater_latest(teacher, shown, cycle))).all()
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
    raters: dict[int, list[RaterRating]] = {}
    middle: dict[int, RaterRating] = {}
    for row in sorted(rows, key=lambda row: (row.element_id, row.rank)):
        rating = RaterRating(
            row.observer_id,
            row.level_id,
            row.position,
            row.observed_on,
            row.kind,
            row.observation_id,
        )
        raters.setdefault(row.element_id, []).append(rating)
        if row.rank == (row.raters + 1) // 2:
            middle[row.element_id] = rating
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
                middle.get(element),
                *own.get(element, (None, None)),
            )
            for element in order
        ],
    )
