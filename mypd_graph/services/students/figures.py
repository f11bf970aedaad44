"""Students' results as aggregates for personalization: per teacher, per district, per school.

Everything here is a GROUP BY in the database; no student row reaches Python. Each student's status
per subject and year, and each teacher's figures made from them, come from the summary tables the
writers of results and rosters keep (:mod:`mypd_graph.services.students.status`), not from the
results themselves. The rules:

- **Whose students.** A teacher's students in a subject and school year are the students enrolled
  in the teacher's sections of that year whose subject is the assessment's subject, or a generalist
  section (``Multiple Subjects``, empty subject) that covers every subject: an elementary homeroom
  teacher answers for Math and ELA, a secondary math teacher for Math only.
- **Below standard.** A result is below standard by its assessment's rule (``status.result_met``:
  level or percentile). A *student*'s status in a subject and year is decided by their summative
  result (CAASPP) when there is one, else by their latest interim season's results, below when
  more than half of those are (``status.STATUS_RULE``; docs/student-results.md).
- **Small groups.** Callers compare student counts with the district's minimum group size and
  suppress smaller groups; the counts used for that comparison never leave the service.
- **Audit.** Aggregates do not disclose any one student, but they are read from student records:
  :func:`record_aggregate_read` writes one audit event per call that read them (per loader batch,
  so about one per request), naming the teachers or schools whose students were aggregated.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, Select, and_, case, distinct, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.models import (
    Assessment,
    AssessmentResult,
    Enrollment,
    Role,
    Section,
    Student,
    StudentSubjectStatus,
    TeacherSubjectStatus,
)
from mypd_graph.services.access import Actor, student_scope_condition, visible_student_ids
from mypd_graph.services.students.rosters import record_read
from mypd_graph.services.students.status import (
    below_standard,
    result_met,
    subject_matches,
    teacher_aggregate,
)
from mypd_graph.services.students.window import Basis, DataWindow, choose_rows, data_window

# Roles that may read every student of every teacher whose needs they see (access.py): for them a
# teacher's figures come straight from the teacher summary.
WHOLE_ROSTER_ROLES = frozenset({Role.DISTRICT_ADMIN, Role.TEACHER, Role.COACH})
STUDENT_AGGREGATE = "student_aggregate"


def record_aggregate_read(
    session: AsyncSession,
    actor: Actor,
    owners: Iterable[int],
    detail: str,
    *,
    of_teachers: bool = False,
) -> None:
    """One audit event for one aggregate read; ``owners`` are the teacher or school ids.

    ``of_teachers``: the owners are teachers whose growth profile (needs, growth) was read, so
    the trail answers "who read this teacher's profile".
    """
    owners = set(owners)
    record_read(
        session, actor, STUDENT_AGGREGATE, owners, detail, teachers=owners if of_teachers else ()
    )


def per_student_status(
    district_id: int, students: Select[tuple[int]] | None = None, years: Iterable[str] = ()
) -> Select[tuple[int, str, str, int]]:
    """``(student_id, subject, school_year, below)`` with ``below`` 1 when most results were,
    read from the summary the results' writers keep (:mod:`mypd_graph.services.students.status`)."""
    status = StudentSubjectStatus
    statement = select(
        status.student_id.label("student_id"),
        status.subject.label("subject"),
        status.school_year.label("school_year"),
        case((below_standard(), 1), else_=0).label("below"),
    ).where(status.district_id == district_id)
    if students is not None:
        statement = statement.where(status.student_id.in_(students))
    years = sorted(set(years))
    if years:
        statement = statement.where(status.school_year.in_(years))
    return statement


def _student_condition(actor: Actor) -> ColumnElement[bool]:
    """Students the actor may read. A district admin reads every student of the district, and
    results are already limited to the district's assessments, so the condition is left out for
    them (it costs a semi-join over every enrollment on large districts)."""
    if actor.is_district_admin:
        return true()
    return Enrollment.student_id.in_(visible_student_ids(actor))


