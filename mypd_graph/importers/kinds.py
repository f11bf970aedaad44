"""What the core checks in each kind of record, and the row it stages for it.

Each record kind has a :class:`KindSpec`: a ``prepare`` function that turns a record into the flat
row the writers stage (``src_row`` first, then the natural key, then the values), or into a
:class:`RowError` when a value cannot be stored (empty keys, text longer than its column, a level
outside the scale). Importers validate what their format means; these checks guard what the
database can hold, so a bad record becomes a row error instead of failing the whole import.

Rows are plain tuples because a score file has a million of them: ``prepare`` runs once per record,
in the reader thread, and is written to be cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    EnrollmentRecord,
    RowError,
    SchoolRecord,
    SectionRecord,
    StaffRecord,
    StudentRecord,
    TeacherRecord,
    TrainingRecordRecord,
)
from mypd_graph.services.inputs import EARLIEST_DAY, is_unstorable

# Column lengths of the tables the records land in (models/org.py, data.py, growth.py).
CODE, NAME, LOCAL_ID, STATE_ID, PERSON_NAME, GRADE, YEAR, TERM = 64, 200, 64, 64, 100, 8, 9, 16
EMAIL, ASSESSMENT_KEY, SUBJECT, VENDOR, TITLE, PROVIDER = 254, 100, 64, 100, 300, 200
MAX_TRAINING_HOURS = 500  # the same bound people get when they record training by hand
MAX_LEVELS = 20

Row = tuple[Any, ...]
Prepared = Row | RowError


@dataclass(frozen=True)
class KindSpec:
    """How one record kind enters the pipeline: its record class and how its rows are prepared.

    The prepared row starts with ``src_row`` and the natural key; the writers find duplicates.
    """

    kind: str
    record_type: type
    prepare: Callable[[Any], Prepared]


def _too_long(record: Any, column: str, value: str, limit: int) -> RowError:
    return RowError(
        record.row, f"{column} is longer than {limit} characters", column, value[:200], record.file
    )


def _required(record: Any, column: str) -> RowError:
    return RowError(record.row, f"{column} is required", column, "", record.file)


def _unstorable(record: Any, column: str, value: str) -> RowError:
    return RowError(
        record.row,
        f"{column} holds control characters or invalid text",
        column,
        value[:200],
        record.file,
    )


def _text(
    record: Any, column: str, value: str | None, limit: int, required: bool
) -> str | RowError:
    """Text as the services take it (:mod:`mypd_graph.services.inputs`), or the row's error."""
    text = (value or "").strip()
    if not text and required:
        return _required(record, column)
    if len(text) > limit:
        return _too_long(record, column, text, limit)
    if is_unstorable(text):
        return _unstorable(record, column, text)
    return text


def _optional(record: Any, column: str, value: str | None, limit: int) -> str | None | RowError:
    """``None`` (unknown: keep what is stored) for an empty value."""
    text = (value or "").strip()
    if len(text) > limit:
        return _too_long(record, column, text, limit)
    if is_unstorable(text):
        return _unstorable(record, column, text)
    return text or None


def prepare_school(r: SchoolRecord) -> Prepared:
    code = _text(r, "code", r.code, CODE, True)
    if isinstance(code, RowError):
        return code
    name = _text(r, "name", r.name, NAME, True)
    if isinstance(name, RowError):
        return name
    return (r.row, code, name)


STAFF_ROLES = ("principal", "district_admin")


def prepare_staff(r: StaffRecord) -> Prepared:
    """A principal (with a school) or a district admin, checked like a teacher's row."""
    if r.role not in STAFF_ROLES:
        return RowError(r.row, f"role must be one of {STAFF_ROLES}", "role", r.role, r.file)
    if r.role == "principal" and not (r.school_code or "").strip():
        return RowError(r.row, "a principal needs a school", "school_code", "", r.file)
    teacher = prepare_teacher(TeacherRecord(r.row, r.email, r.name, r.school_code, r.file))
    if isinstance(teacher, RowError):
        return teacher
    _, email, name, school = teacher
    return (r.row, email, name, r.role, school if r.role == "principal" else None)


