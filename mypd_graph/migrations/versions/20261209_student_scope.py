"""student scope: which students a teacher reads ("current", "recent" — the default: also last
year's students in the subjects the teacher taught them — or "all")

Revision ID: 20261209_student_scope
Revises: 20261208_case_frameworks
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261209_student_scope"
down_revision: str | None = "20261208_case_frameworks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.add_column(
            sa.Column(
                "student_scope", sa.String(length=16), nullable=False, server_default="recent"
            )
        )
        batch.create_check_constraint(
            op.f("ck_district_settings_student_scope"),
            "student_scope IN ('current', 'recent', 'all')",
        )


def downgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.drop_constraint(op.f("ck_district_settings_student_scope"), type_="check")
        batch.drop_column("student_scope")
