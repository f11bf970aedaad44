"""resource catalogs: items a provider no longer lists are retired (kept for the plans and training
that refer to them), sample data is marked as such, and a global identifier lets live search merge
one item offered by several providers (issue 13.5)

Existing rows are current (not retired), not sample data and have no global identifier; the next
sync (start-up, ``mypd-graph resources sync`` or ``syncResourceCatalogs``) marks the shipped
catalog's items as sample data and retires what the catalogs no longer list.

Revision ID: 20261212_resource_catalogs
Revises: 20261211_framework_versions
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261212_resource_catalogs"
down_revision: str | None = "20261211_framework_versions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("resource") as batch:
        batch.add_column(
            sa.Column("identifier", sa.String(length=300), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("sample", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("resource") as batch:
        batch.drop_column("retired_at")
        batch.drop_column("sample")
        batch.drop_column("identifier")
