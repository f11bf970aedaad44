"""The import pipeline: one function, :func:`run_import`, from a file to an Import record.

What happens to a file, in order:

1. The actor must be a district admin or the importer service role; everything lands in their
   district. The importer is looked up among the plugins and the chosen format checked against the
   layouts it declares.
2. The file is opened as a :class:`~mypd_graph.importers.source.FileSource` (checksum and encoding
   in one pass) and an :class:`~mypd_graph.models.data.ImportRun` is committed with status
   ``running``, so the run is visible while it works.
3. In one transaction: the importer's ``parse`` runs in a worker thread, a batch at a time, between
   the writes of the batches (the event loop stays free); a large file on disk is parsed in a
   process of its own (:mod:`~mypd_graph.importers.worker`), one batch ahead of the writer.
   Each record is checked and staged (:mod:`~mypd_graph.importers.kinds`), duplicates of a natural
   key within the file are rejected (the first row wins), and each batch is upserted by natural key
   (:mod:`~mypd_graph.importers.writers`). Memory stays flat: a batch at a time, and row errors
   spill to a temporary file until they are stored.
4. The transaction commits only when the run completes. A file the importer rejects, a file with no
   rows, or a share of bad rows above ``max_error_share`` (10% unless the options say otherwise)
   rolls everything back and marks the run ``rejected``; any error rolls back and marks it
   ``failed``. Either way the database holds the run record and its row errors, nothing else.

Options the core reads (the importer receives all of them): ``format`` (a layout of the importer),
``max_error_share`` (0 to 1), ``create_students`` (results may create students the roster lacks),
``attribute_teachers`` (results enroll students with the teachers the file names; defaults to
``create_students``). Importers read their own (``mapping``, ...).
"""

from __future__ import annotations

import asyncio
import json
import logging
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.db import SessionMaker
from mypd_graph.importers.bulk import Counts, Db
from mypd_graph.importers.source import WINDOWS_1252, FileSource, open_source
from mypd_graph.importers.stale import hold_run
from mypd_graph.importers.worker import open_reader
from mypd_graph.importers.writers import Writers
from mypd_graph.models import AuditEvent, ImportRowError, ImportRun, utcnow
from mypd_graph.models.data import ImportStatus
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.plugins.types import (
    FileRejected,
    ImporterDefinition,
    ImportSource,
    RowError,
)
from mypd_graph.services.access import Actor
from mypd_graph.services.errors import invalid
from mypd_graph.services.imports.runs import may_import

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
DEFAULT_MAX_ERROR_SHARE = 0.10
ERROR_INSERT_BATCH = 2000


class Rejected(Exception):
    """The file is unusable as a whole; the message says why (for the Import record)."""


@dataclass(frozen=True)
class ImportProgress:
    """Reported after every batch: enough for a progress bar and a rows/s figure."""

    rows_read: int
    rows_rejected: int
    bytes_read: int
    bytes_total: int
    elapsed: float

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.elapsed if self.elapsed > 0 else 0.0


ProgressCallback = Callable[[ImportProgress], None]


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


@dataclass(frozen=True)
class ImportJob:
    """A checked request to import: who, with which importer, format and options."""

    actor: Actor
    definition: ImporterDefinition
    options: Mapping[str, Any]
    layout: str
    max_error_share: float
    create_students: bool
    attribute_teachers: bool


