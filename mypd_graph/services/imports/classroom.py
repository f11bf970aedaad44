"""Teachers bring their own data: results of a classroom assessment, for their own students.

A teacher uploads a score file of a test they gave (the simple template of docs/importing.md, or
any delimited file with a column mapping, as the ``generic`` layout of ``csv-scores`` reads it).
It runs through the import pipeline like every import (an ``import_run`` row, row errors, one
transaction, the audit event), with three differences:

- **Only their students.** A row whose student is not enrolled in one of the teacher's sections
  of that school year is a row error naming the row; the others are imported. A classroom file
  never creates students or enrolls anyone.
- **Marked as classroom data.** The results belong to one assessment of the teacher's own
  (``assessment.classroom_teacher_id``, key ``classroom-<teacher>-<name>``), so they are told
  apart from the district's data everywhere; they show in the teacher's growth by term.
- **Needs only when the district says so** (``DistrictSettings.classroom_results_in_needs``,
  off by default: a quiz a teacher wrote is not a state test).

May import the services kernel, models, the import pipeline and :mod:`..students`.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import IO, Any

from sqlalchemy import delete, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.db import SessionMaker
from mypd_graph.importers.job import ImportJob
from mypd_graph.importers.loading import Rejected, load
from mypd_graph.importers.outcome import ErrorBuffer, Outcome, failure_message, record_outcome
from mypd_graph.importers.pipeline import create_run
from mypd_graph.importers.source import FileSource, spool
from mypd_graph.models import (
    Assessment,
    AssessmentResult,
    Enrollment,
    ImportRowError,
    ImportRun,
    Role,
    Section,
    Student,
)
from mypd_graph.models.data import ImportStatus
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.plugins.types import (
    AssessmentResultRecord,
    ImporterDefinition,
    ImportSource,
    RowError,
)
from mypd_graph.services.access import Actor, school_year_of
from mypd_graph.services.errors import PermissionDenied, invalid
from mypd_graph.services.inputs import check_cycle, check_text, column_length, today
from mypd_graph.services.students.rosters import record_read

log = logging.getLogger(__name__)

IMPORTER = "classroom"
BASE_IMPORTER, BASE_LAYOUT = "csv-scores", "generic"
VENDOR = "Classroom"
MAX_FILE_BYTES = 2_000_000  # a class's results: a few hundred rows at most
BATCH_SIZE = 5000
SUBJECTS = ("Math", "ELA", "Science")
TERMS = ("Fall", "Winter", "Spring")
# The template's headers (docs/importing.md): student_id and achievement_level or score.
TEMPLATE_FIELDS = ("student_id", "score", "achievement_level", "date")
ROW_ERROR = "import_row_error"  # the audit trail's name for them (services/imports/runs.py)
NOT_YOURS = "not a student of your sections in {year}: a classroom upload takes your students only"
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class ClassroomUpload:
    """What the teacher says about the file: which test, which subject, when."""

    assessment_name: str
    subject: str
    school_year: str | None = None  # default: the year of the teacher's current sections
    term: str | None = None  # Fall, Winter or Spring; default: the season of today
    level_count: int = 4
    proficient_level: int = 3
    mapping: Mapping[str, str] | None = None  # field -> header; default: the template's


def _season(month: int) -> str:
    return "Fall" if 7 <= month <= 11 else "Winter" if month in (12, 1, 2) else "Spring"


def classroom_key(teacher_id: int, name: str) -> str:
    """The key of a teacher's own assessment: the same name twice is the same assessment."""
    slug = _SLUG.sub("-", name.lower()).strip("-") or "assessment"
    return f"classroom-{teacher_id}-{slug}"[: column_length(Assessment.key)]


def _checked(upload: ClassroomUpload) -> ClassroomUpload:
    name = check_text(
        upload.assessment_name, ("input", "assessmentName"), column_length(Assessment.name)
    )
    subject = next((s for s in SUBJECTS if s.lower() == upload.subject.strip().lower()), None)
    if subject is None:
        raise invalid(("input", "subject"), f"subject must be one of {', '.join(SUBJECTS)}")
    term = upload.term.strip().title() if upload.term else _season(today().month)
    if term not in TERMS:
        raise invalid(("input", "term"), f"term must be one of {', '.join(TERMS)}")
    year = check_cycle(upload.school_year, ("input", "schoolYear")) if upload.school_year else None
    if not 2 <= upload.level_count <= 10 or not 1 <= upload.proficient_level <= upload.level_count:
        raise invalid(
            ("input", "proficientLevel"),
            "levels: 2 to 10, and the proficient level one of them",
            "OUT_OF_RANGE",
        )
    return replace(upload, assessment_name=name, subject=subject, term=term, school_year=year)


