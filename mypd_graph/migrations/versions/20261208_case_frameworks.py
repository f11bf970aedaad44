"""case frameworks: a framework's source (plugin or CASE package), CASE identifiers of frameworks,
elements and levels, and the item type and list enumeration of each node of the tree

Revision ID: 20261208_case_frameworks
Revises: 20261207_audit_trail
Create Date: 2026-12-03
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261208_case_frameworks"
down_revision: str | None = "20261207_audit_trail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same derivation as mypd_graph.services.frameworks.identity, frozen here: frameworks synced
# before this revision get the identifiers the sync would give them.
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:mypd-graph:case")


def _derived(key: str, *parts: str) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(("framework", key, *parts))))


def upgrade() -> None:
    with op.batch_alter_table("framework") as batch:
        batch.add_column(
            sa.Column("source", sa.String(length=16), server_default="plugin", nullable=False)
        )
        batch.add_column(sa.Column("identifier", sa.String(length=36), nullable=True))
        batch.add_column(
            sa.Column("publisher", sa.String(length=200), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("adoption_status", sa.String(length=50), server_default="", nullable=False)
        )
    with op.batch_alter_table("rating_level") as batch:
        batch.add_column(sa.Column("identifier", sa.String(length=36), nullable=True))
    with op.batch_alter_table("standard") as batch:
        batch.add_column(sa.Column("identifier", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("association_identifier", sa.String(length=36), nullable=True))
        batch.add_column(
            sa.Column("item_type", sa.String(length=100), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column("list_enumeration", sa.String(length=20), server_default="", nullable=False)
        )

    connection = op.get_bind()
    keys = dict(connection.execute(sa.text("SELECT id, key FROM framework")).all())
    for framework_id, key in keys.items():
        connection.execute(
            sa.text("UPDATE framework SET identifier = :identifier WHERE id = :id"),
            {"identifier": _derived(key), "id": framework_id},
        )
    levels = connection.execute(sa.text("SELECT id, framework_id, key FROM rating_level")).all()
    for level_id, framework_id, level_key in levels:
        connection.execute(
            sa.text("UPDATE rating_level SET identifier = :identifier WHERE id = :id"),
            {"identifier": _derived(keys[framework_id], "level", level_key), "id": level_id},
        )
    nodes = connection.execute(
        sa.text("SELECT id, framework_id, code, is_element FROM standard")
    ).all()
    for node_id, framework_id, code, is_element in nodes:
        key = keys[framework_id]
        connection.execute(
            sa.text(
                "UPDATE standard SET identifier = :identifier, association_identifier = :link, "
                "item_type = :item_type WHERE id = :id"
            ),
            {
                "identifier": _derived(key, "item", code),
                "link": _derived(key, "isChildOf", code),
                "item_type": "Element" if is_element else "Standard",
                "id": node_id,
            },
        )

    op.create_index(op.f("ix_framework_identifier"), "framework", ["identifier"], unique=True)
    op.create_index(op.f("ix_rating_level_identifier"), "rating_level", ["identifier"], unique=True)
    op.create_index(op.f("ix_standard_identifier"), "standard", ["identifier"], unique=True)
    op.create_index(
        op.f("ix_standard_association_identifier"),
        "standard",
        ["association_identifier"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_standard_association_identifier"), table_name="standard")
    op.drop_index(op.f("ix_standard_identifier"), table_name="standard")
    op.drop_index(op.f("ix_rating_level_identifier"), table_name="rating_level")
    op.drop_index(op.f("ix_framework_identifier"), table_name="framework")
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+ and PostgreSQL): a batch copy would drop
    # the old `standard` table, and SQLite's foreign keys would cascade that to every rating,
    # goal and focus element that refers to it.
    for table, columns in (
        ("standard", ("list_enumeration", "item_type", "association_identifier", "identifier")),
        ("rating_level", ("identifier",)),
        ("framework", ("adoption_status", "publisher", "identifier", "source")),
    ):
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
