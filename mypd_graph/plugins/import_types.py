"""Plugin data types for importers: what a parser yields, and how it says a file or a row is bad.

Part of :mod:`mypd_graph.plugins.types`, which plugin authors import from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO, Any, ClassVar, Protocol, TextIO, runtime_checkable

from mypd_graph.plugins.framework_types import KEY_PATTERN, DefinitionError


@dataclass(frozen=True)
class RowError:
    """Why one row of an imported file was rejected (row numbers count the header as row 1).

    ``file`` names the member of a multi-file import (``users.csv`` of a OneRoster zip); leave it
    empty for a single file.
    """

    row: int
    reason: str
    column: str | None = None
    value: str | None = None
    file: str = ""


@dataclass(frozen=True)
class RowSkipped:
    """A row left out on purpose, not an error: another test in a combined export (ELPAC rows of
    a CAASPP file), a student who was not tested, a test event that is not the one to load.

    The core counts skipped rows apart from rejected ones (``rows_skipped``), reports them by
    reason, and never counts them against ``max_error_share``.
    """

    row: int
    reason: str
    file: str = ""


class FileRejected(Exception):
    """The whole file is unusable (wrong header, missing required columns, wrong delimiter...).

    Raised by a parser before it yields anything; the core then writes nothing and reports the
    message, naming the missing and unknown columns.
    """

    def __init__(
        self, message: str, missing: tuple[str, ...] = (), unknown: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.missing = missing
        self.unknown = unknown


@runtime_checkable
class ImportSource(Protocol):
    """The file being imported, as the core hands it to a parser.

    The core owns encoding detection: ``text()`` is the file decoded (UTF-8 with or without BOM,
    else Windows-1252) with universal newlines; ``binary()`` is the raw bytes for zips and
    fixed-width files. ``path`` is set for files and folders on disk (a OneRoster folder). Members
    of a zip or a folder decode the same way through :func:`mypd_graph.importers.source.open_text`.
    """

    name: str
    path: Path | None

    def binary(self) -> IO[bytes]: ...

    def text(self) -> TextIO: ...


@dataclass(frozen=True)
class SchoolRecord:
    row: int
    code: str
    name: str
    file: str = ""
    kind: ClassVar[str] = "schools"


@dataclass(frozen=True)
class TeacherRecord:
    """A teacher from a roster; matched to a user by email."""

    row: int
    email: str
    name: str
    school_code: str | None = None
    file: str = ""
    kind: ClassVar[str] = "teachers"


@dataclass(frozen=True)
class StaffRecord:
    """A roster's administrator, matched to a user by email: ``role`` is ``principal`` (of
    ``school_code``) or ``district_admin``. The core creates new ones with that role and never
    changes an existing user's role or school (a conflict is a row error); a district can turn
    this off (``DistrictSettings.roster_staff_roles``)."""

    row: int
    email: str
    name: str
    role: str
    school_code: str | None = None
    file: str = ""
    kind: ClassVar[str] = "staff"


@dataclass(frozen=True)
class StudentRecord:
    """Natural key: the district's student id (``local_id``)."""

    row: int
    local_id: str
    first_name: str
    last_name: str
    grade_level: str = ""
    state_id: str | None = None
    school_code: str | None = None
    file: str = ""
    kind: ClassVar[str] = "students"


@dataclass(frozen=True)
class SectionRecord:
    """Natural key: school and section id; ``teacher_email`` is the teacher of record.

    ``replace_enrollments``: the import lists every student of this section (a OneRoster bulk
    file), so the section's enrollments the import does not list are removed once it is written.
    """

    row: int
    local_id: str
    school_code: str
    name: str
    school_year: str
    teacher_email: str | None = None
    subject: str = ""
    grade_level: str = ""
    file: str = ""
    replace_enrollments: bool = False
    kind: ClassVar[str] = "sections"


@dataclass(frozen=True)
class EnrollmentRecord:
    """A student in a section; natural key: the section (school and id) and the student.

    ``deleted`` marks an enrollment that ended (OneRoster ``tobedeleted``): the core removes it, so
    the teacher no longer sees the student.
    """

    row: int
    school_code: str
    section_local_id: str
    student_local_id: str
    deleted: bool = False
    file: str = ""
    kind: ClassVar[str] = "enrollments"


