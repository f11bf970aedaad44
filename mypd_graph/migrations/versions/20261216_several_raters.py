"""several raters: what reconciling observers' ratings and PD impact on students need (issue 14.5-6)

Revision ID: 20261216_several_raters
Revises: 20261215_durable_jobs
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "20261216_several_raters"
down_revision: str | None = "20261215_durable_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
