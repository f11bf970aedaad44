"""Students' data removed: one student on request, or every school year before the retention line.

A parent's or the law's request removes one student's results, enrollments, summary rows and the
student row itself; the district's retention rule removes the results, sections and enrollments of
every school year before a given one, and the students left with nothing. Both refresh the
summaries in the same transaction (the rule of :mod:`mypd_graph.services.students.status`), so
needs and district views are right the moment it commits, and both leave a tombstone in the audit
trail: what was removed (counts, the local id of a deleted student), never the data itself.
Earlier audit events that name the student stay (the trail is append-only); they hold ids only.

Run by the operator from the CLI (no user id in the tombstone).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    Assessment,
    AssessmentResult,
    Enrollment,
    School,
    Section,
    Student,
    StudentSubjectStatus,
)
from mypd_graph.services.errors import NotFound
from mypd_graph.services.inputs import check_cycle
from mypd_graph.services.privacy.audit import new_event
from mypd_graph.services.students.status import refresh_result_status, refresh_teacher_status

STUDENT_DELETED = "student_deleted"
STUDENTS_PURGED = "student_purge"


@dataclass(frozen=True)
class Removed:
    """What a deletion or purge removed (the tombstone says the same)."""

    students: int
    results: int
    enrollments: int
    sections: int = 0


async def delete_student(
    session: AsyncSession, district_id: int, local_id: str, reason: str = ""
) -> Removed:
    """Remove one student's data and the student; :class:`NotFound` when the district has no
    student with that local id."""
    student_id = await session.scalar(
        select(Student.id).where(Student.district_id == district_id, Student.local_id == local_id)
    )
    if student_id is None:
        raise NotFound(f"no student with local id {local_id!r} in this district")
    teachers = sorted(
        await session.scalars(
            select(Section.teacher_id)
            .join(Enrollment, Enrollment.section_id == Section.id)
            .where(Enrollment.student_id == student_id)
            .distinct()
        )
    )
    results = await _delete(
        session, delete(AssessmentResult).where(AssessmentResult.student_id == student_id)
    )
    enrollments = await _delete(
        session, delete(Enrollment).where(Enrollment.student_id == student_id)
    )
    await session.execute(
        delete(StudentSubjectStatus).where(StudentSubjectStatus.student_id == student_id)
    )
    await session.execute(delete(Student).where(Student.id == student_id))
    await refresh_teacher_status(session, district_id, teachers=teachers)
    detail = f"local id {local_id}: {results} results, {enrollments} enrollments removed"
    session.add(
        new_event(
            STUDENT_DELETED,
            "student",
            [student_id],
            detail=f"{detail}; {reason}" if reason else detail,
            students=[student_id],
            teachers=teachers,
            district_id=district_id,
        )
    )
    return Removed(1, results, enrollments)


async def purge_before(session: AsyncSession, district_id: int, school_year: str) -> Removed:
    """Apply the retention rule: remove every result, section and enrollment of the district's
    school years before ``school_year`` (``2023-24``), then the students left with none."""
    line = check_cycle(school_year, ("before",))
    district_sections = (
        select(Section.id)
        .join(School, School.id == Section.school_id)
        .where(School.district_id == district_id)
    )
    old_sections = district_sections.where(Section.school_year < line)
    years = sorted(
        set(
            await session.scalars(
                select(AssessmentResult.school_year)
                .join(Assessment, Assessment.id == AssessmentResult.assessment_id)
                .where(Assessment.district_id == district_id, AssessmentResult.school_year < line)
                .distinct()
            )
        )
        | set(
            await session.scalars(
                select(Section.school_year).where(Section.id.in_(old_sections)).distinct()
            )
        )
    )
    district_assessments = select(Assessment.id).where(Assessment.district_id == district_id)
    results = await _delete(
        session,
        delete(AssessmentResult).where(
            AssessmentResult.assessment_id.in_(district_assessments),
            AssessmentResult.school_year < line,
        ),
    )
    enrollments = await _delete(
        session, delete(Enrollment).where(Enrollment.section_id.in_(old_sections))
    )
    sections = await _delete(session, delete(Section).where(Section.id.in_(old_sections)))
    left_with_nothing = select(Student.id).where(
        Student.district_id == district_id,
        ~exists().where(AssessmentResult.student_id == Student.id),
        ~exists().where(Enrollment.student_id == Student.id),
    )
    students = await _delete(session, delete(Student).where(Student.id.in_(left_with_nothing)))
    await refresh_result_status(session, district_id, school_years=years)
    session.add(
        new_event(
            STUDENTS_PURGED,
            "school_year",
            years,
            detail=f"school years before {line}: {results} results, {enrollments} enrollments, "
            f"{sections} sections, {students} students left with no data removed",
            district_id=district_id,
        )
    )
    return Removed(students, results, enrollments, sections)


async def _delete(session: AsyncSession, statement: object) -> int:
    result = await session.execute(statement.execution_options(synchronize_session=False))  # type: ignore[attr-defined]
    return int(result.rowcount or 0)