async def _teacher_year(session: AsyncSession, actor: Actor) -> str | None:
    """The teacher's current school year: their newest sections' year that has begun."""
    return await session.scalar(
        select(Section.school_year)
        .where(
            Section.teacher_id == actor.user_id,
            Section.school_year <= school_year_of(today()),
        )
        .order_by(Section.school_year.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class OwnStudents:
    """The students of the teacher's sections in the year: ids, local ids and state ids."""

    ids: frozenset[int]
    local_ids: frozenset[str]
    state_ids: frozenset[str]


async def _own_students(session: AsyncSession, actor: Actor, year: str) -> OwnStudents:
    rows = (
        await session.execute(
            select(Student.id, Student.local_id, Student.state_id)
            .join(Enrollment, Enrollment.student_id == Student.id)
            .join(Section, Section.id == Enrollment.section_id)
            .where(Section.teacher_id == actor.user_id, Section.school_year == year)
        )
    ).all()
    return OwnStudents(
        frozenset(row[0] for row in rows),
        frozenset(row[1] for row in rows),
        frozenset(row[2] for row in rows if row[2]),
    )


def template_mapping(head: bytes) -> dict[str, str]:
    """The template's fields found in the header (the file's first line)."""
    line = head.decode("utf-8-sig", errors="replace").splitlines()[:1] or [""]
    delimiter = "\t" if "\t" in line[0] else ","
    headers = next(csv.reader(io.StringIO(line[0]), delimiter=delimiter), [])
    found = {header.strip().lower(): header for header in headers}
    mapping = {field: found[field] for field in TEMPLATE_FIELDS if field in found}
    # Missing student_id or both results: the generic layout says so, naming the fields.
    return mapping or {"student_id": "student_id"}


def classroom_definition(
    base: ImporterDefinition, key: str, upload: ClassroomUpload, own: OwnStudents
) -> ImporterDefinition:
    """The generic layout's parser, narrowed to the teacher's students and their assessment."""
    local_ids, state_ids = own.local_ids, own.state_ids
    year = upload.school_year or ""

    def parse(source: ImportSource, options: Mapping[str, Any]) -> Iterator[Any]:
        for item in base.parse(source, {**options, "format": BASE_LAYOUT}):
            if not isinstance(item, AssessmentResultRecord):
                if isinstance(item, RowError):
                    yield item
                continue  # student records: a classroom file never creates students
            sid, state = item.student_local_id, item.student_state_id or ""
            # Judge the row by the id the writer will match on: the local id when there is one
            # (looked up district-wide), else the state id. A row that passed on one id and was
            # written by the other would reach a student who is not the teacher's.
            if (sid and sid not in local_ids) or (not sid and state not in state_ids):
                reason = f"row {item.row}: {NOT_YOURS.format(year=year)}"
                yield RowError(item.row, reason, "student_id", sid[:200], item.file)
                continue
            yield replace(
                item,
                assessment_key=key,
                assessment_name=upload.assessment_name,
                subject=upload.subject,
                vendor=VENDOR,
                school_year=year,
                level_count=upload.level_count,
                proficient_level=upload.proficient_level,
                teacher_names=(),
            )

    return ImporterDefinition(
        name=IMPORTER,
        title="Classroom results entered by a teacher",
        layouts=(IMPORTER,),
        record_kinds=("assessment_results",),
        parse=parse,
    )


async def _prepare(
    session: AsyncSession, actor: Actor, upload: ClassroomUpload
) -> tuple[ClassroomUpload, str, OwnStudents]:
    """Check the teacher and the input; make (or find) their assessment, marked as theirs."""
    year = upload.school_year or await _teacher_year(session, actor)
    if year is None:
        raise invalid(("input", "schoolYear"), "you have no sections: nothing to upload for")
    upload = replace(upload, school_year=year)
    own = await _own_students(session, actor, year)
    if not own.ids:
        raise invalid(("input", "schoolYear"), f"you have no students in {year}", "NO_STUDENTS")
    key = classroom_key(actor.user_id, upload.assessment_name)
    found = await session.scalar(
        select(Assessment).where(Assessment.district_id == actor.district_id, Assessment.key == key)
    )
    if found is None:
        session.add(
            Assessment(
                district_id=actor.district_id,
                key=key,
                name=upload.assessment_name,
                subject=upload.subject,
                vendor=VENDOR,
                level_count=upload.level_count,
                proficient_level=upload.proficient_level,
                proficiency_basis="level",
                classroom_teacher_id=actor.user_id,
            )
        )
    elif found.classroom_teacher_id != actor.user_id:  # a district assessment took the key
        raise invalid(("input", "assessmentName"), "choose another name for this assessment")
    return upload, key, own


async def import_classroom_results(
    sessionmaker: SessionMaker,
    actor: Actor,
    plugins: PluginSet,
    stream: IO[bytes],
    file_name: str,
    upload: ClassroomUpload,
) -> ImportRun:
    """Import a teacher's classroom results (see the module's docstring); returns the run."""
    if actor.role is not Role.TEACHER:
        raise PermissionDenied("only a teacher uploads classroom results, for their own students")
    upload = _checked(upload)
    contribution = plugins.importers.get(BASE_IMPORTER)
    if contribution is None:
        raise invalid(("input", "file"), f"the {BASE_IMPORTER} importer is not installed")
    head = stream.read(4096)  # the header, for the template's mapping
    stream.seek(0)
    source: FileSource = await asyncio.to_thread(spool, stream, file_name)
    with source:
        if source.size > MAX_FILE_BYTES:
            raise invalid(
                ("input", "file"),
                f"a classroom file may be at most {MAX_FILE_BYTES:,} bytes",
                "FILE_TOO_LARGE",
            )
        async with sessionmaker.begin() as session:
            upload, key, own = await _prepare(session, actor, upload)
        mapping = dict(upload.mapping or template_mapping(head))
        options = {
            "format": IMPORTER,
            "mapping": mapping,
            "max_error_share": 1.0,
            "subject": upload.subject,
            "school_year": upload.school_year,
            "term": upload.term,
            "assessment_key": key,
            "assessment_name": upload.assessment_name,
            "vendor": VENDOR,
            "level_count": upload.level_count,
            "proficient_level": upload.proficient_level,
        }
        job = ImportJob(
            actor,
            classroom_definition(contribution.item, key, upload, own),
            MappingProxyType(options),
            IMPORTER,
            max_error_share=1.0,  # others' students are row errors; the teacher's rows stay
            create_students=False,
            attribute_teachers=False,
        )
        run = await create_run(sessionmaker, job, source)
        run = await _execute(sessionmaker, run.id, job, source)
    if run.status != ImportStatus.COMPLETED.value:
        await _drop_if_empty(sessionmaker, actor, key)
    return run


async def _execute(
    sessionmaker: SessionMaker,
    run_id: int,
    job: ImportJob,
    source: FileSource,
) -> ImportRun:
    """The pipeline's run (:func:`~mypd_graph.importers.pipeline.execute_run`) in one
    transaction; a bad file is a rejected run, never an exception. The pipeline keeps the
    summaries by the district's classroom rule: its first-load counting adds the results while
    the rule counts them, and recomputes the students written by the summaries' one definition
    while it leaves them out (importers/result_summary.py)."""
    outcome, errors = Outcome(), ErrorBuffer()
    try:
        try:
            async with sessionmaker() as session, session.begin():
                await load(session, run_id, job, source, outcome, errors, None, BATCH_SIZE)
                notes = "; ".join(outcome.notes)
                return await record_outcome(
                    session, run_id, job, ImportStatus.COMPLETED, notes, outcome, errors
                )
        except Rejected as rejected:
            status, message = ImportStatus.REJECTED, str(rejected)
        except Exception as error:
            log.exception("classroom import %s failed", run_id)
            status, message = ImportStatus.FAILED, failure_message(error)
        async with sessionmaker() as session, session.begin():
            return await record_outcome(session, run_id, job, status, message, outcome, errors)
    finally:
        errors.close()


async def _drop_if_empty(sessionmaker: SessionMaker, actor: Actor, key: str) -> None:
    """A rejected first upload leaves no empty assessment behind."""
    async with sessionmaker.begin() as session:
        await session.execute(
            delete(Assessment).where(
                Assessment.district_id == actor.district_id,
                Assessment.key == key,
                Assessment.classroom_teacher_id == actor.user_id,
                ~exists().where(AssessmentResult.assessment_id == Assessment.id),
            )
        )


async def classroom_row_errors(
    session: AsyncSession, actor: Actor, run_id: int, limit: int = 500
) -> list[ImportRowError]:
    """The row errors of the teacher's own classroom upload, in file order (they quote the
    file's student ids: reading them is recorded, as for every import's row errors)."""
    rows = list(
        await session.scalars(
            select(ImportRowError)
            .join(ImportRun, ImportRun.id == ImportRowError.import_id)
            .where(
                ImportRun.id == run_id,
                ImportRun.user_id == actor.user_id,
                ImportRun.importer == IMPORTER,
            )
            .order_by(ImportRowError.id)
            .limit(limit)
        )
    )
    record_read(session, actor, ROW_ERROR, [row.id for row in rows], "row errors of imports")
    return rows
