"""import pipeline: natural keys and import-run bookkeeping (issue 3)

Revision ID: 20261123_imports
Revises: 596cff05a29d
Create Date: 2026-11-23
"""

from collections.abc import Sequence

revision: str = "20261123_imports"
down_revision: str | None = "596cff05a29d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
