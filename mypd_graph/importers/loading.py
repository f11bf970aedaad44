"""Loading a file inside the import's transaction: read a batch, write it, repeat; then judge it.

:func:`load` is the pipeline's step 3 (:mod:`~mypd_graph.importers.pipeline`): it drives the reader
(:mod:`~mypd_graph.importers.worker`) and the writers (:mod:`~mypd_graph.importers.writers`) batch
by batch, adds up the :class:`~mypd_graph.importers.outcome.Outcome`, and raises :class:`Rejected`
for a file that must leave nothing behind (empty, refused by its importer, or with too many bad
rows), so that the caller rolls the transaction back.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.importers.bulk import Db
from mypd_graph.importers.job import ImportJob, ImportProgress, ProgressCallback
from mypd_graph.importers.outcome import ErrorBuffer, Outcome
from mypd_graph.importers.source import WINDOWS_1252
from mypd_graph.importers.stale import hold_run
from mypd_graph.importers.worker import open_reader
from mypd_graph.importers.writers import Writers
from mypd_graph.models import ImportRun, utcnow
from mypd_graph.plugins.types import FileRejected, ImportSource

log = logging.getLogger(__name__)


class Rejected(Exception):
    """The file is unusable as a whole; the message says why (for the Import record)."""


def _rejection(error: FileRejected) -> str:
    message = str(error)
    extra = []
    if error.missing and not all(name in message for name in error.missing):
        extra.append(f"missing columns: {', '.join(error.missing)}")
    if error.unknown and not all(name in message for name in error.unknown):
        extra.append(f"unknown columns: {', '.join(error.unknown)}")
    return "; ".join([message, *extra])


async def load(
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
    # A folder's files are read by the importer, not through the source: no byte count to show.
    total = 0 if getattr(source, "is_folder", False) else getattr(source, "size", 0)
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
            if chunk.layout and chunk.layout in (job.definition.layouts or (chunk.layout,)):
                outcome.layout = chunk.layout
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
                        total,
                        time.monotonic() - started,
                        outcome.layout or job.layout,
                    )
                )
            if chunk.exhausted:
                break
        outcome.counts.add(await writers.finish())
        refreshing = time.monotonic()
        results = writers.by_kind.get("assessment_results")
        if results is not None:
            await results.refresh_status()
        await writers.refresh_rosters()
        log.info(
            "%s: rows written in %.2f s, summaries refreshed in %.2f s",
            job.definition.name,
            refreshing - started,
            time.monotonic() - refreshing,
            extra={
                "load_seconds": refreshing - started,
                "refresh_seconds": time.monotonic() - refreshing,
            },
        )
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
