"""The ASGI application factory: wires settings, database, plugins, schema and routes together."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import orjson
from cross_web import HTTPException
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.file_uploads.utils import replace_placeholders_with_files
from strawberry.http import GraphQLRequestData
from strawberry.types.unset import UNSET

from mypd_graph import migrate
from mypd_graph.case import api as case_api
from mypd_graph.case.importer import case_importer
from mypd_graph.db import SessionMaker, create_engine, create_sessionmaker
from mypd_graph.guard import (
    BadRequest,
    GraphQLGuard,
    actor_of,
    decode_json,
    error_body,
    operation_problem,
    provider_keys,
)
from mypd_graph.importers.stale import fail_stale_runs
from mypd_graph.jobs.queue import create_queue
from mypd_graph.observability.middleware import ObservedRequests, metrics_endpoint
from mypd_graph.observability.tracing import instrument as instrument_tracing
from mypd_graph.pages import SecurityHeaders, graphiql_page, home, readme, static_files
from mypd_graph.plugins.manager import PluginSet, load_plugins
from mypd_graph.schema import create_schema
from mypd_graph.schema.context import Context
from mypd_graph.schema.documents import (
    DocumentCache,
    PersistedQueryBodies,
    PersistedQueryError,
    cache_of,
    resolve_persisted,
)
from mypd_graph.schema.feedback.files import download_route
from mypd_graph.services.events.runner import run_forever as run_events
from mypd_graph.services.feedback.attachments import install_cleanup
from mypd_graph.services.frameworks.registry import sync_frameworks
from mypd_graph.services.imports.runs import stop_background_imports
from mypd_graph.services.resources.library import sync_resources
from mypd_graph.settings import Settings
from mypd_graph.storage import open_storage
from mypd_graph.web import mount as web_app

log = logging.getLogger(__name__)
IN_PROCESS_GRACE_SECONDS = 10.0  # at shutdown, for imports running in this process


class NotMigrated(RuntimeError):
    """The database is behind the code; the message says what to run."""


# The code a refusal Strawberry raises itself carries, by HTTP status.
HTTP_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}


class MypdGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with our context, and refusals in JSON like the guard's."""

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
        found = cache_of(self.schema)  # the schema's documents: persisted queries' store
        self.documents = found if found is not None else DocumentCache()

    async def render_graphql_ide(self, request: Any) -> Response:
        """Our GraphiQL page: its scripts come from /static, not from a CDN (pages.py)."""
        return graphiql_page()

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        """Strawberry answers what it refuses (unknown operation name, unsupported content type,
        a GET mutation ...) in plain text; a client reads every refusal of /graphql as JSON."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as error:
            code = HTTP_CODES.get(error.status_code, "BAD_REQUEST")
            return Response(
                error_body(error.reason, code),
                status_code=error.status_code,
                media_type="application/json",
            )
        except PersistedQueryError as error:  # PersistedQueryNotFound is a 200, as APQ expects
            return Response(
                error_body(str(error), error.code),
                status_code=error.status,
                media_type="application/json",
            )

    def should_render_graphql_ide(self, request: Any) -> bool:
        """A GET with a persisted query's hash (and no ``query``) runs it: not the IDE."""
        return "extensions" not in request.query_params and super().should_render_graphql_ide(
            request
        )

    async def parse_http_body(self, request: Any) -> Any:
        """Persisted queries (schema/documents.py): the document a hash names, when a request
        sends ``extensions.persistedQuery`` in place of its ``query``."""
        data = await super().parse_http_body(request)
        if isinstance(data, GraphQLRequestData) and data.extensions:
            data.query = resolve_persisted(self.documents, data.query, data.extensions)
        return data

    def encode_json(self, data: object) -> bytes:
        """Responses encoded with orjson (bench/graphql_overhead.py measures the gain)."""
        return orjson.dumps(data)

    def decode_json(self, data: str | bytes) -> object:
        """Strawberry catches only JSON syntax errors: bytes that are not UTF-8, huge integers and
        deep nesting in a GET's ``variables`` or a multipart ``operations`` were HTTP 500."""
        try:
            return decode_json(data, "a parameter or form field of the request")
        except BadRequest as error:
            raise HTTPException(400, str(error)) from error

    async def parse_multipart(self, request: Any) -> dict[str, Any]:
        """An upload (the GraphQL multipart request spec): ``operations`` must be one operation
        and ``map`` name files and variable paths that exist; Strawberry assumed both (500)."""
        try:
            form = (await request.get_form_data()).form
        except ValueError as error:
            raise HTTPException(400, "Unable to parse the multipart body") from error
        operations = self.decode_json(_text(form.get("operations")))
        files_map = self.decode_json(_text(form.get("map")) or "{}")
        problem = operation_problem(operations)
        if problem is None and not (
            isinstance(files_map, dict)
            and all(isinstance(paths, list) for paths in files_map.values())
            and all(isinstance(path, str) for paths in files_map.values() for path in paths)
        ):
            problem = "the multipart `map` must be a JSON object of lists of variable paths"
        if problem is not None:
            raise HTTPException(400, problem)
        try:
            return replace_placeholders_with_files(operations, files_map, form)
        except (LookupError, ValueError, TypeError) as error:
            raise HTTPException(
                400, "the multipart `map` names a file or a variable path the request lacks"
            ) from error

    async def get_context(self, request: Any, response: Any = None) -> Context:
        return Context(
            signed_in=actor_of(request),
            sessionmaker=self.sessionmaker,
            settings=self.settings,
            plugins=self.plugins,
            request=request,
            response=response,
        )


