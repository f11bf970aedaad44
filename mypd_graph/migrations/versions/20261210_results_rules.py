"""results rules: the data window (the current year's minimum students, or a date) and the
proficiency rules (an assessment's basis, level or percentile, its own percentile cut, whether it
is summative; the district's percentile cut)

Revision ID: 20261210_results_rules
Revises: 20261209_student_scope
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261210_results_rules"
down_revision: str | None = "20261209_student_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.add_column(
            sa.Column(
                "current_year_minimum_students", sa.Integer(), nullable=False, server_default="10"
            )
        )
        batch.add_column(sa.Column("current_year_from", sa.Date(), nullable=True))
        batch.add_column(
            sa.Column("proficient_percentile", sa.Integer(), nullable=False, server_default="50")
        )
        batch.create_check_constraint(
            op.f("ck_district_settings_current_year_minimum_students_positive"),
            "current_year_minimum_students >= 1",
        )
        batch.create_check_constraint(
            op.f("ck_district_settings_proficient_percentile_range"),
            "proficient_percentile BETWEEN 1 AND 99",
        )
    with op.batch_alter_table("assessment") as batch:
        batch.add_column(
            sa.Column(
                "proficiency_basis", sa.String(length=16), nullable=False, server_default="level"
            )
        )
        batch.add_column(sa.Column("proficient_percentile", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("summative", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_check_constraint(
            op.f("ck_assessment_proficiency_basis_value"),
            "proficiency_basis IN ('level', 'percentile')",
        )
    # What the presets say of the assessments already imported: MAP Growth is judged by
    # percentile (its files carry no achievement level), CAASPP's year-end tests are summative.
    op.execute("UPDATE assessment SET proficiency_basis = 'percentile' WHERE key LIKE 'nwea-map%'")
    op.execute(
        "UPDATE assessment SET summative = true WHERE key IN "
        "('caaspp-sb-ela', 'caaspp-sb-math', 'caaspp-cast')"
    )


def downgrade() -> None:
    with op.batch_alter_table("assessment") as batch:
        batch.drop_constraint(op.f("ck_assessment_proficiency_basis_value"), type_="check")
        batch.drop_column("summative")
        batch.drop_column("proficient_percentile")
        batch.drop_column("proficiency_basis")
    with op.batch_alter_table("district_settings") as batch:
        batch.drop_constraint(
            op.f("ck_district_settings_proficient_percentile_range"), type_="check"
        )
        batch.drop_constraint(
            op.f("ck_district_settings_current_year_minimum_students_positive"), type_="check"
        )
        batch.drop_column("proficient_percentile")
        batch.drop_column("current_year_from")
        batch.drop_column("current_year_minimum_students")
