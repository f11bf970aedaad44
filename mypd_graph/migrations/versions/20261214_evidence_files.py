"""evidence files and teacher-entered classroom data (issue 14.9)

Revision ID: 20261214_evidence_files
Revises: 20261213_student_growth
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261214_evidence_files"
down_revision: str | None = "20261213_student_growth"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "evidence_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("storage", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "storage IN ('local', 's3')", name=op.f("ck_evidence_file_storage_backend")
        ),
        sa.CheckConstraint("size_bytes >= 0", name=op.f("ck_evidence_file_size_not_negative")),
        sa.ForeignKeyConstraint(
            ["evidence_id"],
            ["evidence.id"],
            name=op.f("fk_evidence_file_evidence_id_evidence"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence_file")),
        sa.UniqueConstraint("key", name=op.f("uq_evidence_file_key")),
    )
    op.create_index(
        op.f("ix_evidence_file_evidence_id"), "evidence_file", ["evidence_id"], unique=False
    )
    with op.batch_alter_table("assessment") as batch:
        batch.add_column(sa.Column("classroom_teacher_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_assessment_classroom_teacher_id_app_user"),
            "app_user",
            ["classroom_teacher_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(
            op.f("ix_assessment_classroom_teacher_id"), ["classroom_teacher_id"], unique=False
        )
    with op.batch_alter_table("district_settings") as batch:
        batch.add_column(
            sa.Column(
                "classroom_results_in_needs",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.drop_column("classroom_results_in_needs")
    with op.batch_alter_table("assessment") as batch:
        batch.drop_index(op.f("ix_assessment_classroom_teacher_id"))
        batch.drop_constraint(
            op.f("fk_assessment_classroom_teacher_id_app_user"), type_="foreignkey"
        )
        batch.drop_column("classroom_teacher_id")
    op.drop_index(op.f("ix_evidence_file_evidence_id"), table_name="evidence_file")
    op.drop_table("evidence_file")
