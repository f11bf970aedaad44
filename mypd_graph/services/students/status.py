"""Keeping the students' result summaries in step with results and rosters.

Needs and district views read two summaries instead of grouping rows on every request:

- ``student_subject_status`` (:class:`~mypd_graph.models.StudentSubjectStatus`): each student's
  scored and below-standard results per subject and year, made from ``assessment_result``;
- ``teacher_subject_status`` (:class:`~mypd_graph.models.TeacherSubjectStatus`): each teacher's
  students per subject and year and how many are below standard, made from the first through
  the teacher's sections and their enrollments.

The price is this rule: **whoever writes assessment results (or changes an assessment's subject or
proficient level) calls** :func:`refresh_result_status` (it refreshes both summaries), **and whoever
writes sections or enrollments, or deletes students, calls** :func:`refresh_teacher_status`, **in
the same transaction**, so a reader never sees rows and summaries disagree. The import pipeline
does both; the demo loader, benchmarks and test factories write their rosters first and then call
:func:`refresh_result_status`. :func:`stale_result_status` is the check the tests run after each
kind of write.

Refreshes of one district take turns (:func:`lock_summaries`), so a roster import and a score
import finishing at the same time each recompute from what the other committed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    distinct,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from mypd_graph.models import (
    Assessment,
    AssessmentResult,
    DistrictSettings,
    Enrollment,
    Section,
    StudentSubjectStatus,
    TeacherSubjectStatus,
)
from mypd_graph.models.settings import DEFAULT_PROFICIENT_PERCENTILE

Ids = Select[tuple[int]] | Sequence[int] | None

# Section subjects that mean "this teacher teaches every subject to these students".
GENERALIST_SUBJECTS = ("multiple subjects", "self-contained", "")
SUMMARY_LOCK = 0x4D595046  # the advisory lock class of summary refreshes (with the district id)


async def lock_summaries(session: AsyncSession | AsyncConnection, district_id: int) -> None:
    """Make refreshes of the district's summaries take turns until this transaction ends
    (PostgreSQL; SQLite has one writer anyway). A refresh deletes rows, then recomputes them; under
    READ COMMITTED, one that waited on rows another transaction deleted would then insert beside
    what the other committed (a duplicate key) or keep rows the other's roster change made wrong.
    Taken before the first delete, every statement after it sees what the other committed."""
    connection = session if isinstance(session, AsyncConnection) else await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:lock, :district_id)"),
            {"lock": SUMMARY_LOCK, "district_id": district_id},
        )


def subject_matches(
    section_subject: ColumnElement[str], subject: ColumnElement[str]
) -> ColumnElement[bool]:
    """A section answers for a subject when it is that subject or a generalist section."""
    lowered = func.lower(section_subject)
    return or_(lowered == func.lower(subject), lowered.in_(GENERALIST_SUBJECTS))


# The rules in words, as GraphQL (NeedSignal.rule, growth's studentStatus) and
# docs/student-results.md state them; result_met and below_standard are their code.
PROFICIENCY_RULE = (
    "A result is at or above standard by its assessment's rule: an achievement level at or "
    "above the assessment's proficient level (CAASPP 3 of 4, i-Ready 4 of 5: early on grade "
    "level), or, for assessments judged by percentile (NWEA MAP Growth, whose files carry no "
    "level), an achievement percentile at or above the cut (the assessment's own, else the "
    "district's, the 50th by default)."
)
STATUS_RULE = (
    "A student's status in a subject and school year is decided by the summative assessment "
    "(the year-end state test, CAASPP) when they have a judged result of it; otherwise by "
    "their latest interim results (MAP Growth, i-Ready, CAASPP interims: the latest testing "
    "season, spring over winter over fall). Results of the same kind and season count "
    "together: the student is below standard when more than half of them are."
)
RESULTS_RULES = f"{PROFICIENCY_RULE} {STATUS_RULE}"

# The testing seasons of a school year, in order (a term written as a date falls in its season).
SEASONS = {"fall": 1, "winter": 2, "spring": 3, "summer": 4}
MONTHS = (("07", "08", "09", "10", "11"), ("12", "01", "02"), ("03", "04", "05", "06"))
SUMMATIVE_RANK = 10  # added to the season: any summative result outranks every interim one


def season(term: str) -> int:
    """The season's place in the school year (1 fall ... 4 summer), 0 when the term names none:
    the Python twin of :func:`decider` for the import pipeline's first loads."""
    known = SEASONS.get(term.lower())
    if known is not None:
        return known
    month = term[5:7]
    for rank, months in enumerate(MONTHS, start=1):
        if month in months:
            return rank
    return 0


