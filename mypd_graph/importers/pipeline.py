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
   spill to a temporary file until they are stored. This step is :mod:`~mypd_graph.importers.loading`.
4. The transaction commits only when the run completes. A file the importer rejects, a file with no
   rows, or a share of bad rows above ``max_error_share`` (10% unless the options say otherwise)
   rolls everything back and marks the run ``rejected``; any error rolls back and marks it
   ``failed``. Either way the database holds the run record and its row errors, nothing else
   (:mod:`~mypd_graph.importers.outcome`).

Options the core reads (the importer receives all of them): ``format`` (a layout of the importer),
``max_error_share`` (0 to 1), ``create_students`` (results may create students the roster lacks),
``attribute_teachers`` (results enroll students with the teachers the file names; defaults to
``create_students``). Importers read their own (``mapping``, ...).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.db import SessionMaker
from mypd_graph.importers.job import ImportJob, ImportProgress, ProgressCallback
from mypd_graph.importers.loading import Rejected, load
from mypd_graph.importers.outcome import ErrorBuffer, Outcome, failure_message, record_outcome
from mypd_graph.importers.printable import printable
from mypd_graph.importers.source import FileSource, open_source
from mypd_graph.models import ImportRun, utcnow
from mypd_graph.models.data import ImportStatus
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.plugins.types import ImporterDefinition, ImportSource
from mypd_graph.services.access import Actor, may_import
from mypd_graph.services.errors import invalid

log = logging.getLogger(__name__)

DEFAULT_BATCH_SIZE = 5000
DEFAULT_MAX_ERROR_SHARE = 0.10


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return bool(value)


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


def new_run(job: ImportJob, source: ImportSource) -> ImportRun:
    return ImportRun(
        district_id=job.actor.district_id,
        user_id=job.actor.user_id,
        importer=job.definition.name,
        layout=job.layout,
        file_name=printable(str(source.name))[:500],
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
                await load(session, run_id, job, source, outcome, errors, progress, batch_size)
                return await record_outcome(
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
            status, message = ImportStatus.FAILED, failure_message(error)
            cancelled = error if isinstance(error, asyncio.CancelledError) else None
        async with sessionmaker() as session, session.begin():
            run = await record_outcome(session, run_id, job, status, message, outcome, errors)
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
                await load(session, run.id, job, source, outcome, errors, progress, batch_size)
            status, message = ImportStatus.COMPLETED, "; ".join(outcome.notes)
        except Rejected as rejected:
            status, message = ImportStatus.REJECTED, str(rejected)
        except Exception as error:
            log.exception("import %s (%s) failed", run.id, job.definition.name)
            status, message = ImportStatus.FAILED, failure_message(error)
        return await record_outcome(session, run.id, job, status, message, outcome, errors)
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
