"""result status: per-student, per-subject, per-year counts of scored and below-standard results

Revision ID: 20261124_result_status
Revises: 20261124_import_speed
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261124_result_status"
down_revision: str | None = "20261124_import_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "student_subject_status",
        sa.Column("student_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("below", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["student_id"],
            ["student.id"],
            name=op.f("fk_student_subject_status_student_id_student"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "student_id", "subject", "school_year", name=op.f("pk_student_subject_status")
        ),
    )
    op.create_index(
        "ix_student_subject_status_district_year",
        "student_subject_status",
        ["district_id", "school_year"],
    )
    # Existing results get their summary now, so needs read the same figures as before.
    op.execute(
        "INSERT INTO student_subject_status "
        "(student_id, subject, school_year, district_id, scored, below) "
        "SELECT r.student_id, a.subject, r.school_year, a.district_id, count(*), "
        "sum(CASE WHEN r.achievement_level < a.proficient_level THEN 1 ELSE 0 END) "
        "FROM assessment_result r JOIN assessment a ON a.id = r.assessment_id "
        "WHERE r.achievement_level IS NOT NULL "
        "GROUP BY r.student_id, a.subject, r.school_year, a.district_id"
    )


def downgrade() -> None:
    op.drop_index("ix_student_subject_status_district_year", table_name="student_subject_status")
    op.drop_table("student_subject_status")