@dataclass(frozen=True)
class AssessmentResultRecord:
    """Natural key: student, assessment, school year and term (a file without terms puts the
    administration date, ISO formatted, in ``term``).

    The student is ``student_local_id`` (the district's SIS id) or, when that is empty or not in
    the district's roster, ``student_state_id`` (the statewide id, California's SSID), matched to
    the students' ``state_id``. Files that carry only the state id (CAASPP) set both to it.

    ``teacher_names`` carries a vendor's own attribution (i-Ready ``Class Teacher(s)``) for files
    whose students have no roster.
    """

    row: int
    student_local_id: str
    assessment_key: str
    assessment_name: str
    subject: str
    school_year: str
    term: str
    administered_on: date | None = None
    scale_score: float | None = None
    achievement_level: int | None = None
    percentile: int | None = None
    vendor: str = ""
    level_count: int = 4
    proficient_level: int = 3
    student_first_name: str = ""
    student_last_name: str = ""
    grade_level: str = ""
    school_code: str | None = None
    teacher_names: tuple[str, ...] = ()
    file: str = ""
    student_state_id: str | None = None
    # The year-end state test (CAASPP's summative): its result decides a student's status.
    summative: bool = False
    # Growth the file carries on this result (MAP Growth's fall-to-spring conditional growth
    # percentile, 1-99, and whether the student met their projected growth).
    growth_percentile: int | None = None
    met_projected_growth: bool | None = None
    kind: ClassVar[str] = "assessment_results"


@dataclass(frozen=True)
class TrainingRecordRecord:
    """Past PD; natural key: teacher, title and completion date.

    The teacher is matched by ``teacher_email`` or, when the file has ids instead, by ``teacher_id``
    (the user's id in mypd_graph; pass ``teacher_email=""`` then).
    """

    row: int
    teacher_email: str
    title: str
    completed_on: date
    hours: float
    provider: str = ""
    element_codes: tuple[str, ...] = ()
    teacher_id: int | None = None
    file: str = ""
    kind: ClassVar[str] = "training_records"


ImportRecord = (
    SchoolRecord
    | TeacherRecord
    | StaffRecord
    | StudentRecord
    | SectionRecord
    | EnrollmentRecord
    | AssessmentResultRecord
    | TrainingRecordRecord
)
RECORD_KINDS = frozenset(
    record.kind
    for record in (
        SchoolRecord,
        TeacherRecord,
        StaffRecord,
        StudentRecord,
        SectionRecord,
        EnrollmentRecord,
        AssessmentResultRecord,
        TrainingRecordRecord,
    )
)


@dataclass(frozen=True)
class ImporterDefinition:
    """A parser that turns a file into validated records.

    ``parse(source, options)`` raises :class:`FileRejected` for an unusable file, then yields
    records (the dataclasses above, of the kinds in ``record_kinds``) or :class:`RowError` values.
    ``layouts`` names the presets it understands (``nwea-map``); ``options`` carries the chosen one
    as ``format`` (checked against ``layouts`` before ``parse`` runs), the user's column mapping as
    ``mapping`` and any other option they gave. The core owns everything around it: encoding,
    staging, upsert, counts and the Import record (:mod:`mypd_graph.importers.pipeline`).
    """

    name: str
    title: str
    layouts: tuple[str, ...]
    record_kinds: tuple[str, ...]
    parse: Callable[[ImportSource, Mapping[str, Any]], Iterable[ImportRecord | RowError]]
    description: str = ""

    def validate(self) -> None:
        if not KEY_PATTERN.match(self.name):
            raise DefinitionError(f"importer name {self.name!r} must be a lowercase key")
        unknown = sorted(set(self.record_kinds) - RECORD_KINDS)
        if unknown or not self.record_kinds:
            raise DefinitionError(
                f"importer {self.name!r} declares unknown record kinds {unknown}; "
                f"allowed: {', '.join(sorted(RECORD_KINDS))}"
            )
        if not callable(self.parse):
            raise DefinitionError(f"importer {self.name!r} parse is not callable")
