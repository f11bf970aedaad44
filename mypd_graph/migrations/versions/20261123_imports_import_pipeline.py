"""import pipeline: natural keys and import-run bookkeeping (issue 3)

Revision ID: 20261123_imports
Revises: 596cff05a29d
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261123_imports"
down_revision: str | None = "596cff05a29d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("layout", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.create_index(batch_op.f("ix_import_run_district_id"), ["district_id"], unique=False)

    with op.batch_alter_table("import_row_error", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("file", sa.String(length=200), server_default="", nullable=False)
        )

    # Training records get a natural key. Rows entered twice by hand before it existed keep their
    # oldest copy (its element links stay; the copies' links go with them).
    op.execute(
        "DELETE FROM training_record WHERE id NOT IN ("
        " SELECT min(id) FROM training_record GROUP BY teacher_id, title, completed_on)"
    )
    with op.batch_alter_table("training_record", schema=None) as batch_op:
        batch_op.create_unique_constraint(
            batch_op.f("uq_training_record_teacher_id_title_completed_on"),
            ["teacher_id", "title", "completed_on"],
        )


def downgrade() -> None:
    with op.batch_alter_table("training_record", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_training_record_teacher_id_title_completed_on"), type_="unique"
        )

    with op.batch_alter_table("import_row_error", schema=None) as batch_op:
        batch_op.drop_column("file")

    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_run_district_id"))
        batch_op.drop_column("layout")
