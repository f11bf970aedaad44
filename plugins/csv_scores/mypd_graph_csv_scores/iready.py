"""Curriculum Associates i-Ready: the Diagnostic Results export (one file for Reading, one for
Math, each row one diagnostic a student completed).

The export has no subject column: the subject comes from the ``subject`` option, a Subject column
when a district's export adds one, the domain columns (Phonics, Comprehension... for Reading;
Number and Operations, Geometry... for Math), or the file name, in that order. The term is the
Norming Window when the file has it, else the season of the completion date. ``Class Teacher(s)``
becomes ``teacher_names`` so results can be attributed to teachers when no roster exists. The
overall relative placement is i-Ready's own five-level scale and becomes the achievement level
(1 three or more grade levels below ... 4 early on grade level, 5 mid or above grade level;
on grade level, 4 and up, is proficient). Overall scale scores run from 100 to 800
(:mod:`~mypd_graph_csv_scores.ranges`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from mypd_graph.plugins.types import AssessmentResultRecord, FileRejected, RowError, StudentRecord
from mypd_graph_csv_scores import values
from mypd_graph_csv_scores.common import (
    BadValue,
    Context,
    Students,
    cell,
    day,
    percentile,
    result_record,
    row_error,
    school_year,
    score,
    unreadable,
)
from mypd_graph_csv_scores.ranges import IREADY
from mypd_graph_csv_scores.reading import Layout, Table

NAME = "iready-diagnostic"
VENDOR = "Curriculum Associates"
ASSESSMENTS = {
    "ELA": ("iready-diagnostic-reading", "i-Ready Diagnostic Reading"),
    "Math": ("iready-diagnostic-math", "i-Ready Diagnostic Math"),
}

LAYOUT = Layout(
    name=NAME,
    fields={
        "student_id": ("Student ID", "StudentID"),
        "first_name": ("First Name",),
        "last_name": ("Last Name",),
        "grade": ("Student Grade", "Test Grade"),
        "state_id": ("Student State ID",),
        "academic_year": ("Academic Year",),
        "subject": ("Subject",),
        "teachers": ("Class Teacher(s)", "Class Teachers"),
        "start_date": ("Start Date",),
        "completion_date": ("Completion Date",),
        "window": ("Norming Window",),
        "score": ("Overall Scale Score",),
        "placement": ("Overall Relative Placement",),
        "percentile": ("Percentile", "Overall Percentile"),
    },
    required=("student_id", "score", ("completion_date", "start_date")),
)

_READING_DOMAINS = ("phonologicalawareness", "phonics", "highfrequencywords", "vocabulary")
_READING_DOMAINS += ("comprehension", "lexile")
_MATH_DOMAINS = ("numberandoperations", "algebraandalgebraicthinking", "measurementanddata")
_MATH_DOMAINS += ("geometry", "quantile")


def file_subject(table: Table, context: Context) -> str | None:
    """The subject of the whole file, or None when each row says it (a Subject column)."""
    option = context.option("subject")
    if option is not None:
        subject = values.subject(str(option))
        if subject not in ASSESSMENTS:
            raise FileRejected(f"option subject={option!r}: i-Ready subjects are Reading and Math")
        return subject
    if "subject" in table.columns:
        return None
    header = " ".join(values.normalize_header(name) for name in table.header)
    reading = any(domain in header for domain in _READING_DOMAINS)
    math = any(domain in header for domain in _MATH_DOMAINS)
    if reading != math:
        return "ELA" if reading else "Math"
    name = context.source_name.lower()
    if "math" in name:
        return "Math"
    if "ela" in name or "reading" in name:
        return "ELA"
    raise FileRejected(
        f"{context.source_name}: cannot tell whether this i-Ready export is Reading or Math "
        "(no Subject column, no domain columns, no subject in the file name): pass the subject "
        "option"
    )


_BELOW = re.compile(r"(\d|one|two|three)\b.*below")
_LEVELS_BELOW = {"1": 3, "one": 3, "2": 2, "two": 2, "3": 1, "three": 1}


@lru_cache(maxsize=64)
def placement_level(text: str) -> int | None:
    """i-Ready's relative placement as a level from 1 (3+ grades below) to 5 (mid or above)."""
    lowered = text.strip().lower()
    if not lowered:
        return None
    if "mid" in lowered or "above" in lowered:
        return 5
    if "early" in lowered or lowered.startswith("on "):
        return 4
    match = _BELOW.search(lowered)
    if match:
        return _LEVELS_BELOW[match[1]]
    return None


