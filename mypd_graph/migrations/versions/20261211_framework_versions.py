"""framework versions and crosswalks: element identity across versions, crosswalk rows, a swap that keeps history (issue 13.3)

Revision ID: 20261211_framework_versions
Revises: 20261210_results_rules
Create Date: 2026-12-03
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261211_framework_versions"
down_revision: str | None = "20261210_results_rules"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _element_fk(table: str, column: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        ["standard.id"],
        name=op.f(f"fk_{table}_{column}_standard"),
        ondelete="CASCADE",
    )


def _keeping_ratings(change: Callable[[], None]) -> None:
    """Run a batch change of ``self_assessment`` without losing its ratings: on SQLite the batch
    copies the table and drops the old one, and with foreign keys on, that DROP deletes every
    rating through ON DELETE CASCADE (a pragma cannot turn them off inside the transaction)."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.execute(
            "CREATE TEMP TABLE kept_self_assessment_rating AS SELECT * FROM self_assessment_rating"
        )
    change()
    if sqlite:
        op.execute(
            "INSERT INTO self_assessment_rating SELECT * FROM kept_self_assessment_rating k "
            "WHERE NOT EXISTS (SELECT 1 FROM self_assessment_rating r "
            "WHERE r.self_assessment_id = k.self_assessment_id AND r.element_id = k.element_id)"
        )
        op.execute("DROP TABLE kept_self_assessment_rating")


def _add_framework_column() -> None:
    with op.batch_alter_table("self_assessment") as batch:
        batch.add_column(sa.Column("framework_id", sa.Integer(), nullable=True))
        batch.drop_constraint(op.f("uq_self_assessment_teacher_id_cycle"), type_="unique")
        batch.create_index(op.f("ix_self_assessment_framework_id"), ["framework_id"])
        batch.create_unique_constraint(
            op.f("uq_self_assessment_teacher_id_cycle_framework_id"),
            ["teacher_id", "cycle", "framework_id"],
        )
        batch.create_foreign_key(
            op.f("fk_self_assessment_framework_id_framework"),
            "framework",
            ["framework_id"],
            ["id"],
            ondelete="CASCADE",
        )


def _drop_framework_column() -> None:
    with op.batch_alter_table("self_assessment") as batch:
        batch.drop_constraint(op.f("fk_self_assessment_framework_id_framework"), type_="foreignkey")
        batch.drop_constraint(
            op.f("uq_self_assessment_teacher_id_cycle_framework_id"), type_="unique"
        )
        batch.drop_index(op.f("ix_self_assessment_framework_id"))
        batch.create_unique_constraint(
            op.f("uq_self_assessment_teacher_id_cycle"), ["teacher_id", "cycle"]
        )
        batch.drop_column("framework_id")


def upgrade() -> None:
    op.create_table(
        "framework_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("framework_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=32), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=False),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added", sa.JSON(), nullable=False),
        sa.Column("retired", sa.JSON(), nullable=False),
        sa.Column("changed", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["framework_id"],
            ["framework.id"],
            name=op.f("fk_framework_version_framework_id_framework"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_version")),
    )
    op.create_index(
        op.f("ix_framework_version_framework_id"), "framework_version", ["framework_id"]
    )
    op.create_table(
        "crosswalk",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("from_element_id", sa.Integer(), nullable=False),
        sa.Column("to_element_id", sa.Integer(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "relation IN ('exactMatchOf', 'isRelatedTo', 'replacedBy')",
            name=op.f("ck_crosswalk_relation"),
        ),
        _element_fk("crosswalk", "from_element_id"),
        _element_fk("crosswalk", "to_element_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crosswalk")),
        sa.UniqueConstraint(
            "from_element_id",
            "to_element_id",
            "relation",
            name=op.f("uq_crosswalk_from_element_id_to_element_id_relation"),
        ),
    )
    op.create_index("ix_crosswalk_to_element_id", "crosswalk", ["to_element_id"])
    op.create_table(
        "framework_swap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("from_framework_id", sa.Integer(), nullable=True),
        sa.Column("to_framework_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("totals", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["app_user.id"],
            name=op.f("fk_framework_swap_actor_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["district_id"],
            ["district.id"],
            name=op.f("fk_framework_swap_district_id_district"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["from_framework_id"],
            ["framework.id"],
            name=op.f("fk_framework_swap_from_framework_id_framework"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["to_framework_id"],
            ["framework.id"],
            name=op.f("fk_framework_swap_to_framework_id_framework"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_swap")),
    )
    op.create_index(op.f("ix_framework_swap_district_id"), "framework_swap", ["district_id"])
    op.create_table(
        "framework_swap_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("swap_id", sa.Integer(), nullable=False),
        sa.Column("teacher_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_element_id", sa.Integer(), nullable=False),
        sa.Column("to_element_id", sa.Integer(), nullable=True),
        sa.Column("goal_id", sa.Integer(), nullable=True),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "kind IN ('focus', 'goal', 'self_rating', 'observed_rating')",
            name=op.f("ck_framework_swap_item_kind"),
        ),
        _element_fk("framework_swap_item", "from_element_id"),
        _element_fk("framework_swap_item", "to_element_id"),
        sa.ForeignKeyConstraint(
            ["goal_id"],
            ["goal.id"],
            name=op.f("fk_framework_swap_item_goal_id_goal"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["swap_id"],
            ["framework_swap.id"],
            name=op.f("fk_framework_swap_item_swap_id_framework_swap"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["teacher_id"],
            ["app_user.id"],
            name=op.f("fk_framework_swap_item_teacher_id_app_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_swap_item")),
    )
    op.create_index(op.f("ix_framework_swap_item_swap_id"), "framework_swap_item", ["swap_id"])
    op.create_index(
        "ix_framework_swap_item_teacher", "framework_swap_item", ["teacher_id", "swap_id"]
    )

    _keeping_ratings(_add_framework_column)
    # A cycle's framework: that of the elements it rates, else the district's active one.
    op.execute(
        "UPDATE self_assessment SET framework_id = COALESCE("
        "(SELECT MIN(standard.framework_id) FROM self_assessment_rating "
        "JOIN standard ON standard.id = self_assessment_rating.element_id "
        "WHERE self_assessment_rating.self_assessment_id = self_assessment.id), "
        "(SELECT district.active_framework_id FROM app_user "
        "JOIN district ON district.id = app_user.district_id "
        "WHERE app_user.id = self_assessment.teacher_id))"
    )


def downgrade() -> None:
    _keeping_ratings(_drop_framework_column)
    op.drop_index("ix_framework_swap_item_teacher", table_name="framework_swap_item")
    op.drop_index(op.f("ix_framework_swap_item_swap_id"), table_name="framework_swap_item")
    op.drop_table("framework_swap_item")
    op.drop_index(op.f("ix_framework_swap_district_id"), table_name="framework_swap")
    op.drop_table("framework_swap")
    op.drop_index("ix_crosswalk_to_element_id", table_name="crosswalk")
    op.drop_table("crosswalk")
    op.drop_index(op.f("ix_framework_version_framework_id"), table_name="framework_version")
    op.drop_table("framework_version")
