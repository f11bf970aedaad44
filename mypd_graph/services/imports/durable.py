"""Imports as jobs: a run queued for a worker, taken, run, handed back; or run in this process.

A queued run (``MYPD_JOB_QUEUE=postgres``) is committed with status ``queued``, its upload in the
database (:mod:`.uploads`) and its history's first event, in one transaction; the queue's job
names only the run, the importer and the options. A worker then runs :func:`run_queued_import`:

1. it takes the run's job lock, a PostgreSQL advisory lock of its session (``JOB_LOCK``):
   while an earlier attempt's worker is alive it holds the lock and this one waits; a dead one's
   connection is gone and so is its lock;
2. it claims the run (``queued`` or ``running`` -> ``running``, one more attempt, an event); a run
   that has ended is not run again (a job delivered twice does nothing the second time);
3. it rebuilds the actor from the user who uploaded (still active, still allowed to import) and
   the import request, copies the upload to a local file and runs the pipeline. Everything the
   import writes is in one transaction: a worker killed midway leaves nothing, and the next
   attempt writes every row once;
4. a worker asked to stop that cannot finish in time hands the run back (:func:`hand_back`):
   ``queued`` again, its row errors gone, an event; the queue then runs the job again.

The in-process queue (:func:`start_in_process`) is the same without a queue: the run starts at
once as an asyncio task of this process, with the same progress and history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import delete, select, text, update

from mypd_graph.db import SessionMaker
from mypd_graph.importers.job import ImportJob
from mypd_graph.importers.pipeline import execute_run, new_run, prepare_job
from mypd_graph.importers.source import FileSource
from mypd_graph.importers.stale import JOB_LOCK
from mypd_graph.models import ImportRowError, ImportRun, ImportRunJob, User, utcnow
from mypd_graph.models.data import ImportStatus
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import actor_for
from mypd_graph.services.errors import PermissionDenied, UserInputError
from mypd_graph.services.imports.tracking import (
    EventKind,
    ProgressReporter,
    RunProgress,
    add_event,
    record_event,
    worker_name,
)
from mypd_graph.services.imports.uploads import drop_upload, restore_upload, store_upload

log = logging.getLogger(__name__)

ENDED = {ImportStatus.COMPLETED.value, ImportStatus.REJECTED.value, ImportStatus.FAILED.value}


class ImportQueue(Protocol):
    """A queue the service can defer an import run to (mypd_graph/jobs/queue.py)."""

    name: str

    async def defer_import(self, run_id: int, importer: str, options: Mapping[str, Any]) -> int: ...


# -------------------------------------------------------------------------
# Accepting an upload
# -------------------------------------------------------------------------


async def queue_run(
    sessionmaker: SessionMaker, job: ImportJob, source: FileSource, queue: ImportQueue
) -> ImportRun:
    """Commit the run (``queued``) with its upload and first event, then defer its job."""
    async with sessionmaker.begin() as session:
        run = new_run(job, source)
        run.status = ImportStatus.QUEUED.value
        session.add(run)
        await session.flush()
        size = await store_upload(session, run.id, source)
        session.add(ImportRunJob(run_id=run.id, queue=queue.name, bytes_total=size))
        add_event(session, run.id, EventKind.QUEUED, detail=f"{size:,} bytes")
    try:
        job_id = await queue.defer_import(run.id, job.definition.name, dict(job.options))
    except Exception as error:
        log.exception("import run %s could not be queued", run.id)
        await _fail(sessionmaker, run.id, f"the import could not be queued: {error}")
        raise
    async with sessionmaker.begin() as session:
        await session.execute(
            update(ImportRunJob).where(ImportRunJob.run_id == run.id).values(job_id=job_id)
        )
    return run


async def start_in_process(
    sessionmaker: SessionMaker, job: ImportJob, source: FileSource, run_id: int
) -> None:
    """Record that this process runs the run now (``running`` since :func:`create_run`)."""
    async with sessionmaker.begin() as session:
        size = getattr(source, "size", 0)
        session.add(
            ImportRunJob(
                run_id=run_id,
                queue="in-process",
                attempts=1,
                worker=worker_name(),
                bytes_total=size,
            )
        )
        add_event(session, run_id, EventKind.STARTED, 1, worker_name(), "in the app process")


# -------------------------------------------------------------------------
# Running it
# -------------------------------------------------------------------------


async def run_tracked(
    sessionmaker: SessionMaker,
    run_id: int,
    job: ImportJob,
    source: FileSource,
    attempt: int,
    worker: str,
) -> ImportRun:
    """The pipeline with progress reported as it goes."""
    persist = sessionmaker.kw["bind"].dialect.name == "postgresql"
    reporter = ProgressReporter(sessionmaker, run_id, attempt, worker, persist)
    try:
        run = await execute_run(sessionmaker, run_id, job, source, progress=reporter)
    finally:
        await reporter.close()
    await _ended(sessionmaker, run.id, reporter.latest)
    return run


async def _ended(sessionmaker: SessionMaker, run_id: int, progress: RunProgress | None) -> None:
    """The last figures (SQLite could not write them as it went), and the upload gone. (The
    history's ending is the run's own status: tracking.history_by_run.)"""
    async with sessionmaker.begin() as session:
        if progress is not None:
            await session.execute(
                update(ImportRunJob)
                .where(ImportRunJob.run_id == run_id)
                .values(
                    rows_read=progress.rows_read,
                    rows_rejected=progress.rows_rejected,
                    bytes_read=progress.bytes_read,
                    bytes_total=progress.bytes_total,
                    progress_at=progress.updated_at,
                )
            )
        await drop_upload(session, run_id)


@dataclass(frozen=True)
class Claim:
    attempt: int
    resumed: bool  # an earlier attempt started and did not finish


@contextlib.asynccontextmanager
async def job_lock(sessionmaker: SessionMaker, run_id: int) -> AsyncIterator[None]:
    """Hold the run's job lock for the job's whole life (PostgreSQL; waits for a live holder)."""
    engine = sessionmaker.kw["bind"]
    async with engine.connect() as connection:
        await connection.execute(
            text("SELECT pg_advisory_lock(:lock, :run)"), {"lock": JOB_LOCK, "run": run_id}
        )
        await connection.commit()
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a lost connection has let go already
                await connection.execute(
                    text("SELECT pg_advisory_unlock(:lock, :run)"),
                    {"lock": JOB_LOCK, "run": run_id},
                )
                await connection.commit()


async def claim(sessionmaker: SessionMaker, run_id: int, worker: str) -> Claim | None:
    """Mark the run ``running`` for this worker; None when it has ended (or is gone)."""
    async with sessionmaker.begin() as session:
        status = await session.scalar(
            select(ImportRun.status).where(ImportRun.id == run_id).with_for_update()
        )
        if status is None or status in ENDED:
            return None
        record = await session.get(ImportRunJob, run_id, with_for_update=True)
        attempt = (record.attempts if record is not None else 0) + 1
        if record is None:
            session.add(
                ImportRunJob(run_id=run_id, queue="postgres", attempts=attempt, worker=worker)
            )
        else:
            record.attempts, record.worker = attempt, worker
            record.rows_read = record.rows_rejected = record.bytes_read = 0
        await session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(status=ImportStatus.RUNNING.value, started_at=utcnow())
        )
        resumed = status == ImportStatus.RUNNING.value
        detail = "the previous attempt did not finish; nothing of it was kept" if resumed else ""
        add_event(session, run_id, EventKind.STARTED, attempt, worker, detail)
    return Claim(attempt, resumed)


async def run_queued_import(
    sessionmaker: SessionMaker,
    plugins: PluginSet,
    run_id: int,
    importer: str,
    options: Mapping[str, Any],
    worker: str | None = None,
) -> str:
    """The job of a queued run (see the module docstring); the run's status when it ends."""
    worker = worker or worker_name()
    async with job_lock(sessionmaker, run_id):
        claimed = await claim(sessionmaker, run_id, worker)
        if claimed is None:
            return "ended already"
        try:
            job = await _rebuild(sessionmaker, run_id, importer, options, plugins)
        except (PermissionDenied, UserInputError, LookupError) as error:
            await _fail(sessionmaker, run_id, f"the import cannot run: {error}", claimed.attempt)
            return ImportStatus.FAILED.value
        async with sessionmaker() as session:
            name = await session.scalar(select(ImportRun.file_name).where(ImportRun.id == run_id))
        source = await restore_upload(sessionmaker, run_id, name or "upload")
        if source is None:
            await _fail(sessionmaker, run_id, "the uploaded file is gone", claimed.attempt)
            return ImportStatus.FAILED.value
        with source:
            try:
                run = await run_tracked(sessionmaker, run_id, job, source, claimed.attempt, worker)
            except asyncio.CancelledError:
                await asyncio.shield(hand_back(sessionmaker, run_id, claimed.attempt, worker))
                raise
        return run.status


