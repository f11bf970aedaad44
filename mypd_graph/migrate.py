"""Schema migrations: upgrade to head, and tell whether a database is at head."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(rev)s_%%(slug)s")
    return config


@functools.cache
def head_revision() -> str:
    """The newest revision the code knows, read once per process: reading the scripts compiles
    every migration (25 ms and growing), and readiness probes ask on every call."""
    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    return heads[0]


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as connection:
        return await connection.run_sync(_current)


async def is_at_head(engine: AsyncEngine) -> bool:
    return await current_revision(engine) == head_revision()


def _upgrade(connection: Connection, database_url: str) -> None:
    config = alembic_config(database_url)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the database to the newest revision (a no-op when it is there already)."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade, engine.url.render_as_string(hide_password=False))


def make_revision(database_url: str, message: str) -> None:
    """Autogenerate a revision against an up-to-date database (developer tooling)."""
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


def upgrade_sync(database_url: str) -> None:
    from mypd_graph.db import create_engine

    async def run() -> None:
        engine = create_engine(database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
