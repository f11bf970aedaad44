"""Engines and sessions: the one place that knows how to connect to SQLite or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from mypd_graph.models.base import AUDIT_SCHEMA

SessionMaker = async_sessionmaker[AsyncSession]


def audit_file(database: str) -> str:
    """The audit database beside a SQLite file (``mypd.db`` -> ``mypd-audit.db``).

    An in-memory or temporary main database (no file name) gets an in-memory audit database: it
    lives exactly as long as the connection, like the main one.
    """
    if database in ("", ":memory:"):
        return ":memory:"
    path = Path(database)
    return str(path.with_name(f"{path.stem}-audit{path.suffix}"))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    """Foreign keys are off by default in SQLite; WAL lets readers run beside one writer.

    SQLite locks each database file on its own, so the audit log lives in a file of its own,
    attached as the schema :data:`AUDIT_SCHEMA`: a read of student data records itself there
    without waiting for the main file's one write lock, which an import holds until it ends.
    """
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA database_list")
    main = next(row[2] for row in cursor.fetchall() if row[1] == "main")
    cursor.execute(f"ATTACH DATABASE ? AS {AUDIT_SCHEMA}", (audit_file(main or ""),))
    cursor.execute(f"PRAGMA {AUDIT_SCHEMA}.journal_mode=WAL")
    cursor.execute(f"PRAGMA {AUDIT_SCHEMA}.synchronous=NORMAL")
    cursor.close()


def create_engine(database_url: str, **kwargs: Any) -> AsyncEngine:
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def create_sessionmaker(engine: AsyncEngine) -> SessionMaker:
    return async_sessionmaker(engine, expire_on_commit=False)


async def begin_write(session: AsyncSession) -> None:
    """Take SQLite's write lock at the start of a write transaction.

    SQLite has one writer and no row locks (``SELECT ... FOR UPDATE`` does nothing), and its driver
    starts a transaction only at the first write, so two requests could both read "draft" and both
    write "submitted". ``BEGIN IMMEDIATE`` makes a mutation's reads and writes one atomic step: a
    second writer waits (``busy_timeout``) and then reads what the first committed. PostgreSQL
    needs nothing here: its writers lock the rows they change (see ``services.common.lock_teacher``).
    It locks the attached audit file too (SQLite begins every attached database): a mutation is
    short, so an audited read waits for it at most that long.
    """
    if session.get_bind().dialect.name == "sqlite":
        await session.execute(text("BEGIN IMMEDIATE"))
