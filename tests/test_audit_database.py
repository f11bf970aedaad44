"""The audit log's own schema: a file beside SQLite's (attached to every connection), a schema on
PostgreSQL; the migration that moves the existing rows there, on fresh databases of both kinds."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import insert, inspect, select, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from mypd_graph import migrate, models
from mypd_graph.db import audit_file, create_engine, create_sessionmaker
from mypd_graph.models.base import AUDIT_SCHEMA
from tests.conftest import BACKENDS, POSTGRES_URL

BEFORE = "20261203_staff_directory"  # the revision before the move
AT = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)


def test_the_audit_file_sits_beside_the_database() -> None:
    assert audit_file("/srv/mypd/mypd.db") == "/srv/mypd/mypd-audit.db"
    assert audit_file("/srv/mypd/data") == "/srv/mypd/data-audit"
    assert audit_file("") == ":memory:" and audit_file(":memory:") == ":memory:"


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:"])
async def test_in_memory_databases_get_an_in_memory_audit_log(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
        async with create_sessionmaker(engine).begin() as session:
            session.add(models.AuditEvent(user_id=7, action="read", entity="student"))
        async with engine.connect() as connection:
            files = (await connection.exec_driver_sql("PRAGMA database_list")).all()
            events = (await connection.execute(select(models.AuditEvent.user_id))).all()
        assert {name: path for _, name, path in files if name != "temp"} == {
            "main": "",
            AUDIT_SCHEMA: "",
        }
        assert events == [(7,)]
    finally:
        await engine.dispose()


async def test_a_file_database_attaches_its_audit_file_in_wal_mode(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'mypd.db'}")
    try:
        async with engine.connect() as connection:
            files = {
                row[1]: row[2] for row in await connection.exec_driver_sql("PRAGMA database_list")
            }
            mode = await connection.exec_driver_sql(f"PRAGMA {AUDIT_SCHEMA}.journal_mode")
            assert mode.scalar() == "wal"
        assert files == {
            "main": str(tmp_path / "mypd.db"),
            AUDIT_SCHEMA: str(tmp_path / "mypd-audit.db"),
        }
    finally:
        await engine.dispose()


# --- the migration, from an empty database -------------------------------------------------------


@pytest.fixture(params=BACKENDS)
async def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """An empty database: a new SQLite file, or a new PostgreSQL database on the test server."""
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
        yield engine
        await engine.dispose()
        return
    server = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"{make_url(POSTGRES_URL).database}_move_{uuid.uuid4().hex[:8]}"
    async with server.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_engine(make_url(POSTGRES_URL).set(database=name))
    try:
        yield engine
    finally:
        await engine.dispose()
        async with server.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await server.dispose()


async def _migrate(engine: AsyncEngine, revision: str, down: bool = False) -> None:
    def run(connection: Connection) -> None:
        config = migrate.alembic_config(engine.url.render_as_string(hide_password=False))
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(run)


def _tables(connection: Connection) -> dict[str | None, set[str]]:
    found = inspect(connection)
    return {schema: set(found.get_table_names(schema)) for schema in (None, AUDIT_SCHEMA)}


def _rows(entries: Any) -> list[tuple[Any, ...]]:
    return [
        (row.id, row.at, row.user_id, row.action, row.entity, list(row.entity_ids), row.detail)
        for row in entries
    ]


async def test_the_migration_moves_the_audit_rows_and_back(fresh: AsyncEngine) -> None:
    await _migrate(fresh, BEFORE)
    async with fresh.begin() as connection:
        district = await connection.scalar(
            insert(models.District).values(key="d", name="D").returning(models.District.id)
        )
        values = {"district_id": district, "name": "Ann", "role": "teacher"}
        user = await connection.scalar(
            insert(models.User).values(email="ann@d.test", **values).returning(models.User.id)
        )
        for event_id, (who, ids) in enumerate([(user, ["3", "4"]), (None, [])], start=40):
            await connection.execute(
                text(
                    "INSERT INTO audit_event (id, at, user_id, action, entity, entity_ids, detail)"
                    " VALUES (:id, :at, :user, 'read', 'student', :ids, 'by id')"
                ),
                {"id": event_id, "at": AT, "user": who, "ids": json.dumps(ids)},
            )
    expected = [
        (40, AT, user, "read", "student", ["3", "4"], "by id"),
        (41, AT, None, "read", "student", [], "by id"),
    ]

    await _migrate(fresh, "head")
    sessionmaker = create_sessionmaker(fresh)
    async with sessionmaker.begin() as session:
        assert (
            _rows(await session.scalars(select(models.AuditEvent).order_by(models.AuditEvent.id)))
            == expected
        )
        tables = await (await session.connection()).run_sync(_tables)
        assert "audit_event" not in tables[None]
        assert tables[AUDIT_SCHEMA] == {"audit_event", "audit_subject"}  # 20261207_audit_trail
        session.add(models.AuditEvent(user_id=user, action="read", entity="student"))
    async with sessionmaker() as session:
        ids = list(
            await session.scalars(select(models.AuditEvent.id).order_by(models.AuditEvent.id))
        )
    assert ids == [40, 41, 42], "new events continue after the moved ones"

    await _migrate(fresh, BEFORE, down=True)
    async with fresh.connect() as connection:
        back = await connection.execute(
            text(
                "SELECT id, at, user_id, action, entity, entity_ids, detail"
                " FROM audit_event ORDER BY id"
            )
        )
        rows = [
            (r.id, _utc(r.at), r.user_id, r.action, r.entity, _json(r.entity_ids), r.detail)
            for r in back
        ]
        assert (await connection.run_sync(_tables))[AUDIT_SCHEMA] == set()
    assert rows[:2] == expected and (rows[2][0], rows[2][2]) == (42, user)
    await _migrate(fresh, "head")  # and up again, once more


def _utc(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json(value: Any) -> list[str]:
    return json.loads(value) if isinstance(value, str) else list(value)
