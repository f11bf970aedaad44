"""staff directory: who finds whom among a district's staff ("school", the default, or "district")

Revision ID: 20261203_staff_directory
Revises: 20261125_teacher_status
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261203_staff_directory"
down_revision: str | None = "20261125_teacher_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.add_column(
            sa.Column("staff_directory", sa.String(length=16), nullable=False, server_default="school")
        )
        batch.create_check_constraint(
            op.f("ck_district_settings_staff_directory_scope"),
            "staff_directory IN ('school', 'district')",
        )


def downgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.drop_constraint(op.f("ck_district_settings_staff_directory_scope"), type_="check")
        batch.drop_column("staff_directory")