def decider_rank(summative: bool, term: str) -> int:
    """Which results decide a student's status (the highest rank among theirs decides)."""
    return (SUMMATIVE_RANK if summative else 0) + season(term)


def decider() -> ColumnElement[int]:
    """The rank of one result (joined with its assessment) in the status rule: summative over
    interim, then the later season; a student's results of the highest rank decide
    (:data:`STATUS_RULE`). A term written as an ISO date falls in its month's season."""
    term = func.lower(AssessmentResult.term)
    month = func.substr(AssessmentResult.term, 6, 2)
    by_date = case(
        *((month.in_(months), rank) for rank, months in enumerate(MONTHS, start=1)), else_=0
    )
    seasons = case(
        *((term == name, rank) for name, rank in SEASONS.items()),
        else_=by_date,
    )
    return case((Assessment.summative.is_(True), SUMMATIVE_RANK), else_=0) + seasons


TYPICAL_GROWTH_PERCENTILE = 50  # a conditional growth percentile of 50 is typical growth


def short_of_typical() -> ColumnElement[int | None]:
    """1 when one result's growth measure is short of typical (a conditional growth percentile
    under 50, or, without one, a projection not met), 0 when not, NULL without a measure
    (services.students.growth_measures, docs/student-results.md)."""
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


def below_standard() -> ColumnElement[bool]:
    """A student is below standard in a subject and year when more than half of their deciding
    results there were (:data:`STATUS_RULE`): the one statement of it."""
    return 2 * StudentSubjectStatus.below > StudentSubjectStatus.scored


def percentile_cut() -> ColumnElement[int]:
    """The percentile from which a result of the assessment meets standard: its own cut, else
    its district's (``district_settings.proficient_percentile``), else the 50th."""
    district_cut = (
        select(DistrictSettings.proficient_percentile)
        .where(DistrictSettings.district_id == Assessment.district_id)
        .correlate(Assessment)
        .scalar_subquery()
    )
    return func.coalesce(
        Assessment.proficient_percentile, district_cut, DEFAULT_PROFICIENT_PERCENTILE
    )


def result_met() -> ColumnElement[int | None]:
    """Whether one result (joined with its assessment) is at or above standard: 1, 0, or NULL
    when the result says nothing the assessment's rule reads. The proficiency rule, stated once
    (docs/student-results.md): an assessment judged by level (CAASPP: 3 of 4; i-Ready: 4 of 5,
    early on grade level) compares the result's achievement level with its proficient level; one
    judged by percentile (MAP Growth), or a result of a level-judged assessment that carries a
    percentile and no level (a MAP file), compares the achievement percentile with the cut
    (:func:`percentile_cut`). The import pipeline counts a first load by the same rule
    (``importers/results.py``)."""
    result = AssessmentResult
    return case(
        (
            and_(Assessment.proficiency_basis == "level", result.achievement_level.is_not(None)),
            case((result.achievement_level >= Assessment.proficient_level, 1), else_=0),
        ),
        (
            result.percentile.is_not(None),
            case((result.percentile >= percentile_cut(), 1), else_=0),
        ),
        else_=None,
    )


def counts_in_needs() -> ColumnElement[bool]:
    """Whether an assessment's results speak in the summaries and the data window: the
    district's always; a teacher's classroom results (services/imports/classroom.py) only where
    the district turned ``DistrictSettings.classroom_results_in_needs`` on."""
    return or_(
        Assessment.classroom_teacher_id.is_(None),
        select(DistrictSettings.classroom_results_in_needs)
        .where(DistrictSettings.district_id == Assessment.district_id)
        .correlate(Assessment)
        .scalar_subquery()
        .is_(True),
    )