async def _rebuild(
    sessionmaker: SessionMaker,
    run_id: int,
    importer: str,
    options: Mapping[str, Any],
    plugins: PluginSet,
) -> ImportJob:
    """The import request again, as the user who uploaded (checked anew: they may have lost the
    right to import since)."""
    async with sessionmaker() as session:
        user = await session.scalar(
            select(User).join(ImportRun, ImportRun.user_id == User.id).where(ImportRun.id == run_id)
        )
    if user is None or not user.active:
        raise LookupError("the user who uploaded the file is no longer active")
    return prepare_job(actor_for(user), importer, options, plugins)


async def hand_back(sessionmaker: SessionMaker, run_id: int, attempt: int, worker: str) -> None:
    """The worker is stopping: the run goes back to ``queued`` with nothing of this attempt (the
    pipeline rolled its data back and recorded it failed; that record is undone here)."""
    async with sessionmaker.begin() as session:
        await session.execute(delete(ImportRowError).where(ImportRowError.import_id == run_id))
        await session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(
                status=ImportStatus.QUEUED.value,
                message="",
                finished_at=None,
                rows_read=0,
                rows_inserted=0,
                rows_updated=0,
                rows_unchanged=0,
                rows_rejected=0,
                rows_skipped=0,
            )
        )
        add_event(
            session,
            run_id,
            EventKind.HANDED_BACK,
            attempt,
            worker,
            "the worker was stopping before the import finished; it runs again",
        )


