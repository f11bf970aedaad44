"""An import's outcome: its counts, notes and row errors while it runs, and the record of them.

Row errors can be many (a bad file of a million rows), so :class:`ErrorBuffer` spills them to a
temporary file until the run's status is known; :func:`record_outcome` then writes the Import
record, its row errors and (when data changed) the audit event, whatever the status. What a file
said (a value, a header in a message) is stored with its control characters escaped
(:mod:`~mypd_graph.importers.printable`). Both the
pipeline's ways of running (:mod:`~mypd_graph.importers.pipeline`) end here.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.importers.bulk import Counts
from mypd_graph.importers.job import ImportJob
from mypd_graph.importers.printable import printable
from mypd_graph.models import AuditEvent, ImportRowError, ImportRun, utcnow
from mypd_graph.models.data import ImportStatus
from mypd_graph.plugins.types import RowError
from mypd_graph.services.events.outbox import EventType, record_event

# What an ended run tells webhooks and the person who ran it (services/events).
IMPORT_EVENTS = {
    ImportStatus.COMPLETED: EventType.IMPORT_FINISHED,
    ImportStatus.REJECTED: EventType.IMPORT_REJECTED,
}

ERROR_INSERT_BATCH = 2000


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
            # What a file said is shown and stored with its control characters escaped.
            value = None if error.value is None else printable(str(error.value)[:1000])[:1000]
            column = printable(str(error.column))[:200] if error.column else None
            reason = printable(str(error.reason))
            record = [error.row, printable(error.file)[:200], column, value, reason]
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
    """What the batches added up to: rows read, counts, notes and the rows skipped on purpose."""

    rows_read: int = 0
    layout: str = ""  # the layout the importer recognized, when it said
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


async def record_outcome(
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
    recognized = {"layout": outcome.layout} if outcome.layout else {}
    await session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(
            **recognized,
            status=status.value,
            message=printable(message)[:4000],
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
    if status in IMPORT_EVENTS:
        record_event(
            session,
            job.actor.district_id,
            IMPORT_EVENTS[status],
            job.actor.user_id or None,
            run=("ImportRun", run_id),
            status=status.value,
        )
    await session.flush()
    run = await session.scalar(
        select(ImportRun).where(ImportRun.id == run_id).execution_options(populate_existing=True)
    )
    assert run is not None
    return run


def failure_message(error: BaseException) -> str:
    """The Import record's message for a run that failed (or was cancelled) midway."""
    if isinstance(error, asyncio.CancelledError):
        return "the import was cancelled before it finished; nothing was imported"
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"the import failed and nothing was imported: {type(error).__name__}: {first_line}"