def prepare_job(
    actor: Actor,
    importer: str | ImporterDefinition,
    options: Mapping[str, Any] | None = None,
    plugins: PluginSet | None = None,
) -> ImportJob:
    """Check the actor, the importer, the format and the core's options before anything runs.

    Raises :class:`~mypd_graph.services.errors.PermissionDenied` or
    :class:`~mypd_graph.services.errors.UserInputError` (fields under ``input``).
    """
    may_import(actor)
    if isinstance(importer, ImporterDefinition):
        definition = importer
    else:
        plugins = plugins or load_plugins()
        contribution = plugins.importers.get(importer)
        if contribution is None:
            known = ", ".join(sorted(plugins.importers)) or "none"
            raise invalid(
                ("input", "importer"),
                f"no importer named {importer!r}; installed importers: {known}",
                "UNKNOWN_IMPORTER",
            )
        definition = contribution.item
    options = dict(options or {})
    layout = str(options.get("format") or "")
    if layout and definition.layouts and layout not in definition.layouts:
        raise invalid(
            ("input", "format"),
            f"importer {definition.name!r} has no format {layout!r}; "
            f"expected one of: {', '.join(definition.layouts)}",
            "UNKNOWN_FORMAT",
        )
    if not layout and len(definition.layouts) == 1:
        layout = definition.layouts[0]
    options["format"] = layout or None
    try:
        share = float(options.get("max_error_share", DEFAULT_MAX_ERROR_SHARE))
    except (TypeError, ValueError):
        share = -1.0
    if not 0 <= share <= 1:
        raise invalid(
            ("input", "options", "max_error_share"),
            "max_error_share must be a number from 0 to 1 (the share of rows that may be bad)",
            "OUT_OF_RANGE",
        )
    create_students = _flag(options.get("create_students", False))
    attribute = _flag(options.get("attribute_teachers", create_students))
    return ImportJob(
        actor, definition, MappingProxyType(options), layout, share, create_students, attribute
    )


class ErrorBuffer:
    """Row errors, spilled to a temporary file until the run's outcome is known."""

    def __init__(self) -> None:
        self.file = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.count = 0
        self.rows_rejected = 0

    def add(self, errors: list[RowError]) -> None:
        """One batch's errors; a row with several errors counts once."""
        if not errors:
            return
        self.rows_rejected += len({(error.file, error.row) for error in errors})
        for error in sorted(errors, key=lambda error: (error.file, error.row)):
            value = None if error.value is None else str(error.value)[:1000]
            record = [error.row, error.file[:200], (error.column or None), value, error.reason]
            if record[2] is not None:
                record[2] = str(record[2])[:200]
            self.file.write(json.dumps(record) + "\n")
        self.count += len(errors)

    def batches(self, size: int) -> Iterator[list[list[Any]]]:
        self.file.seek(0)
        batch: list[list[Any]] = []
        for line in self.file:
            batch.append(json.loads(line))
            if len(batch) >= size:
                yield batch
                batch = []
        if batch:
            yield batch

    def close(self) -> None:
        self.file.close()


@dataclass
class Outcome:
    rows_read: int = 0
    counts: Counts = field(default_factory=Counts)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)  # reason -> rows left out on purpose

    @property
    def rows_skipped(self) -> int:
        return sum(self.skipped.values())

    def skipped_note(self) -> str | None:
        if not self.skipped:
            return None
        reasons = sorted(self.skipped.items(), key=lambda item: (-item[1], item[0]))
        shown = "; ".join(f"{reason} ({rows:,})" for reason, rows in reasons[:10])
        more = f"; and {len(reasons) - 10} more reasons" if len(reasons) > 10 else ""
        return f"{self.rows_skipped:,} rows skipped on purpose: {shown}{more}"


def _rejection(error: FileRejected) -> str:
    message = str(error)
    extra = []
    if error.missing and not all(name in message for name in error.missing):
        extra.append(f"missing columns: {', '.join(error.missing)}")
    if error.unknown and not all(name in message for name in error.unknown):
        extra.append(f"unknown columns: {', '.join(error.unknown)}")
    return "; ".join([message, *extra])