@dataclass(frozen=True)
class SubjectResults:
    """One teacher's students in one subject and year: how many, and how many below standard."""

    teacher_id: int
    subject: str
    school_year: str
    students: int
    below: int
    basis: Basis = Basis.CURRENT  # why this year speaks for the teacher (the data window)
    window: DataWindow | None = None

    @property
    def share_below(self) -> float:
        return self.below / self.students if self.students else 0.0


@dataclass(frozen=True)
class Norm:
    """All of the district's students with results in a subject and year."""

    students: int
    below: int

    @property
    def share_below(self) -> float:
        return self.below / self.students if self.students else 0.0


def per_teacher(
    actor: Actor, teachers: Select[tuple[int]] | list[int], years: Iterable[str] | None
) -> Select[tuple[int, str, str, int, int, int]]:
    """Per teacher, subject and year (and district): the teacher's students with results and how
    many of them are below standard (see :func:`.status.teacher_aggregate`), as a statement
    callers run or build on: needs and growth here, and PD impact
    (services.personalization.pd_impact) joins it to completions, so every reader of a teacher's
    students' status gets the same figures under the same access rule. Read from the
    teacher summary when the actor may read every student of the teachers they see (a district
    admin, the teacher, their coach); computed from the student summary, narrowed to the students
    the actor may read, otherwise (a principal: the students of their school and of its
    sections). A teacher reads only the years their district's student scope opens (the
    summary is kept per subject taught, so the year is the whole condition): under "current"
    last year's students never speak, even when the data window would fall back to them."""
    chosen = None if years is None else sorted(set(years))
    if actor.role in WHOLE_ROSTER_ROLES:
        summary = TeacherSubjectStatus
        statement = select(
            summary.teacher_id,
            summary.subject,
            summary.school_year,
            summary.district_id,
            summary.students,
            summary.below,
        ).where(
            summary.district_id == actor.district_id,
            summary.teacher_id.in_(teachers),
            student_scope_condition(actor, summary.school_year),
        )
        if chosen is not None:
            statement = statement.where(summary.school_year.in_(chosen))
        return statement
    return teacher_aggregate(actor.district_id, chosen, teachers, _student_condition(actor))


_per_teacher = per_teacher  # the name tests/test_result_status.py imports


async def teacher_status_by_year(
    session: AsyncSession, actor: Actor, teacher_ids: list[int]
) -> list[SubjectResults]:
    """Per teacher, subject and every school year: the students with results and those below
    standard, by the same summaries and rule as needs (so growth and needs agree)."""
    rows = (await session.execute(per_teacher(actor, teacher_ids, None))).all()
    return [
        SubjectResults(teacher, subject, year, int(n), int(below or 0))
        for teacher, subject, year, _, n, below in rows
    ]


async def subject_results(
    session: AsyncSession, actor: Actor, teachers: Select[tuple[int]], as_of: date | None = None
) -> tuple[list[SubjectResults], dict[tuple[str, str], Norm]]:
    """Per teacher and subject, in the year the data window chooses for that teacher
    (:mod:`.window`: the current year once enough of their students have results in it, else
    the most recent complete year): students with results and students below standard; and the
    district norms of those subjects and years. Other years are history (growth shows them)."""
    window = await data_window(session, actor.district_id, as_of or datetime.now(UTC).date())
    years = window.years()
    rows = (await session.execute(per_teacher(actor, teachers, years))).all()
    found = [
        SubjectResults(teacher, subject, year, int(n), int(below or 0))
        for teacher, subject, year, _, n, below in rows
    ]
    results = [
        replace(row, basis=basis, window=window)
        for row, basis in choose_rows(
            window, found, lambda r: (r.teacher_id, r.subject, r.school_year)
        )
    ]
    spoken = {row.school_year for row in results}
    return results, await district_norms(session, actor.district_id, spoken) if spoken else {}


async def district_norms(
    session: AsyncSession, district_id: int, years: Iterable[str]
) -> dict[tuple[str, str], Norm]:
    """``{(subject, school_year): Norm}`` for the given years (every year when none given)."""
    status = per_student_status(district_id, years=years).subquery()
    rows = await session.execute(
        select(
            status.c.subject, status.c.school_year, func.count(), func.sum(status.c.below)
        ).group_by(status.c.subject, status.c.school_year)
    )
    return {(subject, year): Norm(int(n), int(below or 0)) for subject, year, n, below in rows}


