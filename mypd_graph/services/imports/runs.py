"""Imports as the API sees them: starting an upload, reading runs and row errors.

Import runs and their row errors are read only by the people who may import (district admins and
the importer service role, :data:`~mypd_graph.services.access.IMPORT_ROLES`), and only for their
own district: row errors quote the file's values, which can be student data, so reading them is
written to the audit log.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.db import SessionMaker
from mypd_graph.importers.pipeline import create_run, execute_run, prepare_job
from mypd_graph.importers.source import spool
from mypd_graph.models import ImportRowError, ImportRun
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.access import IMPORT_ROLES, Actor  # noqa: F401 (the schema reads it here)
from mypd_graph.services.common import Page, check_first, decode_cursor
from mypd_graph.services.imports.durable import (
    ImportQueue,
    queue_run,
    run_tracked,
    start_in_process,
)
from mypd_graph.services.imports.tracking import EventKind, record_event, visible_runs, worker_name
from mypd_graph.services.students.rosters import record_read

log = logging.getLogger(__name__)

INLINE_LIMIT_BYTES = 256 * 1024  # uploads up to this size import within the request
ROW_ERROR = "import_row_error"

_background: set[asyncio.Task[Any]] = set()


_visible = visible_runs


# -------------------------------------------------------------------------
# Starting an import from an upload
# -------------------------------------------------------------------------


async def import_upload(
    sessionmaker: SessionMaker,
    actor: Actor,
    plugins: PluginSet,
    importer: str,
    stream: IO[bytes],
    file_name: str,
    options: Mapping[str, Any] | None = None,
    inline_limit: int | None = None,
    queue: ImportQueue | None = None,
) -> ImportRun:
    """Import an uploaded file: small ones within the call, larger ones as a job.

    The upload is spooled to a temporary file first (the request's own copy goes away with the
    request). A larger file goes to ``queue`` when there is one (the run returned is ``queued``;
    any worker takes it, :mod:`.durable`), else it runs as an asyncio task of this process with
    its own sessions (the run returned is ``running``). Either way it is watched through the
    ``imports`` query or ``node``: its status, progress and history.
    """
    job = prepare_job(actor, importer, options, plugins)
    source = await asyncio.to_thread(spool, stream, file_name)
    limit = INLINE_LIMIT_BYTES if inline_limit is None else inline_limit
    if source.size <= limit:
        with source:
            run = await create_run(sessionmaker, job, source)
            return await execute_run(sessionmaker, run.id, job, source)
    if queue is not None:
        with source:
            return await queue_run(sessionmaker, job, source, queue)
    try:
        run = await create_run(sessionmaker, job, source)
        await start_in_process(sessionmaker, job, source, run.id)
    except BaseException:
        source.close()
        raise

    async def in_background() -> None:
        worker = worker_name()
        try:
            await run_tracked(sessionmaker, run.id, job, source, 1, worker)
        except asyncio.CancelledError:
            await asyncio.shield(
                record_event(
                    sessionmaker,
                    run.id,
                    EventKind.FAILED,
                    1,
                    worker,
                    "the app process stopped before the import finished",
                )
            )
            raise
        finally:
            source.close()

    task = asyncio.create_task(in_background(), name=f"import-{run.id}")
    _background.add(task)
    task.add_done_callback(_background.discard)
    return run


async def wait_for_background_imports() -> None:
    """Wait until every background import of this process has ended (tests, shutdown)."""
    while _background:
        await asyncio.gather(*list(_background), return_exceptions=True)


async def stop_background_imports(grace_seconds: float) -> None:
    """At shutdown: let this process's imports finish for ``grace_seconds``, then cancel them
    (each is recorded failed: the in-process queue keeps nothing across a restart)."""
    if not _background:
        return
    _, pending = await asyncio.wait(list(_background), timeout=grace_seconds)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


# -------------------------------------------------------------------------
# Reading runs and their row errors
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportFilter:
    status: str | None = None
    importer: str | None = None


async def imports_page(
    session: AsyncSession, actor: Actor, where: ImportFilter, first: int, after: str | None
) -> Page[ImportRun]:
    """The district's runs, newest first (keyset on the id, descending)."""
    check_first(first)
    statement: Select[tuple[ImportRun]] = select(ImportRun).where(_visible(actor))
    if where.status:
        statement = statement.where(ImportRun.status == where.status)
    if where.importer:
        statement = statement.where(ImportRun.importer == where.importer)
    count_statement = select(func.count()).select_from(statement.subquery())
    if after is not None:
        statement = statement.where(ImportRun.id < decode_cursor(after))
    rows = list(await session.scalars(statement.order_by(ImportRun.id.desc()).limit(first + 1)))
    return Page(rows[:first], len(rows) > first, count_statement)


async def imports_by_ids(
    session: AsyncSession, actor: Actor, ids: Sequence[int]
) -> list[ImportRun | None]:
    rows = {
        row.id: row
        for row in await session.scalars(
            select(ImportRun).where(ImportRun.id.in_(ids), _visible(actor))
        )
    }
    return [rows.get(run_id) for run_id in ids]


@dataclass(frozen=True)
class ErrorPageKey:
    """One page of one run's row errors, in the order they were found (by row)."""

    import_id: int
    first: int
    after: int | None = None


async def row_error_pages(
    session: AsyncSession, actor: Actor, keys: Sequence[ErrorPageKey]
) -> list[Page[ImportRowError]]:
    """Pages for many runs with one statement per distinct (first, after); reading is audited."""
    by_shape: dict[tuple[int, int | None], list[int]] = defaultdict(list)
    for key in keys:
        check_first(key.first)
        by_shape[(key.first, key.after)].append(key.import_id)
    found: dict[ErrorPageKey, list[ImportRowError]] = {}
    disclosed: list[int] = []
    for (first, after), import_ids in by_shape.items():
        visible = select(ImportRun.id).where(ImportRun.id.in_(import_ids), _visible(actor))
        ranked = select(
            ImportRowError.id,
            func.row_number()
            .over(partition_by=ImportRowError.import_id, order_by=ImportRowError.id)
            .label("position"),
        ).where(ImportRowError.import_id.in_(visible))
        if after is not None:
            ranked = ranked.where(ImportRowError.id > after)
        ranked_subquery = ranked.subquery()
        rows = await session.scalars(
            select(ImportRowError)
            .join(ranked_subquery, ranked_subquery.c.id == ImportRowError.id)
            .where(ranked_subquery.c.position <= first + 1)
            .order_by(ImportRowError.import_id, ImportRowError.id)
        )
        grouped: dict[int, list[ImportRowError]] = defaultdict(list)
        for row in rows:
            grouped[row.import_id].append(row)
        for import_id in import_ids:
            errors = grouped.get(import_id, [])
            found[ErrorPageKey(import_id, first, after)] = errors
            disclosed.extend(error.id for error in errors[:first])
    record_read(session, actor, ROW_ERROR, disclosed, "row errors of imports")
    pages = []
    for key in keys:
        errors = found[key]
        count = select(func.count(ImportRowError.id)).where(
            ImportRowError.import_id == key.import_id,
            ImportRowError.import_id.in_(select(ImportRun.id).where(_visible(actor))),
        )
        pages.append(Page(errors[: key.first], len(errors) > key.first, count))
    return pages


def error_page_key(import_id: int, first: int, after: str | None) -> ErrorPageKey:
    check_first(first)
    return ErrorPageKey(import_id, first, decode_cursor(after) if after is not None else None)