async def _load(
    session: AsyncSession,
    run_id: int,
    job: ImportJob,
    source: ImportSource,
    outcome: Outcome,
    errors: ErrorBuffer,
    progress: ProgressCallback | None,
    batch_size: int,
) -> None:
    """Parse and write the whole file inside the caller's transaction; raise Rejected to undo it."""
    if getattr(source, "size", None) == 0:
        raise Rejected("the file is empty")
    connection = await session.connection()
    db = Db(connection, {"district_id": job.actor.district_id, "run_id": run_id, "now": utcnow()})
    # Writing first takes SQLite's write lock now, so a concurrent writer waits instead of failing.
    await db.execute(update(ImportRun).where(ImportRun.id == run_id).values(status="running"))
    await hold_run(session, run_id)  # alive for as long as this transaction (stale.py)
    writers = Writers(db, job)
    await writers.start()
    reader = open_reader(job, source, batch_size)
    started = time.monotonic()
    try:
        while True:
            # One batch at a time: read (in a worker thread, so the event loop stays free), then
            # write. Reading beside the writing would only share one interpreter lock with it; a
            # large file's parser runs ahead in a process of its own instead (worker.py).
            try:
                chunk = await asyncio.to_thread(reader.take)
            except FileRejected as error:
                raise Rejected(_rejection(error)) from error
            result = await writers.write(chunk)
            outcome.rows_read += chunk.rows_read
            for reason, rows in chunk.skipped.items():
                outcome.skipped[reason] = outcome.skipped.get(reason, 0) + rows
            outcome.counts.add(result.counts)
            errors.add(chunk.errors + result.errors)
            if progress is not None:
                progress(
                    ImportProgress(
                        outcome.rows_read,
                        errors.rows_rejected,
                        getattr(source, "bytes_read", 0),
                        getattr(source, "size", 0),
                        time.monotonic() - started,
                    )
                )
            if chunk.exhausted:
                break
        outcome.counts.add(await writers.finish())
        results = writers.by_kind.get("assessment_results")
        if results is not None:
            await results.refresh_status()
        await writers.refresh_rosters()
        await writers.close()
    finally:
        reader.close()
    outcome.notes.extend(writers.notes())
    skipped_note = outcome.skipped_note()
    if skipped_note:
        outcome.notes.append(skipped_note)
    if getattr(source, "encoding", "") == WINDOWS_1252:
        outcome.notes.insert(0, "the file is not UTF-8; it was read as Windows-1252")
    if outcome.rows_read == 0:
        raise Rejected("the file has no data rows")
    # Rows skipped on purpose are not candidates: the share is of the rows meant to be imported.
    candidates = outcome.rows_read - outcome.rows_skipped
    share = errors.rows_rejected / candidates if candidates > 0 else 0.0
    if share > job.max_error_share:
        raise Rejected(
            f"{errors.rows_rejected} of {candidates} rows ({share:.1%}) were rejected, more "
            f"than the {job.max_error_share:.0%} allowed (max_error_share); nothing was imported. "
            "Fix the rows listed in the errors and import the file again."
        )


async def _finish(
    session: AsyncSession,
    run_id: int,
    job: ImportJob,
    status: ImportStatus,
    message: str,
    outcome: Outcome,
    errors: ErrorBuffer,
) -> ImportRun:
    """Record the outcome and the row errors (in the caller's transaction) and return the run."""
    counts = outcome.counts if status is ImportStatus.COMPLETED else Counts()
    await session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(
            status=status.value,
            message=message[:4000],
            rows_read=outcome.rows_read,
            rows_inserted=counts.inserted,
            rows_updated=counts.updated,
            rows_unchanged=counts.unchanged,
            rows_rejected=errors.rows_rejected,
            rows_skipped=outcome.rows_skipped,
            finished_at=utcnow(),
        )
    )
    for batch in errors.batches(ERROR_INSERT_BATCH):
        await session.execute(
            insert(ImportRowError),
            [
                {
                    "import_id": run_id,
                    "row": row,
                    "file": file,
                    "column": column,
                    "value": value,
                    "reason": reason,
                }
                for row, file, column, value, reason in batch
            ],
        )
    if status is ImportStatus.COMPLETED and counts.inserted + counts.updated:
        session.add(
            AuditEvent(
                user_id=job.actor.user_id,
                action="import",
                entity="import_run",
                entity_ids=[str(run_id)],
                detail=f"{job.definition.name}: {counts.inserted} inserted, "
                f"{counts.updated} updated",
            )
        )
    await session.flush()
    run = await session.scalar(
        select(ImportRun).where(ImportRun.id == run_id).execution_options(populate_existing=True)
    )
    assert run is not None
    return run


def _failure(error: BaseException) -> str:
    if isinstance(error, asyncio.CancelledError):
        return "the import was cancelled before it finished; nothing was imported"
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"the import failed and nothing was imported: {type(error).__name__}: {first_line}"


def new_run(job: ImportJob, source: ImportSource) -> ImportRun:
    return ImportRun(
        district_id=job.actor.district_id,
        user_id=job.actor.user_id,
        importer=job.definition.name,
        layout=job.layout,
        file_name=str(source.name)[:500],
        checksum=str(getattr(source, "checksum", "")),
        status=ImportStatus.RUNNING.value,
        message="",
        started_at=utcnow(),
    )