def _aggregate(
    district_id: int, school_years: Iterable[str] | None, students: Ids
) -> Select[tuple[int, str, str, int, int, int, int]]:
    """The student summary rows, computed from the results (the one definition of them): per
    student, subject and year, the deciding results (those of the highest :func:`decider`
    rank among the results :func:`result_met` judges), those of them below, and their rank."""
    met = result_met()
    rank = decider()
    short = short_of_typical()
    judged = (
        select(
            AssessmentResult.student_id,
            Assessment.subject,
            AssessmentResult.school_year,
            rank.label("decided_by"),
            func.count(met).label("scored"),
            func.sum(case((met == 0, 1), else_=0)).label("below"),
            func.count(short).label("growth_measures"),
            func.sum(case((short == 1, 1), else_=0)).label("growth_short"),
        )
        .join(Assessment, Assessment.id == AssessmentResult.assessment_id)
        .where(
            Assessment.district_id == district_id,
            met.is_not(None),
            counts_in_needs(),
        )
        .group_by(
            AssessmentResult.student_id, Assessment.subject, AssessmentResult.school_year, rank
        )
    )
    if school_years is not None:
        judged = judged.where(AssessmentResult.school_year.in_(sorted(set(school_years))))
    if students is not None:
        judged = judged.where(AssessmentResult.student_id.in_(students))
    ranks = judged.subquery()
    group = (ranks.c.student_id, ranks.c.subject, ranks.c.school_year)
    latest = func.row_number().over(partition_by=group, order_by=ranks.c.decided_by.desc())
    ranked = select(
        *ranks.c,
        latest.label("latest"),
        func.sum(ranks.c.growth_measures).over(partition_by=group).label("all_measures"),
        func.sum(ranks.c.growth_short).over(partition_by=group).label("all_short"),
    ).subquery()
    return select(
        ranked.c.student_id,
        ranked.c.subject,
        ranked.c.school_year,
        literal(district_id),
        ranked.c.scored,
        ranked.c.below,
        ranked.c.decided_by,
        ranked.c.all_measures,
        ranked.c.all_short,
    ).where(ranked.c.latest == 1)


def teacher_aggregate(
    district_id: int,
    school_years: Iterable[str] | None = None,
    teachers: Ids = None,
    student_condition: ColumnElement[bool] | None = None,
    growth: bool = False,
) -> Select[tuple[int, str, str, int, int, int]]:
    """``(teacher, subject, year, district, students, below)`` from the student summary: the
    teacher's students in a subject and year are those of the teacher's sections of that year in
    that subject or of a generalist section; a student in two such sections counts once; below
    standard as :func:`below_standard` says. ``student_condition`` narrows the enrollments to a
    reader's view (the one definition, for the summary and for such readers). ``growth`` adds
    the students with a growth measure and those short of typical growth (most measures)."""
    status = StudentSubjectStatus
    columns = [
        Section.teacher_id,
        status.subject,
        status.school_year,
        literal(district_id),
        func.count(distinct(status.student_id)),
        func.count(distinct(case((below_standard(), status.student_id)))),
    ]
    if growth:
        columns += [
            func.count(distinct(case((status.growth_measures > 0, status.student_id)))),
            func.count(
                distinct(
                    case((2 * status.growth_short > status.growth_measures, status.student_id))
                )
            ),
        ]
    statement = (
        select(*columns)
        .select_from(Enrollment)
        .join(Section, Section.id == Enrollment.section_id)
        .join(
            status,
            and_(
                status.student_id == Enrollment.student_id,
                status.school_year == Section.school_year,
                subject_matches(Section.subject, status.subject),
            ),
        )
        .where(status.district_id == district_id)
        .group_by(Section.teacher_id, status.subject, status.school_year)
    )
    if school_years is not None:
        years = sorted(set(school_years))
        statement = statement.where(Section.school_year.in_(years), status.school_year.in_(years))
    if teachers is not None:
        statement = statement.where(Section.teacher_id.in_(teachers))
    if student_condition is not None:
        statement = statement.where(student_condition)
    return statement


