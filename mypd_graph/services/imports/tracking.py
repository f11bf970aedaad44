"""An import run's job as others see it while it works: its history and its progress.

The import's own transaction locks its ``import_run`` row until it ends, and on SQLite holds the
database's one write lock, so nothing it does shows before it commits. What others must see meanwhile
is written beside the run by short transactions of their own:

- the history (``import_run_event``): queued, started (which worker, which attempt), worker lost,
  handed back; written between the import's transactions, never inside them. How a run ended
  is read from the run itself (:func:`history_by_run`);
- the progress (``import_run_job``): rows read and rejected, bytes read of how many, after every
  batch. On PostgreSQL it is written as the batches go (any app process reads it); on SQLite the
  import holds the write lock, so the progress of a run lives in the memory of the process
  importing it (:data:`LIVE`), which with SQLite's in-process queue is the one serving it.

Reads are for the people who may read the run (:func:`visible_runs`).
"""

from __future__ import annotations

import asyncio
import enum
import os
import socket
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import ColumnElement, false, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.db import SessionMaker
from mypd_graph.importers.job import ImportProgress
from mypd_graph.models import ImportRun, ImportRunEvent, ImportRunJob, utcnow
from mypd_graph.models.data import ImportStatus
from mypd_graph.services.access import IMPORT_ROLES, Actor


class EventKind(enum.StrEnum):
    """What happened to a run's job."""

    QUEUED = "queued"  # waiting for a worker of the queue
    STARTED = "started"  # a worker took it (attempt n)
    WORKER_LOST = "worker_lost"  # its worker stopped answering; back in the queue
    HANDED_BACK = "handed_back"  # its worker was stopping; back in the queue, nothing kept
    COMPLETED = "completed"
    REJECTED = "rejected"
    FAILED = "failed"
    ABANDONED = "abandoned"  # nobody was running it or going to (importers/stale.py)


def worker_name() -> str:
    """This process, as the history names it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def visible_runs(actor: Actor) -> ColumnElement[bool]:
    """Runs the actor may read: their district's, for the people who may import."""
    if actor.role not in IMPORT_ROLES:
        return false()
    return ImportRun.district_id == actor.district_id


def add_event(
    session: AsyncSession,
    run_id: int,
    kind: EventKind,
    attempt: int = 0,
    worker: str = "",
    detail: str = "",
) -> None:
    session.add(
        ImportRunEvent(
            run_id=run_id, kind=kind.value, attempt=attempt, worker=worker, detail=detail[:2000]
        )
    )


async def record_event(
    sessionmaker: SessionMaker,
    run_id: int,
    kind: EventKind,
    attempt: int = 0,
    worker: str = "",
    detail: str = "",
) -> None:
    """One event in a transaction of its own."""
    async with sessionmaker.begin() as session:
        add_event(session, run_id, kind, attempt, worker, detail)


# -------------------------------------------------------------------------
# Progress, as the batches go
# -------------------------------------------------------------------------


@dataclass(frozen=True)
class RunProgress:
    """How far a run's job has got, and where it runs."""

    rows_read: int
    rows_rejected: int
    bytes_read: int
    bytes_total: int
    updated_at: datetime | None
    attempts: int
    worker: str


LIVE: dict[int, RunProgress] = {}  # runs this process is importing now