async def create_run(sessionmaker: SessionMaker, job: ImportJob, source: ImportSource) -> ImportRun:
    """Commit the run record (status ``running``) so it can be watched while it works."""
    async with sessionmaker.begin() as session:
        run = new_run(job, source)
        session.add(run)
        await session.flush()
    return run


async def execute_run(
    sessionmaker: SessionMaker,
    run_id: int,
    job: ImportJob,
    source: ImportSource,
    progress: ProgressCallback | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportRun:
    """Run an import whose record :func:`create_run` committed; never raises for a bad file."""
    outcome, errors = Outcome(), ErrorBuffer()
    try:
        try:
            async with sessionmaker() as session, session.begin():
                await _load(session, run_id, job, source, outcome, errors, progress, batch_size)
                return await _finish(
                    session,
                    run_id,
                    job,
                    ImportStatus.COMPLETED,
                    "; ".join(outcome.notes),
                    outcome,
                    errors,
                )
        except Rejected as rejected:
            status, message, cancelled = ImportStatus.REJECTED, str(rejected), None
        except (Exception, asyncio.CancelledError) as error:
            log.exception("import %s (%s) failed", run_id, job.definition.name)
            status, message = ImportStatus.FAILED, _failure(error)
            cancelled = error if isinstance(error, asyncio.CancelledError) else None
        async with sessionmaker() as session, session.begin():
            run = await _finish(session, run_id, job, status, message, outcome, errors)
        if cancelled is not None:
            raise cancelled
        return run
    finally:
        errors.close()


async def _run_in_session(
    session: AsyncSession,
    job: ImportJob,
    source: ImportSource,
    progress: ProgressCallback | None,
    batch_size: int,
) -> ImportRun:
    """The same, inside the caller's transaction: the data goes in a savepoint that a rejection or
    failure rolls back; the run record stays for the caller to commit."""
    run = new_run(job, source)
    session.add(run)
    await session.flush()
    outcome, errors = Outcome(), ErrorBuffer()
    try:
        try:
            async with session.begin_nested():
                await _load(session, run.id, job, source, outcome, errors, progress, batch_size)
            status, message = ImportStatus.COMPLETED, "; ".join(outcome.notes)
        except Rejected as rejected:
            status, message = ImportStatus.REJECTED, str(rejected)
        except Exception as error:
            log.exception("import %s (%s) failed", run.id, job.definition.name)
            status, message = ImportStatus.FAILED, _failure(error)
        return await _finish(session, run.id, job, status, message, outcome, errors)
    finally:
        errors.close()


async def run_import(
    database: SessionMaker | AsyncSession,
    actor: Actor,
    importer: str | ImporterDefinition,
    source: ImportSource | str | Path | bytes,
    options: Mapping[str, Any] | None = None,
    *,
    plugins: PluginSet | None = None,
    progress: ProgressCallback | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> ImportRun:
    """Import a file and return its Import record (status completed, rejected or failed).

    ``database`` is a sessionmaker (the run record commits on its own, the data in one transaction)
    or a session (everything joins the caller's transaction; the data in a savepoint).
    ``importer`` is a registered importer's name (looked up in ``plugins``, loaded when not given)
    or an :class:`ImporterDefinition`. ``source`` is a path (file or folder), bytes, or any
    :class:`ImportSource`. ``progress`` is called after every batch.

    Raises PermissionDenied or UserInputError for a request that cannot start; a bad file is never
    an exception, it is a rejected run.
    """
    job = prepare_job(actor, importer, options, plugins)
    opened = None if isinstance(source, ImportSource) else open_source(source)
    file_source: ImportSource = opened if opened is not None else source  # type: ignore[assignment]
    try:
        if isinstance(database, AsyncSession):
            return await _run_in_session(database, job, file_source, progress, batch_size)
        run = await create_run(database, job, file_source)
        return await execute_run(database, run.id, job, file_source, progress, batch_size)
    finally:
        if opened is not None:
            opened.close()


__all__ = [
    "DEFAULT_BATCH_SIZE",
    "FileSource",
    "ImportJob",
    "ImportProgress",
    "create_run",
    "execute_run",
    "prepare_job",
    "run_import",
]