def teacher_names(text: str) -> tuple[str, ...]:
    """ "Lee, Ann; Ruiz, Carlos" -> both; "Ann Lee, Carlos Ruiz" -> both; "Lee, Ann" -> one."""
    names: list[str] = []
    for part in text.split(";"):
        pieces = [piece.strip() for piece in part.split(",") if piece.strip()]
        if len(pieces) > 1 and all(" " in piece for piece in pieces):
            names.extend(pieces)
        elif part.strip():
            names.append(" ".join(part.split()))
    return tuple(names)


def records(
    table: Table, context: Context
) -> Iterator[AssessmentResultRecord | StudentRecord | RowError]:
    fixed_subject = file_subject(table, context)
    year_option = context.school_year_option()
    term_option = context.term_option()
    columns = table.columns
    i_student, i_score = columns["student_id"], columns["score"]
    i_completion, i_start = columns.get("completion_date"), columns.get("start_date")
    i_year, i_subject, i_window = (
        columns.get("academic_year"),
        columns.get("subject"),
        columns.get("window"),
    )
    i_first, i_last, i_grade = (
        columns.get("first_name"),
        columns.get("last_name"),
        columns.get("grade"),
    )
    i_state, i_teachers = columns.get("state_id"), columns.get("teachers")
    i_placement, i_percentile = columns.get("placement"), columns.get("percentile")
    students = Students(context)

    for row_number, row in table.rows():
        if row is None:
            yield unreadable(table, row_number)
            continue
        try:
            student_id = row[i_student].strip()
            if not student_id:
                raise BadValue("student_id", "the student id is missing", "")
            subject = fixed_subject
            if subject is None:
                subject_text = row[i_subject].strip()  # type: ignore[index]
                subject = values.subject(subject_text)
                if subject not in ASSESSMENTS:
                    raise BadValue(
                        "subject", "unknown subject (expected Reading or Math)", subject_text
                    )
            scale_score = score(row[i_score])
            if scale_score is None:
                raise BadValue("score", "the overall scale score is blank", "")
            IREADY.check(scale_score, row[i_score].strip())
            field_name = "completion_date" if cell(row, i_completion) else "start_date"
            completed = day(cell(row, i_completion) or cell(row, i_start), field_name)
            year_text = cell(row, i_year)
            if year_text:
                year = school_year(year_text, "academic_year")
            elif year_option or completed:
                year = year_option or values.school_year_of(completed)  # type: ignore[arg-type]
            else:
                raise BadValue("academic_year", "no academic year and no completion date", "")
            window = cell(row, i_window)
            if window:
                try:
                    term = values.term(window)
                except ValueError:
                    raise BadValue("window", "unknown norming window", window) from None
            elif completed is not None:
                term = values.term_of(completed)
            elif term_option:
                term = term_option
            else:
                raise BadValue("completion_date", "no completion date to tell the term", "")
            norm = percentile(row[i_percentile]) if i_percentile is not None else None
        except BadValue as problem:
            yield row_error(table, row_number, problem)
            continue
        first, last = cell(row, i_first), cell(row, i_last)
        grade_level = values.grade(cell(row, i_grade)) if i_grade is not None else ""
        student = students.first_time(
            row_number, student_id, first, last, grade_level, cell(row, i_state) or None
        )
        if student is not None:
            yield student
        key, name = ASSESSMENTS[subject]
        yield result_record(
            row=row_number,
            student_local_id=student_id,
            assessment_key=key,
            assessment_name=name,
            subject=subject,
            school_year=year,
            term=term,
            administered_on=completed,
            scale_score=scale_score,
            achievement_level=placement_level(cell(row, i_placement)),
            percentile=norm,
            vendor=VENDOR,
            level_count=5,
            proficient_level=4,
            student_first_name=first,
            student_last_name=last,
            grade_level=grade_level,
            teacher_names=teacher_names(cell(row, i_teachers)),
            student_state_id=cell(row, i_state) or None,
        )
