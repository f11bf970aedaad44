"""Sections, students and assessment results: student data, scoped by FERPA rules and audited.

Every function that returns student-level rows (students, results) limits them with
:func:`~mypd_graph.services.access.visible_student_ids` (results: ``result_condition``, which also
applies the district's student scope to a teacher) in the same statement that loads them, and
writes one :class:`~mypd_graph.models.AuditEvent` per call naming exactly the rows disclosed. The
functions are DataLoader batch functions (``(session, actor, keys) -> list aligned to keys``), so a
request writes one audit row per batch, not one per student, and the caller's commit (the request
context commits each loader's short session) persists the audit row with the read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from mypd_graph.models import (
    Assessment,
    AssessmentResult,
    AuditEvent,
    AuditSubject,
    Enrollment,
    School,
    Section,
    Student,
)
from mypd_graph.services.access import (
    Actor,
    result_condition,
    teacher_condition,
    visible_student_ids,
)
from mypd_graph.services.common import Page, check_first, group_by_key, one_by_key
from mypd_graph.services.inputs import search_pattern, today
from mypd_graph.services.students.window import school_year_of

STUDENT = "student"
ASSESSMENT_RESULT = "assessment_result"


def record_read(
    session: AsyncSession,
    actor: Actor,
    entity: str,
    ids: Iterable[int],
    detail: str,
    *,
    students: Iterable[int] = (),
    teachers: Iterable[int] = (),
) -> AuditEvent | None:
    """Add the audit row for one read of student data; nothing is written when nothing was read.

    The row joins the reading session's transaction, so the read and its record commit together.
    It names the students (and teachers) whose records were read, so "who accessed this
    student's records" is one lookup; who, when and from where are stamped on it at flush
    (:mod:`mypd_graph.services.privacy.audit`).
    """
    unique = sorted(set(ids))
    if not unique:
        return None
    student_ids = set(unique) if entity == STUDENT else set(students)
    subjects = [AuditSubject(kind="student", subject_id=i) for i in sorted(student_ids)]
    subjects += [AuditSubject(kind="teacher", subject_id=i) for i in sorted(set(teachers))]
    event = AuditEvent(
        user_id=actor.user_id,
        district_id=actor.district_id,
        action="read",
        entity=entity,
        entity_ids=[str(entity_id) for entity_id in unique],
        detail=detail,
        subjects=subjects,
    )
    session.add(event)
    return event


# -------------------------------------------------------------------------
# Sections (not student data: a class's name and subject; scoped like its teacher)
# -------------------------------------------------------------------------


def _section_condition(actor: Actor) -> ColumnElement[bool]:
    """A section is visible exactly when its teacher is."""
    return teacher_condition(actor, Section.teacher_id)


async def sections_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Section | None]:
    rows = await session.scalars(
        select(Section).where(Section.id.in_(ids), _section_condition(actor))
    )
    return one_by_key(rows, ids, lambda row: row.id)


async def current_years_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[str]:
    """The school year a teacher's student list counts when not asked for one: the district's
    current school year as the student scope reads it (services.access: the newest school year
    of the district's sections that has begun, so over the summer, before a new year's rosters
    arrive, last year's classes are still current), the calendar's when it has no sections.
    One statement for the batch (a DataLoader's); the same year for every teacher."""
    calendar = school_year_of(today())
    current = await session.scalar(
        select(func.max(Section.school_year))
        .join(School, School.id == Section.school_id)
        .where(School.district_id == actor.district_id, Section.school_year <= calendar)
    )
    return [current or calendar for _ in teacher_ids]


async def sections_by_teacher(
    session: AsyncSession, actor: Actor, teacher_ids: Sequence[int]
) -> list[list[Section]]:
    """Each teacher's sections, newest school year first, then by name."""
    rows = await session.scalars(
        select(Section)
        .where(Section.teacher_id.in_(teacher_ids), _section_condition(actor))
        .order_by(Section.school_year.desc(), Section.name, Section.id)
    )
    return group_by_key(rows, teacher_ids, lambda row: row.teacher_id)


# -------------------------------------------------------------------------
# Students
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class StudentFilter:
    """Filters on a list of students; frozen so it can be part of a DataLoader key."""

    section_id: int | None = None
    grade_level: str | None = None
    name_contains: str | None = None
    school_year: str | None = None  # the sections' school year; None: every year in scope


@dataclass(frozen=True)
class StudentPageKey:
    """One page of one owner's students (the owner is a teacher or a section, by loader)."""

    owner_id: int
    where: StudentFilter
    first: int
    after: int | None = None


async def students_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Student | None]:
    """Students the actor may see; ``None`` for any other id, existing or not (no leak)."""
    rows = list(
        await session.scalars(
            select(Student).where(Student.id.in_(ids), Student.id.in_(visible_student_ids(actor)))
        )
    )
    record_read(session, actor, STUDENT, (row.id for row in rows), "by id")
    return one_by_key(rows, ids, lambda row: row.id)


def _enrolled_pairs(
    actor: Actor,
    owner_column: InstrumentedAttribute[int],
    owner_ids: Sequence[int],
    where: StudentFilter,
    after: int | None = None,
) -> Select[Any]:
    """Distinct ``(owner_id, student_id)``: visible students enrolled in visible sections."""
    statement = (
        select(owner_column.label("owner_id"), Enrollment.student_id.label("student_id"))
        .join(Section, Section.id == Enrollment.section_id)
        .join(Student, Student.id == Enrollment.student_id)
        .where(
            owner_column.in_(owner_ids),
            _section_condition(actor),
            Enrollment.student_id.in_(visible_student_ids(actor)),
        )
        .distinct()
    )
    if where.section_id is not None:
        statement = statement.where(Section.id == where.section_id)
    if where.school_year is not None:
        statement = statement.where(Section.school_year == where.school_year)
    if where.grade_level:
        statement = statement.where(Student.grade_level == where.grade_level.strip())
    pattern = search_pattern(where.name_contains, ("where", "nameContains"))
    if pattern:
        statement = statement.where(
            or_(
                Student.first_name.ilike(pattern, escape="\\"),
                Student.last_name.ilike(pattern, escape="\\"),
                (Student.first_name + " " + Student.last_name).ilike(pattern, escape="\\"),
            )
        )
    if after is not None:
        statement = statement.where(Enrollment.student_id > after)
    return statement


async def _student_pages(
    session: AsyncSession,
    actor: Actor,
    owner_column: InstrumentedAttribute[int],
    keys: Sequence[StudentPageKey],
    detail: str,
) -> list[Page[Student]]:
    """Pages for many owners with one statement per distinct (filter, first, after).

    A window function numbers each owner's students, so a list of teachers (or sections) with their
    students costs the same number of statements for 3 owners as for 300.
    """
    by_shape: dict[tuple[StudentFilter, int, int | None], list[int]] = defaultdict(list)
    for key in keys:
        check_first(key.first)  # the schema checks first; this guards every other caller
        by_shape[(key.where, key.first, key.after)].append(key.owner_id)

    found: dict[StudentPageKey, list[Student]] = {}
    disclosed: set[int] = set()
    for (where, first, after), owner_ids in by_shape.items():
        pairs = _enrolled_pairs(actor, owner_column, owner_ids, where, after).subquery()
        position = func.row_number().over(
            partition_by=pairs.c.owner_id, order_by=pairs.c.student_id
        )
        ranked = select(pairs.c.owner_id, pairs.c.student_id, position.label("position")).subquery()
        rows = await session.execute(
            select(ranked.c.owner_id, Student)
            .join(Student, Student.id == ranked.c.student_id)
            .where(ranked.c.position <= first + 1)
            .order_by(ranked.c.owner_id, Student.id)
        )
        grouped: dict[int, list[Student]] = defaultdict(list)
        for owner_id, student in rows:
            grouped[owner_id].append(student)
        for owner_id in owner_ids:
            students = grouped.get(owner_id, [])
            found[StudentPageKey(owner_id, where, first, after)] = students
            disclosed.update(student.id for student in students[:first])

    record_read(session, actor, STUDENT, disclosed, detail)
    pages = []
    for key in keys:
        students = found[key]
        count = select(func.count()).select_from(
            _enrolled_pairs(actor, owner_column, [key.owner_id], key.where).subquery()
        )
        pages.append(
            Page(
                students[: key.first],
                len(students) > key.first,
                count,
                on_count=partial(_record_count, actor=actor, detail=f"{detail}; {key.where}"),
            )
        )
    return pages


def _record_count(session: AsyncSession, total: int, *, actor: Actor, detail: str) -> None:
    """A count of students under a filter discloses student data; it is audited like a read."""
    session.add(
        AuditEvent(
            user_id=actor.user_id,
            district_id=actor.district_id,
            action="count",
            entity=STUDENT,
            entity_ids=[],
            detail=f"{detail}; matched {total}",
        )
    )


async def student_pages_by_teacher(
    session: AsyncSession, actor: Actor, keys: Sequence[StudentPageKey]
) -> list[Page[Student]]:
    """Students enrolled in each teacher's sections, one keyset page per key."""
    return await _student_pages(session, actor, Section.teacher_id, keys, "students of teachers")


async def student_pages_by_section(
    session: AsyncSession, actor: Actor, keys: Sequence[StudentPageKey]
) -> list[Page[Student]]:
    """Students enrolled in each section, one keyset page per key."""
    return await _student_pages(session, actor, Section.id, keys, "students of sections")


# -------------------------------------------------------------------------
# Assessments and results
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoredResult:
    """A result with its assessment, loaded together: a result is never shown without it."""

    result: AssessmentResult
    assessment: Assessment


@dataclass(frozen=True)
class ResultsKey:
    """One student's results, optionally narrowed to a subject and a school year."""

    student_id: int
    subject: str | None = None
    school_year: str | None = None

    def matches(self, row: ScoredResult) -> bool:
        if self.subject and row.assessment.subject.lower() != self.subject.strip().lower():
            return False
        return not (self.school_year and row.result.school_year != self.school_year.strip())

    def condition(self) -> ColumnElement[bool]:
        """The SQL twin of :meth:`matches` (the student id is matched separately)."""
        conditions: list[ColumnElement[bool]] = [true()]
        if self.subject:
            conditions.append(func.lower(Assessment.subject) == self.subject.strip().lower())
        if self.school_year:
            conditions.append(AssessmentResult.school_year == self.school_year.strip())
        return and_(*conditions)


def _scored_results(actor: Actor) -> Select[tuple[AssessmentResult, Assessment]]:
    return (
        select(AssessmentResult, Assessment)
        .join(Assessment, Assessment.id == AssessmentResult.assessment_id)
        .where(
            Assessment.district_id == actor.district_id,
            result_condition(actor, AssessmentResult.student_id, Assessment.subject),
        )
    )


async def results_by_student(
    session: AsyncSession, actor: Actor, keys: Sequence[ResultsKey]
) -> list[list[ScoredResult]]:
    """Each student's results, oldest first; one statement for any mix of filters in the batch."""
    student_ids = sorted({key.student_id for key in keys})
    # One condition per distinct filter in the batch (usually one), OR-ed into a single statement.
    filters = {replace(key, student_id=0) for key in keys}
    statement = _scored_results(actor).where(
        AssessmentResult.student_id.in_(student_ids),
        or_(*(key.condition() for key in filters)),
    )
    rows = [
        ScoredResult(result, assessment)
        for result, assessment in await session.execute(
            statement.order_by(
                AssessmentResult.student_id,
                AssessmentResult.school_year,
                AssessmentResult.administered_on,
                AssessmentResult.id,
            )
        )
    ]
    by_student = group_by_key(rows, [key.student_id for key in keys], lambda r: r.result.student_id)
    answer = [
        [row for row in group if key.matches(row)]
        for key, group in zip(keys, by_student, strict=True)
    ]
    disclosed = [row.result for group in answer for row in group]
    record_read(
        session,
        actor,
        ASSESSMENT_RESULT,
        (result.id for result in disclosed),
        "results of students",
        students=(result.student_id for result in disclosed),
    )
    return answer


async def results_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[ScoredResult | None]:
    rows = [
        ScoredResult(result, assessment)
        for result, assessment in await session.execute(
            _scored_results(actor).where(AssessmentResult.id.in_(ids))
        )
    ]
    record_read(
        session,
        actor,
        ASSESSMENT_RESULT,
        (row.result.id for row in rows),
        "by id",
        students=(row.result.student_id for row in rows),
    )
    return one_by_key(rows, ids, lambda row: row.result.id)


async def assessments_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[Assessment | None]:
    """Assessments of the actor's district (the test itself, not anyone's score)."""
    rows = await session.scalars(
        select(Assessment).where(
            Assessment.id.in_(ids), Assessment.district_id == actor.district_id
        )
    )
    return one_by_key(rows, ids, lambda row: row.id)
