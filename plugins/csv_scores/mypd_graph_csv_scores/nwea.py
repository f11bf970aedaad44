"""NWEA MAP Growth: AssessmentResults.csv (current and pre-2015 column names), the combined
ComboStudentAssessment file, and the Comprehensive Data File zip (names joined from
StudentsBySchool.csv on TermName + StudentID).

MAP reports a RIT score (95 to 350: :mod:`~mypd_graph_csv_scores.ranges`) and a norm percentile;
it has no achievement levels, so
``achievement_level`` stays empty (AchievementQuintile and projected proficiency are not levels).
Growth from fall to spring, where the file carries it (the Comprehensive Data File's
``FallToSpringConditionalGrowthPercentile`` and ``FallToSpringMetProjectedGrowth``, filled on the
spring row once both tests are taken), is kept on that result: the conditional growth percentile
(1-99: how the student's growth compares with students who started at the same RIT in the same
grade) and whether they met their projected growth ("Yes", "No"; a trailing "*" is dropped).
The natural key is student, scale (Math, Reading, Language Usage, Science), school year and
term; when the file says which test event is the term's growth measure (older files'
``GrowthMeasureYN``) the other events of that term are skipped (counted, not errors).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from functools import lru_cache
from typing import TextIO

from mypd_graph.plugins.types import AssessmentResultRecord, RowError, RowSkipped, StudentRecord
from mypd_graph_csv_scores import values
from mypd_graph_csv_scores.common import (
    BadValue,
    Context,
    Memo,
    Skip,
    Students,
    day,
    percentile,
    result_from,
    row_error,
    score,
    unreadable,
)
from mypd_graph_csv_scores.ranges import MAP_RIT
from mypd_graph_csv_scores.reading import Layout, Table, read_header, split_header

NAME = "nwea-map"
VENDOR = "NWEA"

LAYOUT = Layout(
    name=NAME,
    fields={
        "term_name": ("TermName", "Term Name"),
        "student_id": ("StudentID", "Student ID"),
        "course": ("Course", "MeasurementScale", "Measurement Scale"),
        "subject": ("Subject", "Discipline"),
        "score": ("TestRITScore", "Test RIT Score", "RIT Score"),
        "percentile": ("TestPercentile", "Test Percentile", "Percentile"),
        "date": ("TestStartDate", "Test Start Date"),
        "growth_event": ("GrowthMeasureYN", "Growth Measure YN"),
        "growth_percentile": (
            "FallToSpringConditionalGrowthPercentile",
            "Fall To Spring Conditional Growth Percentile",
        ),
        "met_projected_growth": (
            "FallToSpringMetProjectedGrowth",
            "Fall To Spring Met Projected Growth",
        ),
        "first_name": ("StudentFirstName", "Student First Name"),
        "last_name": ("StudentLastName", "Student Last Name"),
        "grade": ("Grade", "Student Grade", "StudentGrade"),
        "state_id": ("Student_StateID", "Student State ID"),
        "school_code": ("School_StateID", "School State ID"),
    },
    required=("term_name", "student_id", ("course", "subject"), "score"),
)

STUDENTS_LAYOUT = Layout(
    name="NWEA StudentsBySchool",
    fields={
        "term_name": ("TermName", "Term Name"),
        "student_id": ("StudentID", "Student ID"),
        "first_name": ("StudentFirstName", "Student First Name"),
        "last_name": ("StudentLastName", "Student Last Name"),
        "grade": ("Grade", "Student Grade"),
        "state_id": ("Student_StateID", "Student State ID"),
    },
    required=("student_id", "first_name", "last_name"),
)

# (assessment key, assessment name, subject) per MAP scale
_SCALES = {
    "math": ("nwea-map-math", "NWEA MAP Growth Math", "Math"),
    "reading": ("nwea-map-reading", "NWEA MAP Growth Reading", "ELA"),
    "language-usage": ("nwea-map-language-usage", "NWEA MAP Growth Language Usage", "ELA"),
    "science": ("nwea-map-science", "NWEA MAP Growth Science", "Science"),
}
_NOT_GROWTH_EVENT = frozenset({"false", "n", "no", "0"})
_MET = {"yes": True, "y": True, "true": True, "no": False, "n": False, "false": False}
_INFINITIES = (float("inf"), float("-inf"))
RIT_LOW, RIT_HIGH = MAP_RIT.low, MAP_RIT.high  # module constants: the check runs once per row


def growth_percentile(text: str) -> int | None:
    """A conditional growth percentile: blank, or a whole number from 1 to 99."""
    text = text.strip()
    if not text:
        return None
    try:
        value = int(float(text))
    except ValueError:
        raise BadValue(
            "growth_percentile", "the conditional growth percentile is not a number", text
        ) from None
    if not 1 <= value <= 99:
        raise BadValue(
            "growth_percentile", "the conditional growth percentile is not between 1 and 99", text
        )
    return value


def met_projected_growth(text: str) -> bool | None:
    """ "Yes", "No" ("Yes*": NWEA marks some with an asterisk), or blank."""
    text = text.strip().rstrip("*").strip().lower()
    if not text:
        return None
    try:
        return _MET[text]
    except KeyError:
        raise BadValue("met_projected_growth", "expected Yes or No", text) from None


@lru_cache(maxsize=256)
def scale(course: str, subject: str) -> tuple[str, str, str] | None:
    """Course "Math K-12"/"Math 6+", MeasurementScale "Mathematics"... -> (key, name, subject)."""
    text = (course or subject).lower()
    if "spanish" in text:
        return None
    if "math" in text:
        return _SCALES["math"]
    if "reading" in text:
        return _SCALES["reading"]
    if "language" in text:
        return _SCALES["language-usage"]
    if "science" in text or "concepts and processes" in text:
        return _SCALES["science"]
    normalized = values.subject(subject) if subject else None
    if normalized is None:
        return None
    key = values.slug(course or subject)
    return (f"nwea-map-{key}", f"NWEA MAP Growth {course or subject}", normalized)


def load_students(stream: TextIO, source_name: str) -> dict[tuple[str, str], tuple[str, ...]]:
    """StudentsBySchool.csv as {(TermName, StudentID): (first, last, grade, state id)}.

    Held in memory: one entry per student and term, the size of the roster, not of the results.
    """
    header_line, header_row = read_header(stream, source_name)
    header = split_header(header_line, ",")
    columns, missing, _ = STUDENTS_LAYOUT.resolve(header)
    if missing:
        return {}
    by_key: dict[tuple[str, str], tuple[str, ...]] = {}
    term_index = columns.get("term_name")
    wanted = [columns.get(name) for name in ("first_name", "last_name", "grade", "state_id")]
    width = len(header)
    for row in csv.reader(stream):
        if not any(row):
            continue
        if len(row) < width:
            row += [""] * (width - len(row))
        student = row[columns["student_id"]].strip()
        term_name = row[term_index].strip() if term_index is not None else ""
        by_key[(term_name, student)] = tuple(
            row[index].strip() if index is not None else "" for index in wanted
        )
        by_key.setdefault(("", student), by_key[(term_name, student)])
    return by_key


def records(
    table: Table, context: Context
) -> Iterator[AssessmentResultRecord | StudentRecord | RowError]:
    columns = table.columns
    i_term = columns["term_name"]
    i_student = columns["student_id"]
    i_score = columns["score"]
    i_course = columns.get("course")
    i_subject = columns.get("subject")
    i_percentile = columns.get("percentile")
    i_date = columns.get("date")
    i_growth = columns.get("growth_event")
    i_growth_percentile = columns.get("growth_percentile")
    i_met = columns.get("met_projected_growth")
    i_first = columns.get("first_name")
    i_last = columns.get("last_name")
    i_grade = columns.get("grade")
    i_state = columns.get("state_id")
    i_school = columns.get("school_code")
    roster: dict[tuple[str, str], tuple[str, ...]] = context.extra.get("students", {})
    students = Students(context)
    seen, want_students = students.seen, students.enabled
    # A million-row file repeats a few terms, subjects, dates and grades: their parsed values are
    # memoized by the cell's raw text (only values that parsed; bad ones go the slow path again).
    terms: dict[str, tuple[str, str]] = {}
    scales: dict[tuple[str, str], tuple[str, str, str]] = {}
    dates = Memo()
    grades = Memo()

    for row_number, row in table.rows():
        if row is None:
            yield unreadable(table, row_number)
            continue
        try:
            student_id = row[i_student].strip()
            if not student_id:
                raise BadValue("student_id", "the student id is missing", "")
            term_text = row[i_term]
            known_term = terms.get(term_text)
            if known_term is None:
                try:
                    known_term = terms[term_text] = values.term_name(term_text.strip())
                except ValueError:
                    raise BadValue(
                        "term_name", "unknown term (expected like 'Fall 2025-2026')", term_text
                    ) from None
            term, year = known_term
            course_text = row[i_course] if i_course is not None else ""
            subject_raw = row[i_subject] if i_subject is not None else ""
            assessment = scales.get((course_text, subject_raw))
            if assessment is None:
                course, subject_text = course_text.strip(), subject_raw.strip()
                assessment = scale(course, subject_text)
                if assessment is None:
                    field_name = "course" if course else "subject"
                    raise BadValue(field_name, "unknown MAP subject", course or subject_text)
                scales[(course_text, subject_raw)] = assessment
            score_text = row[i_score]
            try:
                rit = float(score_text)
                if rit != rit or rit in _INFINITIES:
                    raise ValueError(score_text)
            except ValueError:
                rit = score(score_text)  # blank, "1,215", or the error saying why not
            if rit is None:
                raise BadValue("score", "the RIT score is blank", "")
            if not RIT_LOW <= rit <= RIT_HIGH:
                raise MAP_RIT.problem(rit, score_text)
            if i_growth is not None and row[i_growth].strip().lower() in _NOT_GROWTH_EVENT:
                raise Skip(
                    "not the term's growth test event (GrowthMeasureYN is false); "
                    "the growth event of the term is loaded instead"
                )
            norm = None
            if i_percentile is not None:
                percentile_text = row[i_percentile]
                try:
                    norm = int(percentile_text)
                    if not 0 <= norm <= 100:
                        raise ValueError(percentile_text)
                except ValueError:
                    norm = percentile(percentile_text)
            administered = dates.get(row[i_date], day) if i_date is not None else None
            growth = (
                growth_percentile(row[i_growth_percentile])
                if i_growth_percentile is not None
                else None
            )
            met = met_projected_growth(row[i_met]) if i_met is not None else None
        except Skip as skip:
            yield RowSkipped(row_number, skip.reason)
            continue
        except BadValue as problem:
            yield row_error(table, row_number, problem)
            continue

        first = row[i_first].strip() if i_first is not None else ""
        last = row[i_last].strip() if i_last is not None else ""
        grade_text = row[i_grade].strip() if i_grade is not None else ""
        state_id = row[i_state].strip() if i_state is not None else ""
        if roster and not (first or last):
            joined = roster.get((term_text.strip(), student_id)) or roster.get(("", student_id))
            if joined:
                first, last, grade_text, state_id = joined[0], joined[1], joined[2], joined[3]
        grade_level = grades.get(grade_text, values.grade) if grade_text else ""
        school_code = row[i_school].strip() or None if i_school is not None else None
        if want_students and student_id not in seen:
            student = students.first_time(
                row_number, student_id, first, last, grade_level, state_id
            )
            if student is not None:
                yield student
        key, name, subject = assessment
        yield result_from(
            {
                "row": row_number,
                "student_local_id": student_id,
                "assessment_key": key,
                "assessment_name": name,
                "subject": subject,
                "school_year": year,
                "term": term,
                "administered_on": administered,
                "scale_score": rit,
                "achievement_level": None,
                "percentile": norm,
                "vendor": VENDOR,
                "level_count": 4,
                "proficient_level": 3,
                "student_first_name": first,
                "student_last_name": last,
                "grade_level": grade_level,
                "school_code": school_code,
                "teacher_names": (),
                "file": "",
                "student_state_id": state_id or None,
                "summative": False,
                "growth_percentile": growth,
                "met_projected_growth": met,
            }
        )
