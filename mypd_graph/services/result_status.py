"""Keeping ``student_subject_status`` in step with ``assessment_result``.

Needs and district views read each student's status per subject and year from the summary table
(:class:`~mypd_graph.models.StudentSubjectStatus`) instead of grouping every result on every
request. The price is this rule: **whoever writes assessment results calls**
:func:`refresh_result_status` **in the same transaction** (the import pipeline, the demo loader,
benchmarks and test factories do), so a reader never sees results and summary disagree.
:func:`stale_result_status` is the check the tests run after each kind of write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Select, case, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from mypd_graph.models import Assessment, AssessmentResult, StudentSubjectStatus

Students = Select[tuple[int]] | Sequence[int] | None


def _aggregate(
    district_id: int, school_years: Iterable[str] | None, students: Students
) -> Select[tuple[int, str, str, int, int, int]]:
    """The summary rows, computed from the results (the one definition of them)."""
    below = func.sum(
        case((AssessmentResult.achievement_level < Assessment.proficient_level, 1), else_=0)
    )
    statement = (
        select(
            AssessmentResult.student_id,
            Assessment.subject,
            AssessmentResult.school_year,
            Assessment.district_id,
            func.count(),
            below,
        )
        .join(Assessment, Assessment.id == AssessmentResult.assessment_id)
        .where(
            Assessment.district_id == district_id,
            AssessmentResult.achievement_level.is_not(None),
        )
        .group_by(
            AssessmentResult.student_id,
            Assessment.subject,
            AssessmentResult.school_year,
            Assessment.district_id,
        )
    )
    if school_years is not None:
        statement = statement.where(AssessmentResult.school_year.in_(sorted(set(school_years))))
    if students is not None:
        statement = statement.where(AssessmentResult.student_id.in_(students))
    return statement


async def refresh_result_status(
    session: AsyncSession | AsyncConnection,
    district_id: int,
    *,
    school_years: Iterable[str] | None = None,
    students: Students = None,
) -> None:
    """Recompute the district's summary rows for ``school_years`` and ``students`` (every year
    and every student when left out) from the results as they are now in this transaction (of a
    session, or of a connection as the import pipeline holds)."""
    years = None if school_years is None else sorted(set(school_years))
    if years is not None and not years:
        return
    removed = delete(StudentSubjectStatus).where(StudentSubjectStatus.district_id == district_id)
    if years is not None:
        removed = removed.where(StudentSubjectStatus.school_year.in_(years))
    if students is not None:
        removed = removed.where(StudentSubjectStatus.student_id.in_(students))
    await session.execute(removed)
    columns = ("student_id", "subject", "school_year", "district_id", "scored", "below")
    await session.execute(
        insert(StudentSubjectStatus).from_select(columns, _aggregate(district_id, years, students))
    )


async def stale_result_status(session: AsyncSession, district_id: int) -> list[tuple]:
    """Rows where the summary and the results disagree, marked ``missing`` or ``extra`` (empty
    when in step): what the tests check after every kind of write."""
    stored = select(
        StudentSubjectStatus.student_id,
        StudentSubjectStatus.subject,
        StudentSubjectStatus.school_year,
        StudentSubjectStatus.district_id,
        StudentSubjectStatus.scored,
        StudentSubjectStatus.below,
    ).where(StudentSubjectStatus.district_id == district_id)
    computed = _aggregate(district_id, None, None)
    missing = (await session.execute(computed.except_(stored))).all()
    extra = (await session.execute(stored.except_(computed))).all()
    return [("missing", *row) for row in missing] + [("extra", *row) for row in extra]


__all__ = ["refresh_result_status", "stale_result_status"]
