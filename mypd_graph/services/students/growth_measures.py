"""Students' growth as aggregates: per teacher, subject and school year, how many of the teacher's
students have a growth measure and how many grew less than typical.

Growth comes from the files that carry it (docs/student-results.md, "Growth"): MAP Growth's
fall-to-spring conditional growth percentile (how a student's growth compares with students of
the same grade who started at the same RIT), or, in a file without it, whether the student met
their projected growth. A measure is *short of typical* when the percentile is under 50 (or the
projection was not met: ``status.short_of_typical``); a student is short in a subject and year
when more than half of their measures there are (MAP Reading and Language Usage both measure
ELA). The counts live in the summaries beside the status (``student_subject_status`` per
student, ``teacher_subject_status`` per teacher: their writers keep them), so reading them costs
what reading the status costs: the teacher's students are those of the teacher's sections of the
year, as for status, narrowed to what the reader may see. The growth view
(services.personalization.growth) shows every year; needs read the year the data window chose
for the status signal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import TeacherSubjectStatus
from mypd_graph.services.access import Actor, student_scope_condition
from mypd_graph.services.students.figures import WHOLE_ROSTER_ROLES, _student_condition
from mypd_graph.services.students.status import (
    TYPICAL_GROWTH_PERCENTILE,
    short_of_typical,
    teacher_aggregate,
)

GROWTH_RULE = (
    "Growth where the results carry it: MAP Growth's fall-to-spring conditional growth "
    "percentile (under 50: less growth than typical for students of the same grade who started "
    "at the same score), else whether the student met their projected growth. A student grew "
    "less than typical in a subject and school year when more than half of their growth "
    "measures there did."
)


@dataclass(frozen=True)
class GrowthFigure:
    """One teacher's students with a growth measure in one subject and year, and those short."""

    teacher_id: int
    subject: str
    school_year: str
    students: int
    short: int

    @property
    def share_short(self) -> float:
        return self.short / self.students if self.students else 0.0


async def teacher_growth(
    session: AsyncSession,
    actor: Actor,
    teachers: Select[tuple[int]] | list[int],
    years: Iterable[str] | None = None,
) -> list[GrowthFigure]:
    """Per teacher, subject and year (every year, or ``years``) with any growth measure: the
    students with one and those short of typical growth. One statement over the teacher summary
    for the roles that read every student of a teacher (as the status figures), else over the
    student summary narrowed to the students the actor may read (a principal)."""
    chosen = None if years is None else sorted(set(years))
    if chosen is not None and not chosen:
        return []
    if actor.role in WHOLE_ROSTER_ROLES:
        summary = TeacherSubjectStatus
        statement = select(
            summary.teacher_id,
            summary.subject,
            summary.school_year,
            summary.growth_students,
            summary.growth_short,
        ).where(
            summary.district_id == actor.district_id,
            summary.teacher_id.in_(teachers),
            summary.growth_students > 0,
            student_scope_condition(actor, summary.school_year),
        )
        if chosen is not None:
            statement = statement.where(summary.school_year.in_(chosen))
    else:
        computed = teacher_aggregate(
            actor.district_id, chosen, teachers, _student_condition(actor), growth=True
        ).subquery()
        columns = list(computed.c)
        statement = select(*columns[:3], *columns[6:8]).where(columns[6] > 0)
    rows = await session.execute(statement)
    return [
        GrowthFigure(teacher, subject, year, int(n), int(short or 0))
        for teacher, subject, year, n, short in rows
    ]


__all__ = [
    "GROWTH_RULE",
    "TYPICAL_GROWTH_PERCENTILE",
    "GrowthFigure",
    "short_of_typical",
    "teacher_growth",
]
