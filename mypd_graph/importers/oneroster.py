"""Built-in importer for 1EdTech OneRoster 1.1 CSV rosters: ``oneroster``.

A OneRoster export is a folder or a zip of CSV files: ``manifest.csv``, ``orgs.csv``, ``users.csv``,
``classes.csv`` and ``enrollments.csv`` (``academicSessions.csv`` and ``courses.csv`` optional).
Records come out in dependency order, so one import creates and updates everything:

- schools from ``orgs.csv`` (type ``school``); the school code is the org's ``identifier`` (its
  state or district code) or, when empty, its ``sourcedId``;
- teachers (users with role ``teacher``, matched to mypd_graph users by ``email``) and students
  (role ``student``; the student id is the ``identifier``, the district's SIS id that score files
  use, or the ``sourcedId`` when empty) from ``users.csv``. A student's state id (California's
  SSID, which CAASPP files carry) is the ``userIds`` entry whose type is a state id label:
  ``{SSID:4000000000}``, ``{StateID:...}``, ``{State ID:...}``, ``{state_id:...}``, ``{SASID:...}``
  and the like (:data:`STATE_ID_TYPES`, or any type naming the state); the ``state_id_types``
  option (``SSID,CALPADS``) names a district's own labels instead;
- sections from ``classes.csv`` (key: the class ``sourcedId`` within its school), each with its
  teacher of record: the teacher enrollment marked ``primary``, else the class's first teacher
  enrollment (co-teachers have no place in a section and are not recorded). The school year comes
  from the class's term in ``academicSessions.csv``, else the ``school_year`` option, else today;
- enrollments of students from ``enrollments.csv``;
- staff (:mod:`~mypd_graph.importers.staff`): ``administrator`` users attached to a school become
  that school's principals, those attached to the district org become district admins (matched by
  ``email``; a user who holds another role or school is a row error, never changed; a district
  turns this off with ``DistrictSettings.roster_staff_roles``). Administrators of other orgs
  (departments) are skipped.

``file.enrollments = bulk`` in the manifest (the default) makes ``enrollments.csv`` the complete
list for the classes of ``classes.csv``: a student enrolled in one of them before and not listed
now is unenrolled. ``delta`` only adds and updates (and removes what is marked tobedeleted).

``status = tobedeleted``: an enrollment marked so is removed (the teacher stops seeing that student);
orgs, users and classes marked so are skipped, never deleted, because deleting a student or a
section would delete assessment results and plans with them. Users, classes and orgs with other
roles or types (guardians, aides, departments) are not imported. The manifest
must say OneRoster 1.1 (or 1.0); ``file.x = absent`` skips a file.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from datetime import date
from pathlib import Path, PurePosixPath
from typing import IO, Any

from mypd_graph.importers.csvfiles import parse_date, read_header, school_year_of
from mypd_graph.importers.source import open_text
from mypd_graph.plugins import hookimpl
from mypd_graph.plugins.types import (
    EnrollmentRecord,
    FileRejected,
    ImporterDefinition,
    ImportSource,
    RowError,
    RowSkipped,
    SchoolRecord,
    SectionRecord,
    StaffRecord,
    StudentRecord,
    TeacherRecord,
)

COLUMNS = {
    "orgs.csv": (
        ("sourcedId", "status", "name", "type"),
        ("dateLastModified", "identifier", "parentSourcedId"),
    ),
    "users.csv": (
        ("sourcedId", "status", "orgSourcedIds", "role", "givenName", "familyName"),
        (
            "dateLastModified",
            "enabledUser",
            "username",
            "userIds",
            "middleName",
            "identifier",
            "email",
            "sms",
            "phone",
            "agentSourcedIds",
            "grades",
            "password",
        ),
    ),
    "classes.csv": (
        ("sourcedId", "status", "title", "schoolSourcedId"),
        (
            "dateLastModified",
            "grades",
            "courseSourcedId",
            "classCode",
            "classType",
            "location",
            "termSourcedIds",
            "subjects",
            "subjectCodes",
            "periods",
        ),
    ),
    "enrollments.csv": (
        ("sourcedId", "status", "classSourcedId", "schoolSourcedId", "userSourcedId", "role"),
        ("dateLastModified", "primary", "beginDate", "endDate"),
    ),
    "academicSessions.csv": (
        ("sourcedId", "status", "title", "type", "startDate", "endDate"),
        ("dateLastModified", "parentSourcedId", "schoolYear"),
    ),
}
REQUIRED_FILES = ("orgs.csv", "users.csv", "classes.csv", "enrollments.csv")
DELETED = "tobedeleted"
# userIds types that carry the statewide student id, compared without case, spaces or punctuation:
# SSID (California's CALPADS, Washington, Oregon), SASID (Massachusetts, New Hampshire, Rhode
# Island), STN (Indiana), NYSSIS (New York), and the generic spellings SIS vendors export.
STATE_ID_TYPES = frozenset(
    {
        "ssid",
        "sasid",
        "stn",
        "nyssis",
        "stateid",
        "statestudentid",
        "statestudentidentifier",
        "statestudentnumber",
        "statewideid",
        "statewidestudentid",
        "statewidestudentidentifier",
    }
)
_NOT_WORD = re.compile(r"[^0-9a-z]+")


class Export:
    """The files of one export, from a folder or a zip, opened with the core's encoding rules."""

    def __init__(self, source: ImportSource, stack: ExitStack) -> None:
        self.openers: dict[str, Callable[[], IO[bytes]]] = {}
        if source.path is not None and source.path.is_dir():
            for path in sorted(source.path.rglob("*")):
                if path.is_file():
                    self.openers.setdefault(path.name.lower(), _path_opener(path))
        else:
            binary = stack.enter_context(source.binary())
            try:
                archive = stack.enter_context(zipfile.ZipFile(binary))
            except zipfile.BadZipFile as error:
                raise FileRejected(
                    f"{source.name} is neither a folder nor a zip of OneRoster CSV files"
                ) from error
            for name in archive.namelist():
                if not name.endswith("/"):
                    key = PurePosixPath(name).name.lower()
                    self.openers.setdefault(key, _member_opener(archive, name))
        self.stack = stack

    def has(self, name: str) -> bool:
        return name.lower() in self.openers

    def rows(self, name: str) -> Iterator[tuple[int, dict[str, str]]]:
        """``(row number, row)`` with the header as row 1; blank lines are skipped."""
        text = self.stack.enter_context(open_text(self.openers[name.lower()], name))
        header, reader = read_header(text, name)
        for row_number, row in enumerate(reader, start=2):
            if any(value.strip() for value in row):
                cells = [*row, *[""] * (len(header) - len(row))]
                yield row_number, {key: cells[i].strip() for i, key in enumerate(header)}

    def header(self, name: str) -> list[str]:
        with open_text(self.openers[name.lower()], name) as text:
            return read_header(text, name)[0]


