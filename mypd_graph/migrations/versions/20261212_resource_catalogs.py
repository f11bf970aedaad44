"""resource catalogs: items a provider no longer lists are retired, provider sync state (issue 13.5)

Revision ID: 20261212_resource_catalogs
Revises: 20261211_framework_versions
Create Date: 2026-12-03
"""

from collections.abc import Sequence

revision: str = "20261212_resource_catalogs"
down_revision: str | None = "20261211_framework_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
