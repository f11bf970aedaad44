"""personalization: district settings for needs weights, suppression and subject mapping (issue 4)

Revision ID: 20261123_personalization
Revises: 20261123_imports
Create Date: 2026-11-23
"""

from collections.abc import Sequence

revision: str = "20261123_personalization"
down_revision: str | None = "20261123_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
