"""Shared fixtures: a real database per test on SQLite and (when configured) PostgreSQL, and clients.

Every test that takes ``db`` (directly or through ``world`` / ``client``) runs once per backend:
SQLite always, PostgreSQL when MYPD_TEST_POSTGRES_URL is set (``.ci/run`` sets it). Schemas are built
with the real Alembic migrations once per session; each test then gets an empty database (a copy of
the migrated SQLite file and of its audit file, or a truncated PostgreSQL database).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from mypd_graph import migrate
from mypd_graph.app import create_app
from mypd_graph.auth import mint_token
from mypd_graph.db import SessionMaker, audit_file, create_engine, create_sessionmaker
from mypd_graph.models import Base
from mypd_graph.models.base import AUDIT_SCHEMA
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.services.frameworks.registry import sync_frameworks
from mypd_graph.settings import Settings
from tests.factories import World, build_world

POSTGRES_URL = os.environ.get("MYPD_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
T = TypeVar("T")
SECRET = "test-secret-key-with-enough-length-for-hs256"


@dataclass
class TestDatabase:
    __test__ = False  # not a test class, despite its name

    backend: str
    url: str
    engine: AsyncEngine
    sessionmaker: SessionMaker
    statements: list[str] = field(default_factory=list)

    def count_statements(self) -> StatementCounter:
        return StatementCounter(self)

    async def fewest_statements(
        self, run: Callable[[], Awaitable[T]], times: int = 3
    ) -> tuple[T, StatementCounter]:
        """Run a request ``times`` times; its last answer and the run with the fewest statements.

        A DataLoader batches the keys asked for in one event-loop tick. When two resolution waves
        ask the same loader, whether they share a tick depends on when concurrent statements come
        back, so one run in many splits a batch in two. The fewest statements over a few runs is
        the request's batching shape; a loader that runs once per row still shows in every run.
        """
        fewest: StatementCounter | None = None
        result: T | None = None
        for _ in range(times):
            with self.count_statements() as counter:
                result = await run()
            if fewest is None or counter.count < fewest.count:
                fewest = counter
        assert fewest is not None and result is not None
        return result, fewest


class StatementCounter:
    """Counts SQL statements run inside a ``with`` block (any connection of the engine)."""

    def __init__(self, db: TestDatabase) -> None:
        self.db = db
        self.start = 0
        self.count = 0

    def __enter__(self) -> StatementCounter:
        self.start = len(self.db.statements)
        return self

    def __exit__(self, *_: object) -> None:
        self.count = len(self.db.statements) - self.start

    @property
    def statements(self) -> list[str]:
        return self.db.statements[self.start : self.start + self.count]


@pytest.fixture(scope="session")
def plugins() -> PluginSet:
    loaded = load_plugins(allow=("cstp", "csv_scores"))
    assert not loaded.failures, loaded.failures
    assert "cstp-2009" in loaded.frameworks, "the cstp plugin must be installed (make install)"
    return loaded


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    migrate.upgrade_sync(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
async def postgres_engine() -> AsyncIterator[AsyncEngine | None]:
    if not POSTGRES_URL:
        yield None
        return
    engine = create_engine(POSTGRES_URL)
    async with engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA public CASCADE"))
        await connection.execute(text(f"DROP SCHEMA IF EXISTS {AUDIT_SCHEMA} CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await migrate.upgrade(engine)
    yield engine
    await engine.dispose()


def _record_statements(engine: AsyncEngine, into: list[str]) -> Any:
    def before(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        into.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", before)
    return before


@pytest.fixture(params=BACKENDS)
async def db(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_engine: AsyncEngine | None,
    plugins: PluginSet,
) -> AsyncIterator[TestDatabase]:
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        shutil.copy(sqlite_template, path)
        shutil.copy(audit_file(str(sqlite_template)), audit_file(str(path)))  # the audit log
        url = f"sqlite+aiosqlite:///{path}"
        engine = create_engine(url)
        owned = True
    else:
        assert postgres_engine is not None
        tables = ", ".join(
            f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
            for table in Base.metadata.sorted_tables
        )
        async with postgres_engine.begin() as connection:
            # The audit tables refuse TRUNCATE (append-only, migration 20261207_audit_trail);
            # the suite's superuser resets them with triggers off for this transaction only.
            await connection.execute(text("SET LOCAL session_replication_role = replica"))
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # A test may have moved the recorded revision (readiness tests do): put it back.
            await connection.execute(
                text("UPDATE alembic_version SET version_num = :head"),
                {"head": migrate.head_revision()},
            )
        url, engine, owned = POSTGRES_URL, postgres_engine, False
    database = TestDatabase(request.param, url, engine, create_sessionmaker(engine))
    async with database.sessionmaker.begin() as session:
        await sync_frameworks(session, plugins)
    listener = _record_statements(engine, database.statements)
    try:
        yield database
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
        if owned:
            await engine.dispose()


@pytest.fixture
async def world(db: TestDatabase) -> World:
    async with db.sessionmaker.begin() as session:
        return await build_world(session)


@pytest.fixture
def settings(db: TestDatabase) -> Settings:
    return Settings(database_url=db.url, secret_key=SECRET, graphiql=True)


class GraphQLClient:
    """Talks to the real ASGI app over HTTP semantics (httpx), signed in as a given user."""

    def __init__(self, http: httpx.AsyncClient, world: World | None) -> None:
        self.http = http
        self.world = world

    def token_for(self, email: str) -> str:
        assert self.world is not None
        return mint_token(SECRET, self.world.user_ids[email], email)

    async def post(self, query: str, variables: dict[str, Any] | None, token: str | None):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: str
    ) -> dict[str, Any]:
        """Run an operation as the user with email ``as_``; fails the test on GraphQL errors."""
        response = await self.post(query, variables, self.token_for(as_))
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body["errors"]
        return body["data"]

    async def raw(
        self, query: str, variables: dict[str, Any] | None = None, *, as_: str
    ) -> dict[str, Any]:
        response = await self.post(query, variables, self.token_for(as_))
        return response.json()


@pytest.fixture
async def client(
    db: TestDatabase, world: World, settings: Settings, plugins: PluginSet
) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings, plugins=plugins, engine=db.engine)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield GraphQLClient(http, world)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("postgres_only") and "[sqlite]" in item.nodeid:
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only"))