class ProgressReporter:
    """The pipeline's progress callback for one run: kept in :data:`LIVE`, and on PostgreSQL
    written to ``import_run_job`` (one write at a time; the newest figures win)."""

    def __init__(
        self, sessionmaker: SessionMaker, run_id: int, attempt: int, worker: str, persist: bool
    ) -> None:
        self.sessionmaker = sessionmaker
        self.run_id = run_id
        self.attempt = attempt
        self.worker = worker
        self.persist = persist
        self.latest: RunProgress | None = None
        self._writer: asyncio.Task[None] | None = None

    def __call__(self, progress: ImportProgress) -> None:
        snapshot = RunProgress(
            progress.rows_read,
            progress.rows_rejected,
            progress.bytes_read,
            progress.bytes_total,
            utcnow(),
            self.attempt,
            self.worker,
        )
        LIVE[self.run_id] = self.latest = snapshot
        if self.persist and (self._writer is None or self._writer.done()):
            self._writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        written: RunProgress | None = None
        while self.latest is not None and self.latest is not written:
            written = self.latest
            async with self.sessionmaker.begin() as session:
                await session.execute(
                    update(ImportRunJob)
                    .where(ImportRunJob.run_id == self.run_id)
                    .values(
                        rows_read=written.rows_read,
                        rows_rejected=written.rows_rejected,
                        bytes_read=written.bytes_read,
                        bytes_total=written.bytes_total,
                        progress_at=written.updated_at,
                    )
                )

    async def close(self) -> None:
        """Wait until the newest figures are written (a failed write is only a stale figure)."""
        LIVE.pop(self.run_id, None)
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)


# -------------------------------------------------------------------------
# Reads (DataLoader batch functions)
# -------------------------------------------------------------------------


async def progress_by_run(
    session: AsyncSession, actor: Actor, run_ids: Sequence[int]
) -> list[RunProgress | None]:
    """Each run's progress: this process's live figures, else the last ones written; a completed
    run has read its whole file (its own counts, committed with its status, say how many rows:
    the figures never lag the status)."""
    rows = await session.execute(
        select(ImportRunJob, ImportRun.status, ImportRun.rows_read, ImportRun.rows_rejected)
        .join(ImportRun, ImportRun.id == ImportRunJob.run_id)
        .where(ImportRunJob.run_id.in_(run_ids), visible_runs(actor))
    )
    stored: dict[int, RunProgress] = {}
    for job, status, rows_read, rows_rejected in rows:
        progress = RunProgress(
            job.rows_read,
            job.rows_rejected,
            job.bytes_read,
            job.bytes_total,
            job.progress_at,
            job.attempts,
            job.worker,
        )
        if status == ImportStatus.COMPLETED.value:
            progress = replace(
                progress,
                rows_read=rows_read,
                rows_rejected=rows_rejected,
                bytes_read=job.bytes_total,
            )
        stored[job.run_id] = progress
    found: list[RunProgress | None] = []
    for run_id in run_ids:
        row = stored.get(run_id)
        live = LIVE.get(run_id)
        found.append(live if live is not None and row is not None else row)
    return found


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime | None
    kind: str
    attempt: int
    worker: str
    detail: str


ENDINGS = {"completed", "rejected", "failed", EventKind.ABANDONED.value}


async def history_by_run(
    session: AsyncSession, actor: Actor, run_ids: Sequence[int]
) -> list[list[HistoryEntry]]:
    """Each run's events, oldest first, ending with how the run ended. The ending is read from
    the run itself (its status, when, and its message), written in the import's own
    transaction: the history never lags the status. Runs imported within their request have no
    history."""
    rows = await session.scalars(
        select(ImportRunEvent)
        .join(ImportRun, ImportRun.id == ImportRunEvent.run_id)
        .where(ImportRunEvent.run_id.in_(run_ids), visible_runs(actor))
        .order_by(ImportRunEvent.run_id, ImportRunEvent.id)
    )
    grouped: dict[int, list[HistoryEntry]] = defaultdict(list)
    for event in rows:
        grouped[event.run_id].append(
            HistoryEntry(event.at, event.kind, event.attempt, event.worker, event.detail)
        )
    ended = await session.execute(
        select(ImportRun.id, ImportRun.status, ImportRun.finished_at, ImportRun.message).where(
            ImportRun.id.in_(list(grouped)), ImportRun.status.in_(ENDINGS)
        )
    )
    for run_id, status, finished_at, message in ended:
        entries = grouped[run_id]
        if entries[-1].kind in ENDINGS:  # recorded with the status (abandoned, cannot run)
            continue
        started = [entry for entry in entries if entry.kind == EventKind.STARTED.value]
        last = started[-1] if started else entries[-1]
        entries.append(HistoryEntry(finished_at, status, last.attempt, last.worker, message))
    return [grouped.get(run_id, []) for run_id in run_ids]