def _path_opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _member_opener(archive: zipfile.ZipFile, name: str) -> Callable[[], IO[bytes]]:
    return lambda: archive.open(name)


def _check_manifest(export: Export) -> dict[str, str]:
    """The files the manifest says are there, with their mode (``bulk`` or ``delta``)."""
    if not export.has("manifest.csv"):
        raise FileRejected("manifest.csv is missing: this is not a OneRoster CSV export")
    manifest = {
        row.get("propertyName", ""): row.get("value", "") for _, row in export.rows("manifest.csv")
    }
    version = manifest.get("oneroster.version", "")
    if version not in ("1.0", "1.1"):
        raise FileRejected(
            f"OneRoster version {version or '(none)'} is not supported; export OneRoster 1.1 CSV"
        )
    present = {}
    for name in COLUMNS:
        mode = manifest.get(
            f"file.{name.removesuffix('.csv')}", "absent" if name not in REQUIRED_FILES else "bulk"
        ).lower()
        if mode == "absent":
            continue
        if not export.has(name):
            raise FileRejected(f"the manifest lists {name} but the export has no such file")
        present[name] = mode
    return present


def _check_headers(export: Export, present: Mapping[str, str]) -> None:
    """Every file's header, before anything is yielded (a bad header rejects the whole export)."""
    for name in sorted(present):
        required, optional = COLUMNS[name]
        header = export.header(name)
        missing = [column for column in required if column not in header]
        if missing:
            known = set(required) | set(optional)
            unknown = [c for c in header if c not in known and not c.startswith("metadata.")]
            message = f"{name}: missing columns: {', '.join(missing)}"
            if unknown:
                message += f"; unknown columns: {', '.join(unknown)}"
            raise FileRejected(message, missing=tuple(missing), unknown=tuple(unknown))