@dataclass(frozen=True)
class TermResults:
    """A teacher's students on one assessment in one testing window (suppressed when small)."""

    teacher_id: int
    assessment_id: int
    assessment_name: str
    subject: str
    school_year: str
    term: str
    students: int
    at_or_above: int
    mean_scale_score: float | None
    classroom: bool = False  # a classroom assessment of the teacher's own (services/imports)


async def teacher_results_by_term(
    session: AsyncSession, actor: Actor, teacher_ids: list[int]
) -> list[TermResults]:
    """Per teacher, assessment, year and term: students, how many met standard, mean score;
    for a teacher viewer only the sections' years and subjects the student scope opens. A
    classroom assessment (``Assessment.classroom_teacher_id``) belongs to the teacher who entered
    it: it shows in that teacher's figures only, never in those of another teacher of the same
    students (a quiz one teacher wrote says nothing about another's class)."""
    met = result_met()  # the proficiency rule the summaries use, so the figures agree
    rows = await session.execute(
        select(
            Section.teacher_id,
            Assessment.id,
            Assessment.name,
            Assessment.subject,
            AssessmentResult.school_year,
            AssessmentResult.term,
            func.count(distinct(case((met.is_not(None), AssessmentResult.student_id)))),
            func.count(distinct(case((met == 1, AssessmentResult.student_id)))),
            func.avg(AssessmentResult.scale_score),
            Assessment.classroom_teacher_id,
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
            Section.teacher_id.in_(teacher_ids),
            Assessment.district_id == actor.district_id,
            or_(
                Assessment.classroom_teacher_id.is_(None),
                Assessment.classroom_teacher_id == Section.teacher_id,
            ),
            subject_matches(Section.subject, Assessment.subject),
            _student_condition(actor),
            # A student still in reach counts in a past year's figure only where the scope
            # opens that year's section (visible_student_ids alone would count every year).
            student_scope_condition(
                actor, Section.school_year, Section.subject, Assessment.subject
            ),
        )
        .group_by(
            Section.teacher_id,
            Assessment.id,
            Assessment.name,
            Assessment.subject,
            AssessmentResult.school_year,
            AssessmentResult.term,
            Assessment.classroom_teacher_id,
        )
    )
    return [
        TermResults(*row[:8], float(row[8]) if row[8] is not None else None, row[9] is not None)
        for row in rows
    ]


@dataclass(frozen=True)
class SchoolResults:
    school_id: int | None
    subject: str
    school_year: str
    students: int
    below: int
    basis: Basis | None = None  # why the year speaks (None: the year was asked for)


async def school_results(
    session: AsyncSession,
    actor: Actor,
    school_id: int | None,
    school_year: str | None,
    as_of: date | None = None,
) -> tuple[list[SchoolResults], DataWindow | None]:
    """Per school (the student's school of record) and subject, in ``school_year`` or else the
    year the data window chooses for that school and subject (:mod:`.window`, the rule needs
    use for a teacher), over the students the viewer may read; and the window (None when a
    year was asked for)."""
    window = None
    if school_year:
        years = [school_year]
    else:
        window = await data_window(session, actor.district_id, as_of or datetime.now(UTC).date())
        years = sorted(window.years())
    # A district admin reads every student of the district; the assessments are the district's.
    students = None if actor.is_district_admin else visible_student_ids(actor)
    status = per_student_status(actor.district_id, students, years).subquery()
    statement = (
        select(
            Student.school_id,
            status.c.subject,
            status.c.school_year,
            func.count(),
            func.sum(status.c.below),
        )
        .join(Student, Student.id == status.c.student_id)
        .group_by(Student.school_id, status.c.subject, status.c.school_year)
    )
    if school_id is not None:
        statement = statement.where(Student.school_id == school_id)
    found = [
        SchoolResults(school, subject, year, int(n), int(below or 0))
        for school, subject, year, n, below in await session.execute(statement)
    ]
    if window is None:
        return found, None
    chosen = choose_rows(window, found, lambda r: (r.school_id, r.subject, r.school_year))
    return [replace(row, basis=basis) for row, basis in chosen], window
