"""student growth and several raters: growth measures on results, the growth signal's weight, reconciled observed ratings (issue 14.4-6)

Revision ID: 20261213_student_growth
Revises: 20261212_resource_catalogs
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "20261213_student_growth"
down_revision: str | None = "20261212_resource_catalogs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