def _school_years(export: Export, present: Mapping[str, str]) -> dict[str, str]:
    """Term sourcedId → school year written ``2025-26`` (OneRoster's schoolYear is the end year)."""
    years: dict[str, str] = {}
    if "academicSessions.csv" not in present:
        return years
    for _, row in export.rows("academicSessions.csv"):
        end_year = row.get("schoolYear", "")
        if end_year.isdigit() and len(end_year) == 4:
            years[row["sourcedId"]] = f"{int(end_year) - 1}-{int(end_year) % 100:02d}"
        elif (start := parse_date(row.get("startDate", ""))) is not None:
            years[row["sourcedId"]] = school_year_of(start)
    return years


def _grade(grades: str) -> str:
    first = grades.split(",")[0].strip()
    if first.isdigit():
        return str(int(first))
    return {"KG": "K", "PK": "PK", "TK": "TK"}.get(first.upper(), first)[:8]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse(source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
    with ExitStack() as stack:
        export = Export(source, stack)
        present = _check_manifest(export)
        _check_headers(export, present)
        years = _school_years(export, present)
        # A bulk enrollments file is the whole list: a class it covers loses the students it omits.
        bulk_enrollments = present["enrollments.csv"] == "bulk"
        default_year = str(options.get("school_year") or school_year_of(date.today()))
        state_types = state_id_types(options.get("state_id_types"))

        school_codes: dict[str, str] = {}
        district_orgs: set[str] = set()
        for row_number, org in export.rows("orgs.csv"):
            if org["type"].lower() == "district" and org["status"].lower() != DELETED:
                district_orgs.add(org["sourcedId"])
            if org["type"].lower() != "school" or org["status"].lower() == DELETED:
                continue
            code = org.get("identifier") or org["sourcedId"]
            school_codes[org["sourcedId"]] = code
            yield SchoolRecord(row_number, code, org["name"], file="orgs.csv")

        teacher_emails: dict[str, str] = {}
        student_ids: dict[str, str] = {}
        skipped: set[str] = set()  # users and classes marked tobedeleted: their enrollments go too
        for row_number, user in export.rows("users.csv"):
            role = user["role"].lower()
            if user["status"].lower() == DELETED:
                skipped.add(user["sourcedId"])
                continue
            if role == "administrator":
                yield _staff(row_number, user, school_codes, district_orgs)
                continue
            if role not in ("teacher", "student"):
                continue
            school = next(
                (school_codes[org] for org in _split(user["orgSourcedIds"]) if org in school_codes),
                None,
            )
            if role == "teacher":
                email = user.get("email", "").lower()
                if not email:
                    yield RowError(
                        row_number,
                        "a teacher needs an email to be matched to a user",
                        "email",
                        "",
                        "users.csv",
                    )
                    continue
                teacher_emails[user["sourcedId"]] = email
                name = " ".join(part for part in (user["givenName"], user["familyName"]) if part)
                yield TeacherRecord(row_number, email, name, school, file="users.csv")
            else:
                local_id = user.get("identifier") or user["sourcedId"]
                student_ids[user["sourcedId"]] = local_id
                yield StudentRecord(
                    row_number,
                    local_id,
                    user["givenName"],
                    user["familyName"],
                    grade_level=_grade(user.get("grades", "")),
                    state_id=state_id(user.get("userIds", ""), state_types),
                    school_code=school,
                    file="users.csv",
                )

        primary: dict[str, str] = {}
        first_teacher: dict[str, str] = {}
        for _, enrollment in export.rows("enrollments.csv"):
            if enrollment["role"].lower() != "teacher" or enrollment["status"].lower() == DELETED:
                continue
            email = teacher_emails.get(enrollment["userSourcedId"])
            if email is None:
                continue
            first_teacher.setdefault(enrollment["classSourcedId"], email)
            if enrollment.get("primary", "").lower() == "true":
                primary.setdefault(enrollment["classSourcedId"], email)

        class_schools: dict[str, str] = {}
        for row_number, klass in export.rows("classes.csv"):
            if klass["status"].lower() == DELETED:
                skipped.add(klass["sourcedId"])
                continue
            school = school_codes.get(klass["schoolSourcedId"])
            if school is None:
                yield RowError(
                    row_number,
                    "unknown school (not a school in orgs.csv)",
                    "schoolSourcedId",
                    klass["schoolSourcedId"],
                    "classes.csv",
                )
                continue
            class_schools[klass["sourcedId"]] = school
            terms = _split(klass.get("termSourcedIds", ""))
            year = next((years[t] for t in terms if t in years), default_year)
            sourced_id = klass["sourcedId"]
            yield SectionRecord(
                row_number,
                sourced_id,
                school,
                klass["title"],
                year,
                teacher_email=primary.get(sourced_id) or first_teacher.get(sourced_id),
                subject=(_split(klass.get("subjects", "")) or [""])[0],
                grade_level=_grade(klass.get("grades", "")),
                file="classes.csv",
                replace_enrollments=bulk_enrollments,
            )

        for row_number, enrollment in export.rows("enrollments.csv"):
            if enrollment["role"].lower() != "student" or not skipped.isdisjoint(
                (enrollment["userSourcedId"], enrollment["classSourcedId"])
            ):
                continue
            local_id = student_ids.get(enrollment["userSourcedId"])
            if local_id is None:
                yield RowError(
                    row_number,
                    "unknown student (not a student in users.csv)",
                    "userSourcedId",
                    enrollment["userSourcedId"],
                    "enrollments.csv",
                )
                continue
            school = school_codes.get(enrollment["schoolSourcedId"]) or class_schools.get(
                enrollment["classSourcedId"], ""
            )
            yield EnrollmentRecord(
                row_number,
                school,
                enrollment["classSourcedId"],
                local_id,
                deleted=enrollment["status"].lower() == DELETED,
                file="enrollments.csv",
            )


def _staff(
    row_number: int, user: Mapping[str, str], schools: Mapping[str, str], districts: set[str]
) -> StaffRecord | RowError | RowSkipped:
    """An administrator: a principal of the first school among their orgs, else a district admin
    when attached to the district org; administrators of departments are not imported."""
    orgs = _split(user["orgSourcedIds"])
    school = next((schools[org] for org in orgs if org in schools), None)
    if school is None and districts.isdisjoint(orgs):
        reason = "an administrator of neither a school nor the district is not imported"
        return RowSkipped(row_number, reason, "users.csv")
    email = user.get("email", "").lower()
    if not email:
        reason = "an administrator needs an email to be matched to a user"
        return RowError(row_number, reason, "email", "", "users.csv")
    name = " ".join(part for part in (user["givenName"], user["familyName"]) if part)
    role = "principal" if school is not None else "district_admin"
    return StaffRecord(row_number, email, name, role, school, file="users.csv")


def _label(kind: str) -> str:
    return _NOT_WORD.sub("", kind.lower())


def state_id_types(option: Any) -> frozenset[str] | None:
    """The ``state_id_types`` option (``"SSID, CALPADS"`` or a list) as labels; None: the defaults."""
    if option in (None, ""):
        return None
    names = option.split(",") if isinstance(option, str) else [str(name) for name in option]
    labels = frozenset(_label(name) for name in names if _label(name))
    if not labels:
        raise FileRejected(f"option state_id_types={option!r} names no userIds type")
    return labels


def state_id(user_ids: str, types: frozenset[str] | None = None) -> str | None:
    """The state id among a user's ``userIds`` (``{SSID:4000000000},{District:123}``): the entry
    whose type is one of ``types``, by default :data:`STATE_ID_TYPES` or any type naming the
    state (``{Student State ID:...}``)."""
    for entry in user_ids.strip().strip("[]").split(","):
        kind, _, value = entry.strip().strip("{}").partition(":")
        label, value = _label(kind), value.strip()
        if not value:
            continue
        if label in types if types is not None else (label in STATE_ID_TYPES or "state" in label):
            return value
    return None


IMPORTER = ImporterDefinition(
    name="oneroster",
    title="OneRoster 1.1 CSV roster",
    layouts=("oneroster-1.1",),
    record_kinds=("schools", "teachers", "staff", "students", "sections", "enrollments"),
    parse=parse,
    description="A folder or zip of OneRoster 1.1 CSV files: schools, teachers, administrators "
    "(principals, district admins), students, sections with their teacher of record, enrollments.",
)


@hookimpl
def mypd_graph_register_importers(register: Any) -> None:
    register(IMPORTER)