async def refresh_result_status(
    session: AsyncSession | AsyncConnection,
    district_id: int,
    *,
    school_years: Iterable[str] | None = None,
    students: Ids = None,
) -> None:
    """Recompute the district's student summary rows for ``school_years`` and ``students`` (every
    year and every student when left out) from the results as they are now in this transaction
    (of a session, or of a connection as the import pipeline holds), then the teacher summary
    rows those students count in."""
    years = None if school_years is None else sorted(set(school_years))
    if years is not None and not years:
        return
    await _replace(
        session,
        StudentSubjectStatus,
        district_id,
        years,
        (StudentSubjectStatus.student_id, students),
        _aggregate(district_id, years, students),
    )
    teachers = None
    connection = session if isinstance(session, AsyncConnection) else await session.connection()
    if students is None and connection.dialect.name == "postgresql":
        # The teacher summary is computed from the rows just written: without statistics (a
        # fresh database's first load) PostgreSQL took the table for empty and planned nested
        # loops over every enrollment (minutes for a district). ANALYZE samples a fixed number of
        # rows, runs inside the transaction and sees its rows.
        await connection.execute(text("ANALYZE student_subject_status"))
    if students is not None:
        teachers = (
            select(Section.teacher_id)
            .join(Enrollment, Enrollment.section_id == Section.id)
            .where(Enrollment.student_id.in_(students))
            .distinct()
        )
    await refresh_teacher_status(session, district_id, school_years=years, teachers=teachers)


async def refresh_teacher_status(
    session: AsyncSession | AsyncConnection,
    district_id: int,
    *,
    school_years: Iterable[str] | None = None,
    teachers: Ids = None,
) -> None:
    """Recompute the district's teacher summary rows for ``school_years`` and ``teachers`` (every
    year and every teacher when left out) from the student summary, sections and enrollments as
    they are now in this transaction: after results change (:func:`refresh_result_status` calls
    it) and after sections or enrollments change."""
    years = None if school_years is None else sorted(set(school_years))
    if years is not None and not years:
        return
    if teachers is not None and not isinstance(teachers, Select):
        teachers = sorted(set(teachers))
        if not teachers:
            return
    await _replace(
        session,
        TeacherSubjectStatus,
        district_id,
        years,
        (TeacherSubjectStatus.teacher_id, teachers),
        teacher_aggregate(district_id, years, teachers, growth=True),
    )


async def _replace(
    session: AsyncSession | AsyncConnection,
    summary: type[StudentSubjectStatus] | type[TeacherSubjectStatus],
    district_id: int,
    years: list[str] | None,
    owners: tuple[ColumnElement[int], Ids],
    computed: Select[Any],
) -> None:
    """Delete the summary's rows of the district, years and owners (students or teachers) given,
    then insert them as ``computed`` (whose columns are the summary's, in order), taking turns
    with other refreshes of the district first."""
    await lock_summaries(session, district_id)
    removed = delete(summary).where(summary.district_id == district_id)
    if years is not None:
        removed = removed.where(summary.school_year.in_(years))
    owner, ids = owners
    if ids is not None:
        removed = removed.where(owner.in_(ids))
    await session.execute(removed)
    columns = [column.name for column in summary.__table__.columns]
    await session.execute(insert(summary).from_select(columns, computed))


async def stale_result_status(session: AsyncSession, district_id: int) -> list[tuple]:
    """Rows where a summary and what it summarizes disagree, as ``(missing or extra, student or
    teacher, *row)`` (empty when both are in step): what the tests check after every kind of
    write. The teacher summary is checked against the student summary as stored."""
    found: list[tuple] = []
    for kind, table, computed in (
        ("student", StudentSubjectStatus, _aggregate(district_id, None, None)),
        ("teacher", TeacherSubjectStatus, teacher_aggregate(district_id, growth=True)),
    ):
        stored = select(*(column for column in table.__table__.columns)).where(
            table.district_id == district_id
        )
        missing = (await session.execute(computed.except_(stored))).all()
        extra = (await session.execute(stored.except_(computed))).all()
        found += [("missing", kind, *row) for row in missing]
        found += [("extra", kind, *row) for row in extra]
    return found


__all__ = [
    "GENERALIST_SUBJECTS",
    "PROFICIENCY_RULE",
    "RESULTS_RULES",
    "STATUS_RULE",
    "decider",
    "decider_rank",
    "below_standard",
    "counts_in_needs",
    "lock_summaries",
    "percentile_cut",
    "result_met",
    "refresh_result_status",
    "refresh_teacher_status",
    "short_of_typical",
    "stale_result_status",
    "subject_matches",
    "teacher_aggregate",
]
