"""durable jobs: what an import run's job needs to survive its worker (issue 15.1)

Revision ID: 20261215_durable_jobs
Revises: 20261214_evidence_files
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "20261215_durable_jobs"
down_revision: str | None = "20261214_evidence_files"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
