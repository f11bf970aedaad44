"""Students' growth as aggregates: per teacher, subject and school year, how many of the teacher's
students have a growth measure and how many grew less than typical.

Growth comes from the files that carry it (docs/student-results.md, "Growth"): MAP Growth's
fall-to-spring conditional growth percentile (how a student's growth compares with students of
the same grade who started at the same RIT), or, in a file without it, whether the student met
their projected growth. A measure is *short of typical* when the percentile is under 50 (or the
projection was not met); a student is short in a subject and year when more than half of their
measures there are (MAP Reading and Language Usage both measure ELA). The students are those of
the teacher's sections of the year (subject or generalist sections), as for status, narrowed to
the students and years the reader may see. The growth view (services.personalization.growth)
shows every year; needs read the year the data window chose for the status signal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import Assessment, AssessmentResult, Enrollment, Section
from mypd_graph.services.access import Actor, student_scope_condition
from mypd_graph.services.students.figures import _student_condition
from mypd_graph.services.students.status import subject_matches

TYPICAL_GROWTH_PERCENTILE = 50  # a conditional growth percentile of 50 is typical growth
GROWTH_RULE = (
    "Growth where the results carry it: MAP Growth's fall-to-spring conditional growth "
    "percentile (under 50: less growth than typical for students of the same grade who started "
    "at the same score), else whether the student met their projected growth. A student grew "
    "less than typical in a subject and school year when more than half of their growth "
    "measures there did."
)


def short_of_typical() -> ColumnElement[int | None]:
    """1 when one result's growth measure is short of typical, 0 when not, NULL without one."""
    result = AssessmentResult
    return case(
        (
            result.growth_percentile.is_not(None),
            case((result.growth_percentile < TYPICAL_GROWTH_PERCENTILE, 1), else_=0),
        ),
        (
            result.met_projected_growth.is_not(None),
            case((result.met_projected_growth.is_(False), 1), else_=0),
        ),
        else_=None,
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
    """Per teacher, subject and year (every year, or ``years``): students with a growth measure
    and students short of typical growth. One statement."""
    short = short_of_typical()
    per_student = (
        select(
            Section.teacher_id.label("teacher_id"),
            Assessment.subject.label("subject"),
            AssessmentResult.school_year.label("school_year"),
            AssessmentResult.student_id.label("student_id"),
            func.count(short).label("measures"),
            func.sum(short).label("short"),
        )
        .select_from(Enrollment)
        .join(Section, Section.id == Enrollment.section_id)
        .join(
            AssessmentResult,
            and_(
                AssessmentResult.student_id == Enrollment.student_id,
                AssessmentResult.school_year == Section.school_year,
            ),
        )
        .join(Assessment, Assessment.id == AssessmentResult.assessment_id)
        .where(
            Section.teacher_id.in_(teachers),
            Assessment.district_id == actor.district_id,
            short.is_not(None),
            subject_matches(Section.subject, Assessment.subject),
            _student_condition(actor),
            student_scope_condition(
                actor, Section.school_year, Section.subject, Assessment.subject
            ),
        )
        .group_by(
            Section.teacher_id,
            Assessment.subject,
            AssessmentResult.school_year,
            AssessmentResult.student_id,
        )
    )
    if years is not None:
        chosen = sorted(set(years))
        if not chosen:
            return []
        per_student = per_student.where(AssessmentResult.school_year.in_(chosen))
    students = per_student.subquery()
    rows = await session.execute(
        select(
            students.c.teacher_id,
            students.c.subject,
            students.c.school_year,
            func.count(),
            func.sum(case((2 * students.c.short > students.c.measures, 1), else_=0)),
        ).group_by(students.c.teacher_id, students.c.subject, students.c.school_year)
    )
    return [
        GrowthFigure(teacher, subject, year, int(n), int(short_count or 0))
        for teacher, subject, year, n, short_count in rows
    ]


__all__ = [
    "GROWTH_RULE",
    "TYPICAL_GROWTH_PERCENTILE",
    "GrowthFigure",
    "short_of_typical",
    "teacher_growth",
]