async def _fail(sessionmaker: SessionMaker, run_id: int, message: str, attempt: int = 0) -> None:
    """The run failed without running (or the queue gave up on it): say why, drop the upload."""
    async with sessionmaker.begin() as session:
        await session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(status=ImportStatus.FAILED.value, message=message, finished_at=utcnow())
        )
        await drop_upload(session, run_id)
        add_event(session, run_id, EventKind.FAILED, attempt, worker_name(), message)


async def give_up(sessionmaker: SessionMaker, run_id: int, error: BaseException) -> None:
    """The job's last attempt raised (the database went away, say): the run fails, saying why,
    instead of waiting to be abandoned."""
    first_line = (str(error).strip().splitlines() or [""])[0]
    message = f"the import failed on its last attempt: {type(error).__name__}: {first_line}"
    async with sessionmaker.begin() as session:
        status = await session.scalar(select(ImportRun.status).where(ImportRun.id == run_id))
    if status is not None and status not in ENDED:
        await _fail(sessionmaker, run_id, message)


async def worker_lost(sessionmaker: SessionMaker, run_id: int, detail: str) -> None:
    """The queue found the run's worker stalled and put the job back (mypd_graph/jobs/worker.py)."""
    await record_event(sessionmaker, run_id, EventKind.WORKER_LOST, detail=detail)
