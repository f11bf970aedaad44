"""teacher status: per-teacher, per-subject, per-year counts of students and students below standard

Made from ``student_subject_status`` through sections and enrollments; kept in step by the writers
of results and of rosters (``mypd_graph.services.students.status``).

Revision ID: 20261125_teacher_status
Revises: 20261124_result_status
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261125_teacher_status"
down_revision: str | None = "20261124_result_status"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "teacher_subject_status",
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("school_year", sa.String(length=9), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("students", sa.Integer(), nullable=False),
        sa.Column("below", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["app_user.id"],
            name=op.f("fk_teacher_subject_status_teacher_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "teacher_id",
            "subject",
            "school_year",
            "district_id",
            name=op.f("pk_teacher_subject_status"),
        ),
    )
    op.create_index(
        "ix_teacher_subject_status_district_year",
        "teacher_subject_status",
        ["district_id", "school_year"],
    )
    # Existing rosters and results get their summary now, so needs read the same figures as before.
    op.execute(
        "INSERT INTO teacher_subject_status "
        "(teacher_id, subject, school_year, district_id, students, below) "
        "SELECT sec.teacher_id, st.subject, st.school_year, st.district_id, "
        "count(DISTINCT st.student_id), "
        "count(DISTINCT CASE WHEN 2 * st.below > st.scored THEN st.student_id END) "
        "FROM enrollment e JOIN section sec ON sec.id = e.section_id "
        "JOIN student_subject_status st ON st.student_id = e.student_id "
        "AND st.school_year = sec.school_year "
        "AND (lower(sec.subject) = lower(st.subject) "
        "OR lower(sec.subject) IN ('multiple subjects', 'self-contained', '')) "
        "GROUP BY sec.teacher_id, st.subject, st.school_year, st.district_id"
    )


def downgrade() -> None:
    op.drop_index("ix_teacher_subject_status_district_year", table_name="teacher_subject_status")
    op.drop_table("teacher_subject_status")