def prepare_teacher(r: TeacherRecord) -> Prepared:
    email = _text(r, "email", r.email, EMAIL, True)
    if isinstance(email, RowError):
        return email
    if "@" not in email:
        return RowError(r.row, "email is not an email address", "email", email, r.file)
    name = _text(r, "name", r.name, NAME, False)
    school = _optional(r, "school_code", r.school_code, CODE)
    for value in (name, school):
        if isinstance(value, RowError):
            return value
    return (r.row, email.lower(), name, school)


def prepare_student(r: StudentRecord) -> Prepared:
    values: list[Any] = [r.row]
    for column, value, limit, required in (
        ("local_id", r.local_id, LOCAL_ID, True),
        ("first_name", r.first_name, PERSON_NAME, True),
        ("last_name", r.last_name, PERSON_NAME, True),
        ("grade_level", r.grade_level, GRADE, False),
    ):
        text = _text(r, column, value, limit, required)
        if isinstance(text, RowError):
            return text
        values.append(text)
    for column, value, limit in (
        ("state_id", r.state_id, STATE_ID),
        ("school_code", r.school_code, CODE),
    ):
        optional = _optional(r, column, value, limit)
        if isinstance(optional, RowError):
            return optional
        values.append(optional)
    return tuple(values)


def prepare_section(r: SectionRecord) -> Prepared:
    values: list[Any] = [r.row]
    for column, value, limit, required in (
        ("school_code", r.school_code, CODE, True),
        ("local_id", r.local_id, LOCAL_ID, True),
        ("name", r.name, NAME, True),
        ("school_year", r.school_year, YEAR, True),
    ):
        text = _text(r, column, value, limit, required)
        if isinstance(text, RowError):
            return text
        values.append(text)
    email = (r.teacher_email or "").strip().lower()
    if not email:
        return RowError(r.row, "the section has no teacher of record", "teacher_email", "", r.file)
    values.append(email)
    for column, value, limit in (
        ("subject", r.subject, SUBJECT),
        ("grade_level", r.grade_level, GRADE),
    ):
        text = _text(r, column, value, limit, False)
        if isinstance(text, RowError):
            return text
        values.append(text)
    return tuple(values)


def prepare_enrollment(r: EnrollmentRecord) -> Prepared:
    values: list[Any] = [r.row]
    for column, value, limit in (
        ("school_code", r.school_code, CODE),
        ("section_local_id", r.section_local_id, LOCAL_ID),
        ("student_local_id", r.student_local_id, LOCAL_ID),
    ):
        text = _text(r, column, value, limit, True)
        if isinstance(text, RowError):
            return text
        values.append(text)
    values.append(1 if r.deleted else 0)
    return tuple(values)


_ISO_DATES: dict[date, str] = {}  # a score file repeats a few test days a million times


def _iso(day: date) -> str:
    text = _ISO_DATES.get(day)
    if text is None:
        if len(_ISO_DATES) > 4096:
            _ISO_DATES.clear()
        text = _ISO_DATES[day] = day.isoformat()
    return text


def prepare_result(r: AssessmentResultRecord) -> Prepared:
    """The hot path of a score import: checks inlined, one tuple out."""
    values = r.__dict__  # one dict instead of an attribute lookup per field
    student = values["student_local_id"].strip()
    state = values["student_state_id"]
    state = state.strip() or None if state else None
    key = values["assessment_key"].strip()
    year = values["school_year"].strip()
    term = values["term"].strip()
    if not 0 < len(student) <= LOCAL_ID and (state is None or student):  # one id is enough
        return _text(r, "student_local_id", student, LOCAL_ID, True)  # type: ignore[return-value]
    if state is not None and len(state) > STATE_ID:
        return _too_long(r, "student_state_id", state, STATE_ID)
    if not 0 < len(key) <= ASSESSMENT_KEY:
        return _text(r, "assessment_key", key, ASSESSMENT_KEY, True)  # type: ignore[return-value]
    if not 0 < len(year) <= YEAR:
        return _text(r, "school_year", year, YEAR, True)  # type: ignore[return-value]
    if not 0 < len(term) <= TERM:
        return _text(r, "term", term, TERM, True)  # type: ignore[return-value]
    level = values["achievement_level"]
    if level is not None and not 1 <= level <= values["level_count"]:
        return RowError(
            r.row,
            f"achievement level must be between 1 and {r.level_count}",
            "achievement_level",
            str(level),
            r.file,
        )
    percentile = values["percentile"]
    if percentile is not None and not 0 <= percentile <= 100:
        return RowError(
            r.row, "percentile must be between 0 and 100", "percentile", str(percentile), r.file
        )
    score = values["scale_score"]
    if score is not None and not math.isfinite(score):
        return RowError(r.row, "scale score is not a number", "scale_score", str(score), r.file)
    administered = values["administered_on"]
    if administered is not None:
        administered = _ISO_DATES.get(administered) or _iso(administered)
    growth = values.get("growth_percentile")
    if growth is not None and not 1 <= growth <= 99:
        return RowError(
            r.row,
            "growth percentile must be between 1 and 99",
            "growth_percentile",
            str(growth),
            r.file,
        )
    met_growth = values.get("met_projected_growth")
    return (
        values["row"],
        student,
        key,
        year,
        term,
        administered,
        score,
        level,
        percentile,
        state,
        growth,
        None if met_growth is None else bool(met_growth),
    )


