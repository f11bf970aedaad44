"""audit trail: who (a snapshot that outlives the user), the district, the request id and client
address on every audit event; audit_subject naming the students and teachers an event touched;
append-only enforced by triggers; the district's window for correcting observations

Existing events get their district and actor snapshot from app_user (users deleted since keep
NULL: nothing recorded who they were), and reads of students name those students as subjects.
Then triggers refuse UPDATE and DELETE of both audit tables (SQLite, in the attached audit file,
and PostgreSQL), and TRUNCATE on PostgreSQL. A superuser can still bypass them on PostgreSQL
(``session_replication_role = replica``, or dropping the trigger): the test suite's reset does,
the application's role cannot (see docs/privacy.md).

Revision ID: 20261207_audit_trail
Revises: 20261206_sharing
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "20261207_audit_trail"
down_revision: str | None = "20261206_sharing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT = "audit"
TABLES = ("audit_event", "audit_subject")
SNAPSHOT = (("district_id", "district_id"), ("actor_email", "email"),
            ("actor_name", "name"), ("actor_role", "role"))  # fmt: skip


def _postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    for column in (
        sa.Column("district_id", sa.Integer(), nullable=True),
        sa.Column("actor_email", sa.String(length=254), nullable=True),
        sa.Column("actor_name", sa.String(length=200), nullable=True),
        sa.Column("actor_role", sa.String(length=32), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
    ):
        op.add_column("audit_event", column, schema=AUDIT)
    op.create_index(
        "ix_audit_event_district_at", "audit_event", ["district_id", "at"], schema=AUDIT
    )
    op.create_table(
        "audit_subject",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            [f"{AUDIT}.audit_event.id"],
            name=op.f("fk_audit_subject_event_id_audit_event"),
        ),
        sa.PrimaryKeyConstraint("event_id", "kind", "subject_id", name=op.f("pk_audit_subject")),
        schema=AUDIT,
    )
    op.create_index(
        "ix_audit_subject_kind_subject",
        "audit_subject",
        ["kind", "subject_id", "event_id"],
        schema=AUDIT,
    )
    # Backfill before the triggers exist. Unqualified app_user is the main database's table.
    for target, source in SNAPSHOT:
        op.execute(
            f"UPDATE {AUDIT}.audit_event SET {target} = (SELECT u.{source} FROM app_user AS u"
            " WHERE u.id = audit_event.user_id) WHERE user_id IS NOT NULL"
        )
    elements = (
        "json_array_elements_text(e.entity_ids) AS j(value)"
        if _postgres()
        else "json_each(e.entity_ids) AS j"
    )
    op.execute(
        f"INSERT INTO {AUDIT}.audit_subject (event_id, kind, subject_id)"
        f" SELECT DISTINCT e.id, 'student', CAST(j.value AS INTEGER) FROM {AUDIT}.audit_event AS e,"
        f" {elements} WHERE e.entity = 'student'"
    )
    _create_triggers()
    with op.batch_alter_table("district_settings") as batch:
        batch.add_column(
            sa.Column(
                "observation_correction_days", sa.Integer(), nullable=False, server_default="14"
            )
        )
        batch.create_check_constraint(
            op.f("ck_district_settings_observation_correction_days"),
            "observation_correction_days BETWEEN 0 AND 366",
        )


def _create_triggers() -> None:
    if _postgres():
        op.execute(
            f"""CREATE FUNCTION {AUDIT}.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'the audit trail is append-only: % of %.% refused',
                    TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
                    USING ERRCODE = 'insufficient_privilege';
            END $$"""
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {AUDIT}.{table}"
                f" FOR EACH ROW EXECUTE FUNCTION {AUDIT}.refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {AUDIT}.{table}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {AUDIT}.refuse_change()"
            )
        return
    for table in TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {AUDIT}.{table}_no_{operation.lower()} BEFORE {operation}"
                f" ON {table} BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only:"
                f" {operation} of {table} refused'); END"
            )


def _drop_triggers() -> None:
    if _postgres():
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {AUDIT}.{table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {AUDIT}.{table}")
        op.execute(f"DROP FUNCTION IF EXISTS {AUDIT}.refuse_change()")
        return
    for table in TABLES:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {AUDIT}.{table}_no_{operation}")


def downgrade() -> None:
    with op.batch_alter_table("district_settings") as batch:
        batch.drop_constraint(
            op.f("ck_district_settings_observation_correction_days"), type_="check"
        )
        batch.drop_column("observation_correction_days")
    _drop_triggers()
    op.drop_index("ix_audit_subject_kind_subject", table_name="audit_subject", schema=AUDIT)
    op.drop_table("audit_subject", schema=AUDIT)
    op.drop_index("ix_audit_event_district_at", table_name="audit_event", schema=AUDIT)
    for column in (
        "client_address",
        "request_id",
        "actor_role",
        "actor_name",
        "actor_email",
        "district_id",
    ):
        op.drop_column("audit_event", column, schema=AUDIT)
