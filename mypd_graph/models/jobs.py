"""What an import run's job needs to survive its worker: the upload, the progress, the history.

An import writes everything in one transaction that also locks its ``import_run`` row, so what
others must read while it works lives beside the run, in tables written by short transactions of
their own:

- ``import_upload_chunk``: the uploaded file, in pieces, where any worker can read it (a queued
  run on PostgreSQL); deleted when the run ends;
- ``import_run_job``: the run's job (which queue, its id there, attempts, the worker) and its progress;
- ``import_run_event``: the run's history (queued, started, worker lost, handed back, ended).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mypd_graph.models.base import Base, utcnow


class ImportUploadChunk(Base):
    """One piece (:data:`~mypd_graph.services.imports.uploads.CHUNK_BYTES`) of a queued upload."""

    __tablename__ = "import_upload_chunk"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("import_run.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImportRunJob(Base):
    """The job running an import run, and how far it has got (updated after every batch)."""

    __tablename__ = "import_run_job"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("import_run.id", ondelete="CASCADE"), primary_key=True
    )
    queue: Mapped[str] = mapped_column(String(20))  # "in-process" or "postgres"
    job_id: Mapped[int | None] = mapped_column(BigInteger)  # procrastinate's job id
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str] = mapped_column(String(200), default="")
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    bytes_read: Mapped[int] = mapped_column(BigInteger, default=0)
    bytes_total: Mapped[int] = mapped_column(BigInteger, default=0)
    progress_at: Mapped[datetime | None]


class ImportRunEvent(Base):
    """One step of a run's history: what happened, when, on which worker, at which attempt."""

    __tablename__ = "import_run_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("import_run.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(20))
    attempt: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(Text, default="")