def assessment_problem(r: AssessmentResultRecord) -> str | None:
    """Why a result's assessment cannot be stored (checked once per assessment key and file)."""
    if not r.assessment_name.strip():
        return "assessment_name is required"
    for column, value, limit in (
        ("assessment_name", r.assessment_name, NAME),
        ("subject", r.subject, SUBJECT),
        ("vendor", r.vendor, VENDOR),
    ):
        if len(value.strip()) > limit:
            return f"{column} is longer than {limit} characters"
    if not 1 <= r.level_count <= MAX_LEVELS:
        return f"level_count must be between 1 and {MAX_LEVELS}"
    if not 1 <= r.proficient_level <= r.level_count:
        return f"proficient_level must be between 1 and {r.level_count}"
    return None


def prepare_training(r: TrainingRecordRecord) -> Prepared:
    email = (r.teacher_email or "").strip().lower()
    if not email and r.teacher_id is None:
        return RowError(r.row, "the teacher's email or id is required", "teacher_email", "", r.file)
    teacher = email or f"#{r.teacher_id}"
    title = _text(r, "title", r.title, TITLE, True)
    if isinstance(title, RowError):
        return title
    provider = _text(r, "provider", r.provider, PROVIDER, False)
    if isinstance(provider, RowError):
        return provider
    if not isinstance(r.completed_on, date):
        return RowError(
            r.row, "completed_on is not a date", "completed_on", str(r.completed_on), r.file
        )
    if not EARLIEST_DAY <= r.completed_on <= date.today():
        return RowError(
            r.row,
            f"completed_on must lie between {EARLIEST_DAY.isoformat()} and today",
            "completed_on",
            r.completed_on.isoformat(),
            r.file,
        )
    hours = r.hours
    if hours is None or not math.isfinite(hours) or not 0 < hours <= MAX_TRAINING_HOURS:
        return RowError(
            r.row,
            f"hours must be more than 0 and at most {MAX_TRAINING_HOURS}",
            "hours",
            str(hours),
            r.file,
        )
    codes = tuple(dict.fromkeys(code.strip() for code in r.element_codes if code.strip()))
    return (r.row, teacher, title, r.completed_on, float(hours), provider, codes)


SPECS: tuple[KindSpec, ...] = (
    KindSpec("schools", SchoolRecord, prepare_school),
    KindSpec("teachers", TeacherRecord, prepare_teacher),
    KindSpec("staff", StaffRecord, prepare_staff),
    KindSpec("students", StudentRecord, prepare_student),
    KindSpec("sections", SectionRecord, prepare_section),
    KindSpec("enrollments", EnrollmentRecord, prepare_enrollment),
    KindSpec("assessment_results", AssessmentResultRecord, prepare_result),
    KindSpec("training_records", TrainingRecordRecord, prepare_training),
)

# Writers run in this order within a batch, so a roster's sections find the teachers and schools
# that came before them (importers yield records in this order too).
KIND_ORDER = tuple(spec.kind for spec in SPECS)
