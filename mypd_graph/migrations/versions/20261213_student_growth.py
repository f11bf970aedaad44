"""student growth and the status rule: growth measures on results (MAP Growth's conditional growth
percentile, met projected growth), the growth signal's weight, and the rank of the results that
decide a student's status in the student summary (issue 14.2 and 14.4)

Revision ID: 20261213_student_growth
Revises: 20261212_resource_catalogs
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261213_student_growth"
down_revision: str | None = "20261212_resource_catalogs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The status rule as services.students.status states it (decider, result_met), in plain SQL: the
# summaries are recomputed here so figures follow the rule from the first request on.
_SEASON = (
    "CASE lower(r.term) WHEN 'fall' THEN 1 WHEN 'winter' THEN 2 WHEN 'spring' THEN 3 "
    "WHEN 'summer' THEN 4 ELSE CASE "
    "WHEN substr(r.term, 6, 2) IN ('07', '08', '09', '10', '11') THEN 1 "
    "WHEN substr(r.term, 6, 2) IN ('12', '01', '02') THEN 2 "
    "WHEN substr(r.term, 6, 2) IN ('03', '04', '05', '06') THEN 3 ELSE 0 END END"
)
_RANK = f"(CASE WHEN a.summative THEN 10 ELSE 0 END + {_SEASON})"
_MET = (
    "CASE WHEN a.proficiency_basis = 'level' AND r.achievement_level IS NOT NULL THEN "
    "CASE WHEN r.achievement_level >= a.proficient_level THEN 1 ELSE 0 END "
    "WHEN r.percentile IS NOT NULL THEN CASE WHEN r.percentile >= coalesce("
    "a.proficient_percentile, (SELECT s.proficient_percentile FROM district_settings s "
    "WHERE s.district_id = a.district_id), 50) THEN 1 ELSE 0 END END"
)
_SHORT = (
    "CASE WHEN r.growth_percentile IS NOT NULL THEN "
    "CASE WHEN r.growth_percentile < 50 THEN 1 ELSE 0 END "
    "WHEN r.met_projected_growth IS NOT NULL THEN "
    "CASE WHEN r.met_projected_growth = false THEN 1 ELSE 0 END END"
)
_STUDENTS = (
    "INSERT INTO student_subject_status (student_id, subject, school_year, district_id, "
    "scored, below, decided_by, growth_measures, growth_short) "
    "SELECT student_id, subject, school_year, district_id, scored, below, decided_by, "
    "all_measures, all_short FROM ("
    "SELECT *, row_number() OVER (PARTITION BY student_id, subject, school_year "
    "ORDER BY decided_by DESC) AS latest, "
    "sum(growth_measures) OVER (PARTITION BY student_id, subject, school_year) AS all_measures, "
    "sum(growth_short) OVER (PARTITION BY student_id, subject, school_year) AS all_short FROM ("
    f"SELECT r.student_id, a.subject, r.school_year, a.district_id, {_RANK} AS decided_by, "
    f"count({_MET}) AS scored, sum(CASE WHEN {_MET} = 0 THEN 1 ELSE 0 END) AS below, "
    f"count({_SHORT}) AS growth_measures, "
    f"sum(CASE WHEN {_SHORT} = 1 THEN 1 ELSE 0 END) AS growth_short "
    "FROM assessment_result r JOIN assessment a ON a.id = r.assessment_id "
    f"WHERE {_MET} IS NOT NULL "
    f"GROUP BY r.student_id, a.subject, r.school_year, a.district_id, {_RANK}"
    ") judged) ranked WHERE latest = 1"
)
_TEACHERS = (
    "INSERT INTO teacher_subject_status "
    "(teacher_id, subject, school_year, district_id, students, below, growth_students, "
    "growth_short) "
    "SELECT sec.teacher_id, st.subject, st.school_year, st.district_id, "
    "count(DISTINCT st.student_id), "
    "count(DISTINCT CASE WHEN 2 * st.below > st.scored THEN st.student_id END), "
    "count(DISTINCT CASE WHEN st.growth_measures > 0 THEN st.student_id END), "
    "count(DISTINCT CASE WHEN 2 * st.growth_short > st.growth_measures "
    "THEN st.student_id END) "
    "FROM enrollment e JOIN section sec ON sec.id = e.section_id "
    "JOIN student_subject_status st ON st.student_id = e.student_id "
    "AND st.school_year = sec.school_year "
    "AND (lower(sec.subject) = lower(st.subject) "
    "OR lower(sec.subject) IN ('multiple subjects', 'self-contained', '')) "
    "GROUP BY sec.teacher_id, st.subject, st.school_year, st.district_id"
)


def upgrade() -> None:
    with op.batch_alter_table("assessment_result") as batch:
        batch.add_column(sa.Column("growth_percentile", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("met_projected_growth", sa.Boolean(), nullable=True))
    with op.batch_alter_table("district_settings") as batch:
        batch.add_column(
            sa.Column("weight_student_growth", sa.Double(), nullable=False, server_default="0")
        )
        batch.drop_constraint(op.f("ck_district_settings_weights_not_negative"), type_="check")
        batch.create_check_constraint(
            op.f("ck_district_settings_weights_not_negative"),
            "weight_student_performance >= 0 AND weight_training >= 0 "
            "AND weight_self_assessment >= 0 AND weight_observation >= 0 "
            "AND weight_student_growth >= 0",
        )
    with op.batch_alter_table("student_subject_status") as batch:
        batch.add_column(sa.Column("decided_by", sa.Integer(), nullable=False, server_default="0"))
        for column in ("growth_measures", "growth_short"):
            batch.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("teacher_subject_status") as batch:
        for column in ("growth_students", "growth_short"):
            batch.add_column(sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    # A student's status now follows the stated rule (summative first, else the latest interim).
    op.execute("DELETE FROM teacher_subject_status")
    op.execute("DELETE FROM student_subject_status")
    op.execute(_STUDENTS)
    op.execute(_TEACHERS)


def downgrade() -> None:
    with op.batch_alter_table("teacher_subject_status") as batch:
        batch.drop_column("growth_short")
        batch.drop_column("growth_students")
    with op.batch_alter_table("student_subject_status") as batch:
        batch.drop_column("growth_short")
        batch.drop_column("growth_measures")
        batch.drop_column("decided_by")
    with op.batch_alter_table("district_settings") as batch:
        batch.drop_constraint(op.f("ck_district_settings_weights_not_negative"), type_="check")
        batch.create_check_constraint(
            op.f("ck_district_settings_weights_not_negative"),
            "weight_student_performance >= 0 AND weight_training >= 0 "
            "AND weight_self_assessment >= 0 AND weight_observation >= 0",
        )
        batch.drop_column("weight_student_growth")
    with op.batch_alter_table("assessment_result") as batch:
        batch.drop_column("met_projected_growth")
        batch.drop_column("growth_percentile")
