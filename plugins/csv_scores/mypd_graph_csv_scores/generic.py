"""The generic preset: any delimited score file, described by a column mapping.

``options["mapping"]`` maps fields to the file's headers, e.g. from a settings file::

    {"student_id": "Student Number", "score": "Scale Score", "date": "Test Date",
     "subject": "Subject", "percentile": "NPR"}

Fields: student_id (required), score and/or achievement_level (one required), school_year,
term, date, subject, assessment_key, assessment_name, percentile, first_name, last_name,
grade_level, state_id, school_code, teacher_names. Values that do not vary by row come from
options instead: subject, school_year, term, assessment_key, assessment_name, vendor,
level_count, proficient_level, summative (true for a year-end state test, whose result
decides a student's status: docs/student-results.md), and the plausible scores ``score_min`` and ``score_max`` (a score
outside them is a row error). The school year and term fall back to the date when neither a
column nor an option gives them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mypd_graph.plugins.types import AssessmentResultRecord, FileRejected, RowError, StudentRecord
from mypd_graph_csv_scores import values
from mypd_graph_csv_scores.common import (
    BadValue,
    Context,
    Students,
    cell,
    day,
    level,
    percentile,
    result_record,
    row_error,
    school_year,
    score,
    unreadable,
)
from mypd_graph_csv_scores.iready import teacher_names
from mypd_graph_csv_scores.ranges import option_range
from mypd_graph_csv_scores.reading import Layout, Table

NAME = "generic"
FIELDS = (
    "student_id",
    "score",
    "achievement_level",
    "school_year",
    "term",
    "date",
    "subject",
    "assessment_key",
    "assessment_name",
    "percentile",
    "first_name",
    "last_name",
    "grade_level",
    "state_id",
    "school_code",
    "teacher_names",
)
SYNONYMS = {
    "student_local_id": "student_id",
    "scale_score": "score",
    "administered_on": "date",
    "grade": "grade_level",
    "level": "achievement_level",
    "year": "school_year",
    "student_first_name": "first_name",
    "student_last_name": "last_name",
}


def layout(context: Context) -> Layout:
    mapping = context.option("mapping")
    if not isinstance(mapping, Mapping) or not mapping:
        raise FileRejected(
            "the generic layout needs a column mapping (options['mapping'] = {field: header}); "
            f"fields: {', '.join(FIELDS)}"
        )
    fields: dict[str, tuple[str, ...]] = {}
    unknown = []
    for name, header in mapping.items():
        field_name = SYNONYMS.get(str(name), str(name))
        if field_name not in FIELDS:
            unknown.append(str(name))
            continue
        headers = (header,) if isinstance(header, str) else tuple(header)
        fields[field_name] = tuple(str(h) for h in headers)
    if unknown:
        raise FileRejected(
            f"the column mapping names unknown fields {', '.join(map(repr, unknown))}; "
            f"fields: {', '.join(FIELDS)}"
        )
    if "student_id" not in fields:
        raise FileRejected("the column mapping must map student_id")
    if "score" not in fields and "achievement_level" not in fields:
        raise FileRejected("the column mapping must map score or achievement_level")
    # Every mapped column must be in the file: a header the settings name and the file lacks
    # is a wrong settings file or a wrong file, never a column to skip quietly.
    return Layout(name=NAME, fields=fields, required=tuple(fields))


def _int_option(context: Context, name: str, default: int) -> int:
    value = context.option(name)
    try:
        return int(value) if value is not None else default
    except (TypeError, ValueError):
        raise FileRejected(f"option {name}={value!r} is not a whole number") from None


def _bool_option(context: Context, name: str) -> bool:
    value = context.option(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "yes", "1"):
        return True
    if text in ("false", "no", "0"):
        return False
    raise FileRejected(f"option {name}={value!r} is not true or false")


def records(
    table: Table, context: Context
) -> Iterator[AssessmentResultRecord | StudentRecord | RowError]:
    columns = table.columns
    options: Mapping[str, Any] = context.options
    subject_option = context.option("subject")
    fixed_subject = values.subject(str(subject_option)) if subject_option else None
    if subject_option and fixed_subject is None:
        raise FileRejected(f"option subject={subject_option!r}: expected Math, ELA or Science")
    if fixed_subject is None and "subject" not in columns:
        raise FileRejected("no subject: map a subject column or pass the subject option")
    year_option = context.school_year_option()
    term_option = context.term_option()
    if "school_year" not in columns and not year_option and "date" not in columns:
        raise FileRejected("no school year: map a school_year or date column, or pass school_year")
    if "term" not in columns and not term_option and "date" not in columns:
        raise FileRejected("no term: map a term or date column, or pass the term option")
    vendor = str(options.get("vendor") or "")
    key_option, name_option = context.option("assessment_key"), context.option("assessment_name")
    level_count = _int_option(context, "level_count", 4)
    proficient = _int_option(context, "proficient_level", 3)
    summative = _bool_option(context, "summative")
    plausible = option_range(options, f"{vendor or 'district'} benchmark")
    get = columns.get
    i_student = columns["student_id"]
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
            if "subject" in columns:
                text = row[columns["subject"]].strip()
                subject = values.subject(text) if text else fixed_subject
                if subject is None:
                    raise BadValue(
                        "subject", "unknown subject (expected Math, ELA or Science)", text
                    )
            scale_score = score(cell(row, get("score")))
            if plausible is not None:
                plausible.check(scale_score, cell(row, get("score")))
            achieved = level(cell(row, get("achievement_level")), level_count)
            if scale_score is None and achieved is None:
                raise BadValue(
                    "score" if "score" in columns else "achievement_level", "no score", ""
                )
            administered = day(cell(row, get("date")))
            year_text = cell(row, get("school_year"))
            if year_text:
                year = school_year(year_text)
            elif year_option or administered:
                year = year_option or values.school_year_of(administered)  # type: ignore[arg-type]
            else:
                raise BadValue("school_year", "no school year and no date", "")
            term_text = cell(row, get("term"))
            if term_text:
                try:
                    term = values.term(term_text)
                except ValueError:
                    raise BadValue(
                        "term", "unknown term (expected Fall, Winter or Spring)", term_text
                    ) from None
            elif term_option or administered:
                term = term_option or values.term_of(administered)  # type: ignore[arg-type]
            else:
                raise BadValue("term", "no term and no date", "")
            norm = percentile(cell(row, get("percentile")))
        except BadValue as problem:
            yield row_error(table, row_number, problem)
            continue
        key = cell(row, get("assessment_key")) or key_option
        key = key or values.slug(f"{vendor or 'generic'}-{subject}")
        name = (
            cell(row, get("assessment_name")) or name_option or f"{vendor or 'Imported'} {subject}"
        )
        first, last = cell(row, get("first_name")), cell(row, get("last_name"))
        grade_level = values.grade(cell(row, get("grade_level")))
        state_id = cell(row, get("state_id")) or None
        school_code = cell(row, get("school_code")) or None
        student = students.first_time(row_number, student_id, first, last, grade_level, state_id)
        if student is not None:
            yield student
        yield result_record(
            row=row_number,
            student_local_id=student_id,
            assessment_key=str(key)[:100],
            assessment_name=str(name),
            subject=subject,  # type: ignore[arg-type]
            school_year=year,
            term=term,
            administered_on=administered,
            scale_score=scale_score,
            achievement_level=achieved,
            percentile=norm,
            vendor=vendor,
            level_count=level_count,
            proficient_level=proficient,
            student_first_name=first,
            student_last_name=last,
            grade_level=grade_level,
            school_code=school_code,
            teacher_names=teacher_names(cell(row, get("teacher_names"))),
            student_state_id=state_id,
            summative=summative,
        )
