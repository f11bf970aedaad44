"""evidence files and teacher-entered classroom data (issue 14.9)

Revision ID: 20261214_evidence_files
Revises: 20261213_student_growth
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "20261214_evidence_files"
down_revision: str | None = "20261213_student_growth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
