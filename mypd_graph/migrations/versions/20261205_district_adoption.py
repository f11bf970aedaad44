"""district adoption: sign-in with the district's OpenID Connect provider, token revocation, and
whether OneRoster administrators become principals and district admins

Revision ID: 20261205_district_adoption
Revises: 20261204_audit_database
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "20261205_district_adoption"
down_revision: str | None = "20261204_audit_database"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "district_sign_in",
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("audience", sa.String(length=500), nullable=False),
        sa.Column("user_claim", sa.String(length=64), nullable=False),
        sa.Column("jit_domains", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_district_sign_in_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["app_user.id"],
            name=op.f("fk_district_sign_in_updated_by_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_district_sign_in")),
    )
    op.create_index(
        op.f("ix_district_sign_in_issuer"), "district_sign_in", ["issuer"], unique=False
    )
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("tokens_valid_after", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("district_settings") as batch:
        batch.add_column(
            sa.Column("roster_staff_roles", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.drop_column("roster_staff_roles")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("tokens_valid_after")
    op.drop_index(op.f("ix_district_sign_in_issuer"), table_name="district_sign_in")
    op.drop_table("district_sign_in")
