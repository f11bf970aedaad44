"""durable jobs: what an import run's job needs to survive its worker (issue 15.1)

The queued upload (in pieces), the run's job and progress, and its history. Procrastinate's own
tables live in the ``procrastinate`` schema and are installed by ``mypd-graph db upgrade`` on
PostgreSQL (mypd_graph/jobs/queue.py), not here: procrastinate ships and versions its schema.

Revision ID: 20261215_durable_jobs
Revises: 20261214_evidence_files
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261215_durable_jobs"
down_revision: str | None = "20261214_evidence_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _run_id(table: str, primary: bool) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "run_id",
        sa.Integer(),
        sa.ForeignKey(
            "import_run.id", name=op.f(f"fk_{table}_run_id_import_run"), ondelete="CASCADE"
        ),
        nullable=False,
        primary_key=primary,
    )


def upgrade() -> None:
    op.create_table(
        "import_upload_chunk",
        _run_id("import_upload_chunk", True),
        sa.Column("seq", sa.Integer(), nullable=False, primary_key=True, autoincrement=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "seq", name=op.f("pk_import_upload_chunk")),
    )
    op.create_table(
        "import_run_job",
        _run_id("import_run_job", True),
        sa.Column("queue", sa.String(length=20), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("bytes_read", sa.BigInteger(), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), nullable=False),
        sa.Column("progress_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_import_run_job")),
    )
    op.create_table(
        "import_run_event",
        sa.Column("id", sa.Integer(), nullable=False),
        _run_id("import_run_event", False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_run_event")),
    )
    op.create_index(op.f("ix_import_run_event_run_id"), "import_run_event", ["run_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_import_run_event_run_id"), table_name="import_run_event")
    op.drop_table("import_run_event")
    op.drop_table("import_run_job")
    op.drop_table("import_upload_chunk")
