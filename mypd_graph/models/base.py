"""The declarative base: one naming convention for every constraint, so migrations stay stable."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, MetaData, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# The audit log's schema: its own database file attached to every SQLite connection (so reads can
# record themselves while an import holds the main file's one write lock), a schema on PostgreSQL.
AUDIT_SCHEMA = "audit"


def our_schema(name: str | None, type_: str, _parent: object) -> bool:
    """For Alembic's ``include_name``: the default schema and the audit log's are ours; anything
    else on the server (the job queue's ``procrastinate`` schema) is not compared or migrated."""
    return type_ != "schema" or name in (None, AUDIT_SCHEMA)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored and returned in UTC on every backend (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass a timezone-aware value")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        list[str]: JSON,
        dict[str, object]: JSON,
    }


class Timestamped:
    """Rows that record when they were created."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
