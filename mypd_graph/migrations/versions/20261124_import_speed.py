"""import speed and bookkeeping: no foreign key from results to their run; skipped rows (issue 3)

The per-row check of ``assessment_result.import_id`` against ``import_run`` cost a lookup (and on
PostgreSQL a row lock) for every imported result. The column stays: it says which run last wrote
the row; runs are never deleted on their own, only with their district (and its results).

``import_run.rows_skipped`` counts rows an importer left out on purpose (not errors).

Revision ID: 20261124_import_speed
Revises: 20261123_personalization
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_import_speed"
down_revision: str | None = "20261123_personalization"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessment_result", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_assessment_result_import_id_import_run"), type_="foreignkey"
        )
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rows_skipped", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_column("rows_skipped")
    op.execute(
        "UPDATE assessment_result SET import_id = NULL "
        "WHERE import_id NOT IN (SELECT id FROM import_run)"
    )
    with op.batch_alter_table("assessment_result", schema=None) as batch_op:
        batch_op.create_foreign_key(
            batch_op.f("fk_assessment_result_import_id_import_run"),
            "import_run",
            ["import_id"],
            ["id"],
            ondelete="SET NULL",
        )
