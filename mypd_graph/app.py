"""The ASGI application factory: wires settings, database, plugins, schema and routes together."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL

from mypd_graph import migrate
from mypd_graph.db import SessionMaker, create_engine, create_sessionmaker
from mypd_graph.guard import GraphQLGuard, actor_of
from mypd_graph.importers.stale import fail_stale_runs
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.schema import create_schema
from mypd_graph.schema.context import Context
from mypd_graph.services.frameworks.registry import sync_frameworks
from mypd_graph.services.resources.library import sync_resources
from mypd_graph.settings import Settings

log = logging.getLogger(__name__)


class NotMigrated(RuntimeError):
    """The database is behind the code; the message says what to run."""


class MypdGraphQL(GraphQL[Context, None]):
    def __init__(self, *, settings: Settings, sessionmaker: SessionMaker, plugins: PluginSet):
        super().__init__(
            create_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            # File uploads (the GraphQL multipart request spec, used by importFile). Cross-site
            # request forgery needs ambient credentials; ours are bearer headers, never cookies.
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.plugins = plugins

    async def get_context(self, request: Any, response: Any = None) -> Context:
        return Context(
            signed_in=actor_of(request),
            sessionmaker=self.sessionmaker,
            settings=self.settings,
            plugins=self.plugins,
            request=request,
            response=response,
        )


async def prepare_database(engine: AsyncEngine, settings: Settings, plugins: PluginSet) -> None:
    """Refuse an un-migrated database (or migrate it when asked), sync plugin frameworks and
    resources, and fail import runs a dead process left running."""
    if not await migrate.is_at_head(engine):
        if not settings.auto_migrate:
            raise NotMigrated(
                "the database is not migrated to the current schema: run `mypd-graph db upgrade` "
                "(or start with --migrate / MYPD_AUTO_MIGRATE=1)"
            )
        await migrate.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker.begin() as session:
        await sync_frameworks(session, plugins)
        await sync_resources(session, plugins)
    # Imports a previous process left ``running`` when it died are failed now, not when someone
    # next lists imports (see importers/stale.py for how a live import is told apart).
    for run_id in await fail_stale_runs(sessionmaker):
        log.warning("import run %s was left running by a process that ended; marked failed", run_id)


def create_app(
    settings: Settings | None = None,
    plugins: PluginSet | None = None,
    engine: AsyncEngine | None = None,
) -> Starlette:
    """Build the service: ``/graphql``, ``/healthz`` (process up), ``/readyz`` (database ready)."""
    settings = settings or Settings.from_env()
    plugins = plugins or load_plugins(settings.plugins_allow, settings.plugins_deny)
    owns_engine = engine is None
    engine = engine or create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    for failure in plugins.failures:
        log.error("plugin %s is disabled: %s", failure.plugin, failure.reason)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> JSONResponse:
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            at_head = await migrate.is_at_head(engine)
        except Exception as error:  # any database failure means not ready
            return JSONResponse({"status": "unavailable", "reason": str(error)}, status_code=503)
        if not at_head:
            return JSONResponse(
                {"status": "unavailable", "reason": "migrations are not at head"}, status_code=503
            )
        return JSONResponse({"status": "ready"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await prepare_database(engine, settings, plugins)
        try:
            yield
        finally:
            if owns_engine:
                await engine.dispose()

    graphql = MypdGraphQL(settings=settings, sessionmaker=sessionmaker, plugins=plugins)
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", GraphQLGuard(graphql, settings, sessionmaker)),
        ],
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.plugins = plugins
    app.state.sessionmaker = sessionmaker
    return app