def _text(value: object) -> str:
    """A form field as text; a field sent as a file part is no JSON text at all."""
    return value if isinstance(value, str) else ""


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
        # Plugins' CASE packages go through the CASE importer (services never import it).
        await sync_frameworks(session, plugins, case_importer())
        await sync_resources(session, plugins, settings.resource_sync_timeout_seconds)
    # Imports a previous process left ``running`` when it died are failed now, not when someone
    # next lists imports (see importers/stale.py for how a live import is told apart).
    for run_id in await fail_stale_runs(sessionmaker):
        log.warning("import run %s was left running by a process that ended; marked failed", run_id)


def create_app(
    settings: Settings | None = None,
    plugins: PluginSet | None = None,
    engine: AsyncEngine | None = None,
) -> Starlette:
    """Build the service: ``/graphql``, ``/healthz`` (process up), ``/readyz`` (database ready),
    and the pages: ``/`` (what this is), ``/readme``, ``/static`` (GraphiQL's files) and ``/app``
    (the web app)."""
    settings = settings or Settings.from_env()
    plugins = plugins or load_plugins(settings.plugins_allow, settings.plugins_deny)
    owns_engine = engine is None
    engine = engine or create_engine(settings.database_url)
    sessionmaker = create_sessionmaker(engine)
    install_cleanup(sessionmaker, open_storage(settings))  # deleted evidence takes its files
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

    job_queue = create_queue(settings.job_queue, settings.database_url)  # None: in-process

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await prepare_database(engine, settings, plugins)
        # Events out (webhooks, emails): sent by this process when jobs run in-process,
        # else by `mypd-graph worker`.
        events = (
            asyncio.create_task(run_events(sessionmaker, settings))
            if settings.job_queue == "in-process"
            else None
        )
        try:
            yield
        finally:
            if events is not None:
                events.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await events
            # In-process imports get a few seconds, then are cancelled and recorded failed.
            await stop_background_imports(IN_PROCESS_GRACE_SECONDS)
            if job_queue is not None:
                await job_queue.close()
            if stop_tracing is not None:
                stop_tracing()
            if owns_engine:
                await engine.dispose()

    graphql = MypdGraphQL(settings=settings, sessionmaker=sessionmaker, plugins=plugins)
    keys = provider_keys(settings)  # one cache of providers' keys for /graphql and /app
    app = Starlette(
        routes=[
            Route("/", home),
            Route("/readme", readme),
            static_files(),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            *(
                [Route("/metrics", metrics_endpoint(sessionmaker, settings.metrics_token))]
                if settings.metrics_enabled
                else []
            ),
            Route(
                "/graphql",
                # A persisted query's hash without its document gets past the guard's check of
                # the body's shape, and reaches the view that resolves it (schema/documents.py).
                PersistedQueryBodies(
                    GraphQLGuard(graphql, settings, sessionmaker, keys), settings.max_body_bytes
                ),
            ),
            download_route(settings, sessionmaker),  # /files/<token>: evidence files (signed)
            case_api.mount(sessionmaker),  # /ims/case/v1p0: public, read-only (docs/case.md)
            # /app: the web app, the schema's first client (docs/web-app.md)
            web_app(graphql.schema, settings, sessionmaker, plugins, keys, job_queue),
        ],
        middleware=[Middleware(ObservedRequests), Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    stop_tracing = instrument_tracing(app, engine)  # when OTEL_* asks (observability/tracing)
    app.state.settings = settings
    app.state.plugins = plugins
    app.state.sessionmaker = sessionmaker
    app.state.job_queue = job_queue  # importFile defers large uploads to it (schema/imports.py)
    return app
