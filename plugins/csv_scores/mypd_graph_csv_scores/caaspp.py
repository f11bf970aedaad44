"""California's CAASPP results: the CERS District/School Export (comma) and the TOMS Student Score
Data Extract (a zip with a caret-delimited .csv and a fixed-width .dat).

Both identify students by their SSID (the statewide id): it is what these files carry, so it is
handed to the core as the student's state id (matched to the roster's state ids) and, for
districts whose local ids are the SSIDs, as the local id too.
Summative results of both files share assessment keys (``caaspp-sb-ela``, ``caaspp-sb-math``,
``caaspp-cast``) and the Spring term, so loading a district's CERS export and its TOMS extract
of the same year does not count a student's summative score twice. Achievement levels are the
state's: 1 Standard Not Met, 2 Nearly Met, 3 Met, 4 Exceeded (Smarter Balanced and CAST);
interim assessment blocks (IAB, FIAB) report three levels (Below, Near, At or Above Standard).
Scale scores outside the test's scale are row errors (:mod:`~mypd_graph_csv_scores.ranges`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    FileRejected,
    RowError,
    RowSkipped,
    StudentRecord,
)
from mypd_graph_csv_scores import values
from mypd_graph_csv_scores.common import (
    BadValue,
    Context,
    Skip,
    Students,
    cell,
    day,
    level,
    result_record,
    row_error,
    school_year,
    score,
    unreadable,
)
from mypd_graph_csv_scores.ranges import CAASPP_INTERIM, CAASPP_SUMMATIVE
from mypd_graph_csv_scores.reading import Layout, Table

VENDOR = "CAASPP"

# (assessment key, assessment name, subject) of the summative tests
SUMMATIVE = {
    "ELA": ("caaspp-sb-ela", "CAASPP Smarter Balanced ELA Summative", "ELA"),
    "Math": ("caaspp-sb-math", "CAASPP Smarter Balanced Math Summative", "Math"),
    "Science": ("caaspp-cast", "California Science Test (CAST)", "Science"),
}
# TOMS RecordType -> subject of the summative test it reports
RECORD_TYPES = {"01": "ELA", "02": "Math", "06": "Science"}
_THREE_LEVEL_SUBTYPES = frozenset({"IAB", "FIAB"})
NOT_TESTED = "not tested: no scale score and no achievement level"
_NOT_LOADED_SUBJECTS = {
    "ELPAC": "ELPAC results (English language proficiency) are not loaded by csv-scores",
}

CERS = Layout(
    name="caaspp-cers",
    fields={
        "student_id": ("StudentIdentifier", "Student Identifier", "SSID"),
        "first_name": ("FirstName", "First Name"),
        "last_name": ("LastOrSurname", "LastName", "Last Name"),
        "school_code": ("SchoolId", "School Id"),
        "school_year": ("SchoolYear", "School Year"),
        "date": ("SubmitDateTime", "Submit Date Time"),
        "assessment_type": ("AssessmentType", "Assessment Type"),
        "subtype": ("AssessmentSubType", "Assessment Sub Type"),
        "assessment_name": ("AssessmentName", "Assessment Name"),
        "subject": ("Subject",),
        "grade": ("GradeLevelWhenAssessed", "Grade Level When Assessed"),
        "level": ("ScaleScoreAchievementLevel", "Scale Score Achievement Level"),
        "score": ("ScaleScore", "Scale Score"),
    },
    required=("student_id", "school_year", "assessment_name", "subject", "level", "score"),
)

TOMS = Layout(
    name="caaspp-toms",
    fields={
        "record_type": ("RecordType", "Record Type"),
        "student_id": ("SSID", "Statewide Student Identifier (SSID)", "StudentIdentifier"),
        "last_name": ("LastName", "StudentLastName", "Student Last Name", "LastOrSurname"),
        "first_name": ("FirstName", "StudentFirstName", "Student First Name"),
        "grade": ("GradeAssessed", "Grade Assessed"),
        "school_code": ("CALPADSSchoolCode", "CALPADS School Code"),
        "score": ("ScaleScore", "Scale Score"),
        "level": ("AchievementLevels", "AchievementLevel", "Achievement Levels"),
        "school_year": ("AdministrationYear", "Administration Year", "TestYear", "SchoolYear"),
        "date": ("FinalTestCompletedDate", "TestCompletedDate", "Test Completed Date"),
    },
    required=("record_type", "student_id", "score", "level"),
    delimiter="^",
)

_YEAR_IN_NAME = re.compile(r"(?<!\d)(20\d{2})(?!\d)")


def _subtype(assessment_type: str, subtype: str) -> str:
    if subtype:
        return subtype.upper()
    return "SUM" if assessment_type.lower().startswith("summ") else assessment_type.upper()


def cers_records(
    table: Table, context: Context
) -> Iterator[AssessmentResultRecord | StudentRecord | RowError]:
    columns = table.columns
    i_student, i_year = columns["student_id"], columns["school_year"]
    i_name, i_subject = columns["assessment_name"], columns["subject"]
    i_level, i_score = columns["level"], columns["score"]
    i_first, i_last = columns.get("first_name"), columns.get("last_name")
    i_school, i_date = columns.get("school_code"), columns.get("date")
    i_type, i_subtype = columns.get("assessment_type"), columns.get("subtype")
    i_grade = columns.get("grade")
    students = Students(context)

    for row_number, row in table.rows():
        if row is None:
            yield unreadable(table, row_number)
            continue
        try:
            student_id = row[i_student].strip()
            if not student_id:
                raise BadValue("student_id", "the student id (SSID) is missing", "")
            subject_text = row[i_subject].strip()
            if subject_text.upper() in _NOT_LOADED_SUBJECTS:
                raise Skip(_NOT_LOADED_SUBJECTS[subject_text.upper()])
            subject = values.subject(subject_text)
            if subject is None:
                raise BadValue(
                    "subject", "unknown subject (expected ELA, Math or CAST)", subject_text
                )
            subtype = _subtype(cell(row, i_type), cell(row, i_subtype))
            administered = day(row[i_date][:10], "date") if i_date is not None else None
            year_text = row[i_year].strip()
            if year_text:
                year = school_year(year_text)
            elif administered is not None:
                year = values.school_year_of(administered)
            else:
                raise BadValue("school_year", "the school year is missing", "")
            level_count = 3 if subtype in _THREE_LEVEL_SUBTYPES else 4
            achieved = level(row[i_level], level_count, "level")
            scale_score = score(row[i_score])
            if scale_score is None and achieved is None:
                raise Skip(NOT_TESTED)
            if subtype == "SUM":
                key, name, subject = SUMMATIVE[subject]
                term = "Spring"
            else:
                name = row[i_name].strip()
                if not name:
                    raise BadValue("assessment_name", "the assessment name is missing", "")
                if administered is None:
                    raise BadValue("date", "an interim result needs its SubmitDateTime", "")
                key = f"caaspp-{values.slug(subtype)}-{values.slug(name)}"[:100]
                term = values.term_of(administered)
            plausible = (CAASPP_SUMMATIVE if subtype == "SUM" else CAASPP_INTERIM).get(subject)
            if plausible is not None:
                plausible.check(scale_score, row[i_score].strip())
        except Skip as skip:
            yield RowSkipped(row_number, skip.reason)
            continue
        except BadValue as problem:
            yield row_error(table, row_number, problem)
            continue
        first, last = cell(row, i_first), cell(row, i_last)
        grade_level = values.grade(cell(row, i_grade)) if i_grade is not None else ""
        school_code = cell(row, i_school) or None
        student = students.first_time(row_number, student_id, first, last, grade_level, student_id)
        if student is not None:
            yield student
        yield result_record(
            row=row_number,
            student_local_id=student_id,
            assessment_key=key,
            assessment_name=name,
            subject=subject,
            school_year=year,
            term=term,
            administered_on=administered,
            scale_score=scale_score,
            achievement_level=achieved,
            vendor=VENDOR,
            student_state_id=student_id,
            level_count=level_count,
            proficient_level=3,
            student_first_name=first,
            student_last_name=last,
            grade_level=grade_level,
            school_code=school_code,
            summative=subtype == "SUM",
        )


def toms_school_year(table: Table, context: Context) -> str | None:
    """The year of a TOMS extract: its own column, the school_year option, or the file name.

    The extract is downloaded per administration year and TOMS names the file after it
    (``..._StudentScoreData_2025_...``); a file with none of the three is rejected.
    """
    if "school_year" in table.columns:
        return None
    option = context.school_year_option()
    if option:
        return option
    match = _YEAR_IN_NAME.search(context.source_name)
    if match:
        return values.school_year(match[1])
    raise FileRejected(
        f"{context.source_name} does not say its school year (no AdministrationYear column and "
        "no year in the file name): pass the school_year option, e.g. 2024-25"
    )


def toms_records(
    table: Table, context: Context
) -> Iterator[AssessmentResultRecord | StudentRecord | RowError]:
    columns = table.columns
    fixed_year = toms_school_year(table, context)
    i_type, i_student = columns["record_type"], columns["student_id"]
    i_score, i_level = columns["score"], columns["level"]
    i_first, i_last = columns.get("first_name"), columns.get("last_name")
    i_grade, i_school = columns.get("grade"), columns.get("school_code")
    i_year, i_date = columns.get("school_year"), columns.get("date")
    students = Students(context)

    for row_number, row in table.rows():
        if row is None:
            yield unreadable(table, row_number)
            continue
        try:
            record_type = row[i_type].strip().zfill(2)
            if record_type not in RECORD_TYPES:
                raise Skip(
                    f"record type {record_type} is not loaded by csv-scores (01 ELA, 02 Math, "
                    "06 CAST)"
                )
            student_id = row[i_student].strip()
            if not student_id:
                raise BadValue("student_id", "the student id (SSID) is missing", "")
            achieved = level(row[i_level], 4, "level")
            scale_score = score(row[i_score])
            if scale_score is None and achieved is None:
                raise Skip(NOT_TESTED)
            year = fixed_year or school_year(row[i_year].strip())  # type: ignore[index]
            administered = day(row[i_date]) if i_date is not None else None
            CAASPP_SUMMATIVE[RECORD_TYPES[record_type]].check(scale_score, row[i_score].strip())
        except Skip as skip:
            yield RowSkipped(row_number, skip.reason)
            continue
        except BadValue as problem:
            yield row_error(table, row_number, problem)
            continue
        key, name, subject = SUMMATIVE[RECORD_TYPES[record_type]]
        first, last = cell(row, i_first), cell(row, i_last)
        grade_level = values.grade(cell(row, i_grade)) if i_grade is not None else ""
        school_code = cell(row, i_school) or None
        student = students.first_time(row_number, student_id, first, last, grade_level, student_id)
        if student is not None:
            yield student
        yield result_record(
            row=row_number,
            student_local_id=student_id,
            assessment_key=key,
            assessment_name=name,
            subject=subject,
            school_year=year,
            term="Spring",
            administered_on=administered,
            scale_score=scale_score,
            achievement_level=achieved,
            vendor=VENDOR,
            student_state_id=student_id,
            level_count=4,
            proficient_level=3,
            student_first_name=first,
            student_last_name=last,
            grade_level=grade_level,
            school_code=school_code,
            summative=True,  # a TOMS extract reports the summative tests only
        )
