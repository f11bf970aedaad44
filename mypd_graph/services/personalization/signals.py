"""Reading the four signals behind needs, each with one statement for every teacher of a batch.

Students' results are read on a connection of their own when the pool can spare one, so the
slowest read overlaps the others.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Executable, Row, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.pool import NullPool, QueuePool

from mypd_graph.models import (
    FocusElement,
    RatingLevel,
    SelfAssessment,
    SelfAssessmentRating,
    Standard,
    TrainingRecord,
    TrainingRecordElement,
)
from mypd_graph.services.access import Actor
from mypd_graph.services.feedback.calibration import each_rater_latest, reconciled_observed
from mypd_graph.services.personalization.facts import (
    ElementInfo,
    LevelInfo,
)
from mypd_graph.services.students.figures import (
    Norm,
    SubjectResults,
    subject_results,
)

# The data model lives in .facts; callers import it from here with the functions.


# --- reading the signals (one statement each, for every teacher of the batch) -------------------


async def _core(session: AsyncSession, statement: Executable) -> Sequence[Row[Any]]:
    """Run a plain column select on the session's connection and fetch every row at once: the
    rows are tuples of values, and skipping the ORM's result machinery (and fetching row by row)
    saves a few microseconds per row (tens of thousands of ratings for a district)."""
    return (await (await session.connection()).execute(statement)).all()


async def framework_elements(session: AsyncSession, framework_id: int) -> list[ElementInfo]:
    standard = aliased(Standard)
    rows = await _core(
        session,
        select(Standard.id, Standard.code, Standard.text, Standard.identifier)
        .join(standard, standard.id == Standard.parent_id)
        .where(
            Standard.framework_id == framework_id,
            Standard.is_element.is_(True),
            Standard.retired.is_(False),
        )
        .order_by(standard.position, Standard.position),
    )
    return [
        ElementInfo(id_, code, text, order, framework_id, identifier)
        for order, (id_, code, text, identifier) in enumerate(rows)
    ]


async def framework_levels(session: AsyncSession, framework_id: int) -> dict[int, LevelInfo]:
    rows = await _core(
        session,
        select(RatingLevel.id, RatingLevel.key, RatingLevel.label, RatingLevel.position).where(
            RatingLevel.framework_id == framework_id
        ),
    )
    return {row[0]: LevelInfo(*row) for row in rows}


async def focus_by_teacher(
    session: AsyncSession, teachers: Select[tuple[int]]
) -> dict[int, set[int]]:
    """Each teacher's focus element ids."""
    rows = await _core(
        session,
        select(FocusElement.teacher_id, FocusElement.element_id).where(
            FocusElement.teacher_id.in_(teachers)
        ),
    )
    found: dict[int, set[int]] = defaultdict(set)
    for teacher, element in rows:
        found[teacher].add(element)
    return found


async def latest_self_ratings(
    session: AsyncSession, teachers: Select[tuple[int]], shown: ColumnElement[bool]
) -> dict[tuple[int, int], tuple[int, str]]:
    """``{(teacher, element): (level id, cycle)}`` from each teacher's newest rating of it among
    the self-assessments ``shown`` to the viewer (services.access.shared_with): a rating the
    viewer may not see is neither quoted nor used."""
    newest = func.row_number().over(
        partition_by=(SelfAssessment.teacher_id, SelfAssessmentRating.element_id),
        order_by=(SelfAssessment.cycle.desc(), SelfAssessment.id.desc()),
    )
    ranked = (
        select(
            SelfAssessment.teacher_id,
            SelfAssessmentRating.element_id,
            SelfAssessmentRating.level_id,
            SelfAssessment.cycle,
            newest.label("newest"),
        )
        .join(SelfAssessment, SelfAssessment.id == SelfAssessmentRating.self_assessment_id)
        .where(SelfAssessment.teacher_id.in_(teachers), shown)
        .subquery()
    )
    rows = await _core(
        session,
        select(ranked.c.teacher_id, ranked.c.element_id, ranked.c.level_id, ranked.c.cycle).where(
            ranked.c.newest == 1
        ),
    )
    return {(t, e): (level, cycle) for t, e, level, cycle in rows}


async def latest_observed_ratings(
    session: AsyncSession, teachers: Select[tuple[int]], shown: ColumnElement[bool]
) -> dict[tuple[int, int], tuple[int, date, str, int, int]]:
    """``{(teacher, element): (level id, observed on, kind, observation id, observer id)}``: the
    reconciled observed rating among the observations ``shown`` to the viewer
    (services.access.observation_shared): with several observers in the element's newest cycle,
    the median of each one's latest rating, quoted from its observation (docs/ratings.md)."""
    return reconciled_observed(await _core(session, each_rater_latest(teachers, shown)))


async def training_signal(
    session: AsyncSession, teachers: Select[tuple[int]], since: date, today: date
) -> tuple[dict[tuple[int, int], tuple[float, int]], dict[int, float]]:
    """Aligned hours per (teacher, element) in the window, and each teacher's hours in the window
    (a teacher with records but none recent is in the second dict with 0 hours)."""
    recent = and_(TrainingRecord.completed_on >= since, TrainingRecord.completed_on <= today)
    aligned = await _core(
        session,
        select(
            TrainingRecord.teacher_id,
            TrainingRecordElement.element_id,
            func.sum(TrainingRecord.hours),
            func.count(),
        )
        .join(TrainingRecord, TrainingRecord.id == TrainingRecordElement.training_record_id)
        .where(TrainingRecord.teacher_id.in_(teachers), recent)
        .group_by(TrainingRecord.teacher_id, TrainingRecordElement.element_id),
    )
    hours = {(t, e): (float(h or 0), int(n)) for t, e, h, n in aligned}
    totals = await _core(
        session,
        select(
            TrainingRecord.teacher_id,
            func.sum(case((recent, TrainingRecord.hours), else_=0.0)),
        )
        .where(TrainingRecord.teacher_id.in_(teachers))
        .group_by(TrainingRecord.teacher_id),
    )
    return hours, {t: float(h or 0) for t, h in totals}


async def connect_apart(session: AsyncSession) -> AsyncConnection | None:
    """A second connection of the session's engine for the students' results, only when the pool
    has one to spare at once: reading apart must never make a request wait for the pool (every
    request holding one connection while waiting for a second would starve it). The check and
    the checkout run without yielding to the event loop, so no other request slips in between."""
    engine = session.bind
    if not isinstance(engine, AsyncEngine):
        return None  # bound to one connection: the caller reads in turn
    pool = engine.pool
    if isinstance(pool, QueuePool):
        limit = pool._max_overflow  # not public; -1 means no limit
        if pool.checkedin() == 0 and 0 <= limit <= pool.overflow():
            return None
    elif not isinstance(pool, NullPool):
        return None  # a pool of one shared connection (SQLite in memory)
    return await engine.connect()


async def subject_results_on(
    connection: AsyncConnection, actor: Actor, teachers: Select[tuple[int]], as_of: date
) -> tuple[list[SubjectResults], dict[tuple[str, str], Norm]]:
    """:func:`subject_results` in a short read-only session on ``connection`` (committed data, as
    every loader of a request reads), closing the connection after."""
    try:
        async with AsyncSession(bind=connection) as apart:
            return await subject_results(apart, actor, teachers, as_of)
    finally:
        await connection.close()
