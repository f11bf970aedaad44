"""sharing: the audience of a teacher's evidence, self-assessments, action-step reflections and
growth profile, and the district's defaults (the audience of new records; whether coaching is
shared with supervisors and evaluations with coaches)

Existing rows take the district default ("coach": the teacher and their coaches), which is what
every existing district gets; a teacher's growth profile follows the district (NULL) until they
choose.

Revision ID: 20261206_sharing
Revises: 20261205_district_adoption
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261206_sharing"
down_revision: str | None = "20261205_district_adoption"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIENCES = "('private', 'coach', 'supervisors')"
# (table, column) of every teacher-chosen audience.
AUDIENCE_COLUMNS = (
    ("evidence", "audience"),
    ("self_assessment", "audience"),
    ("action_step", "reflection_audience"),
)


def upgrade() -> None:
    for table, column in AUDIENCE_COLUMNS:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column(column, sa.String(length=16), nullable=False, server_default="coach")
            )
            batch.create_check_constraint(
                op.f(f"ck_{table}_{column}_value"), f"{column} IN {AUDIENCES}"
            )
    with op.batch_alter_table("teacher_profile") as batch:
        batch.add_column(sa.Column("growth_audience", sa.String(length=16), nullable=True))
    with op.batch_alter_table("district_settings") as batch:
        batch.add_column(
            sa.Column(
                "default_audience", sa.String(length=16), nullable=False, server_default="coach"
            )
        )
        batch.add_column(
            sa.Column(
                "coaching_shared_with_supervisors",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch.add_column(
            sa.Column(
                "evaluations_shared_with_coaches",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch.create_check_constraint(
            op.f("ck_district_settings_default_audience_value"),
            f"default_audience IN {AUDIENCES}",
        )


def downgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.drop_constraint(op.f("ck_district_settings_default_audience_value"), type_="check")
        batch.drop_column("evaluations_shared_with_coaches")
        batch.drop_column("coaching_shared_with_supervisors")
        batch.drop_column("default_audience")
    with op.batch_alter_table("teacher_profile") as batch:
        batch.drop_column("growth_audience")
    for table, column in reversed(AUDIENCE_COLUMNS):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(op.f(f"ck_{table}_{column}_value"), type_="check")
            batch.drop_column(column)
