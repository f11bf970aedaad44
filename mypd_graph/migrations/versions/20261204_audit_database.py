"""audit log apart: ``audit_event`` moves to the ``audit`` schema, without its foreign key

On SQLite the ``audit`` schema is a database file of its own beside the main one (``mypd.db`` ->
``mypd-audit.db``), attached to every connection by ``mypd_graph.db``: SQLite locks per file, so
a read of student data records itself there while an import holds the main file's write lock. On
PostgreSQL it is a schema. The rows move with their ids; ``user_id`` keeps the id without a foreign
key (SQLite cannot enforce one across files, and the log must outlive the users it names).

Revision ID: 20261204_audit_database
Revises: 20261203_staff_directory
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261204_audit_database"
down_revision: str | None = "20261203_staff_directory"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT = "audit"
COLUMNS = "id, at, user_id, action, entity, entity_ids, detail"


def _columns() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_ids", sa.JSON(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
    ]


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _restart_ids(table: str) -> None:
    """PostgreSQL: the id sequence continues after the rows copied in with their ids."""
    if _postgres():
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE(MAX(id), 0) + 1, false) FROM {table}"
        )


def upgrade() -> None:
    if _postgres():
        op.execute(f"CREATE SCHEMA IF NOT EXISTS {AUDIT}")
    op.create_table(
        "audit_event",
        *_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        schema=AUDIT,
    )
    op.create_index(op.f("ix_audit_audit_event_at"), "audit_event", ["at"], schema=AUDIT)
    op.create_index(op.f("ix_audit_audit_event_user_id"), "audit_event", ["user_id"], schema=AUDIT)
    # Unqualified, ``audit_event`` is the old table: SQLite looks in main before attached files,
    # PostgreSQL in its search path, which does not name the new schema.
    op.execute(f"INSERT INTO {AUDIT}.audit_event ({COLUMNS}) SELECT {COLUMNS} FROM audit_event")
    _restart_ids(f"{AUDIT}.audit_event")
    op.drop_table("audit_event")


def downgrade() -> None:
    op.create_table(
        "audit_event",
        *_columns(),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["app_user.id"],
            name=op.f("fk_audit_event_user_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    op.create_index(op.f("ix_audit_event_at"), "audit_event", ["at"])
    op.create_index(op.f("ix_audit_event_user_id"), "audit_event", ["user_id"])
    # The old table's foreign key: a user deleted since is no longer named (as ON DELETE SET NULL
    # did). Unqualified, ``audit_event`` is the table just made (main first; the search path).
    known = "CASE WHEN user_id IN (SELECT id FROM app_user) THEN user_id END"
    op.execute(
        f"INSERT INTO audit_event ({COLUMNS}) "
        f"SELECT id, at, {known}, action, entity, entity_ids, detail FROM {AUDIT}.audit_event"
    )
    op.drop_table("audit_event", schema=AUDIT)
    if _postgres():
        op.execute(f"DROP SCHEMA IF EXISTS {AUDIT}")
    _restart_ids("audit_event")
