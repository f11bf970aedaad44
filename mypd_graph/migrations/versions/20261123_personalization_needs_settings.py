"""personalization: district settings for needs weights, suppression and subject mapping (issue 4)

Revision ID: 20261123_personalization
Revises: 20261123_imports
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261123_personalization"
down_revision: str | None = "20261123_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A new table only: no ALTER, so SQLite needs no batch mode here.
    op.create_table(
        "district_settings",
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("weight_student_performance", sa.Double(), nullable=False),
        sa.Column("weight_training", sa.Double(), nullable=False),
        sa.Column("weight_self_assessment", sa.Double(), nullable=False),
        sa.Column("weight_observation", sa.Double(), nullable=False),
        sa.Column("minimum_group_size", sa.Integer(), nullable=False),
        sa.Column("training_window_months", sa.Integer(), nullable=False),
        sa.Column("training_full_hours", sa.Double(), nullable=False),
        sa.Column("subject_elements", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "minimum_group_size >= 1",
            name=op.f("ck_district_settings_minimum_group_size_positive"),
        ),
        sa.CheckConstraint(
            "weight_student_performance >= 0 AND weight_training >= 0 "
            "AND weight_self_assessment >= 0 AND weight_observation >= 0",
            name=op.f("ck_district_settings_weights_not_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_district_settings_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["app_user.id"],
            name=op.f("fk_district_settings_updated_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_district_settings")),
    )


def downgrade() -> None:
    op.drop_table("district_settings")
