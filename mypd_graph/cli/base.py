"""The ``mypd-graph`` command: serve, migrate, load the demo, export the schema, mint tokens, plugins,
import files."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.importers.formats import LayoutOption
from mypd_graph.settings import DEVELOPMENT_SECRET, Settings, SettingsError

T = TypeVar("T")
DEFAULT_SCHEMA_FILE = Path("schema.graphql")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _settings(ctx: click.Context) -> Settings:
    """Settings are read when a command needs them (schema export does not)."""
    root = ctx.find_root()
    if "settings" not in root.obj:
        root.obj["settings"] = _read_settings(root.obj["database_url"])
    return root.obj["settings"]  # type: ignore[no-any-return]


def _read_settings(database_url: str | None) -> Settings:
    """Settings from the environment; a refused one stops the command with its one-line message
    (``Error: ...``, exit 1), not a traceback."""
    try:
        return Settings.from_env(database_url=database_url)
    except SettingsError as error:
        raise click.ClickException(str(error)) from error


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one transaction against the configured database."""
    from mypd_graph.db import create_engine, create_sessionmaker

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            async with create_sessionmaker(engine).begin() as session:
                return await work(session)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def run_in_transaction(
    ctx: click.Context,
    work: Callable[[AsyncSession], Awaitable[T]],
    *,
    write: bool = True,
    refusals: tuple[type[Exception], ...] = (),
) -> T:
    """``work`` in one transaction on a database migrated to head (a write takes SQLite's write
    lock first, as mutations do). The service's refusals, and ``refusals`` a command adds, become
    ``Error: ...`` with exit status 1 instead of a traceback."""
    from mypd_graph import migrate
    from mypd_graph.db import begin_write, create_engine, create_sessionmaker
    from mypd_graph.services.errors import NotFound, PermissionDenied, UserInputError

    settings = _settings(ctx)

    async def run() -> T:
        engine = create_engine(settings.database_url)
        try:
            if not await migrate.is_at_head(engine):
                raise click.ClickException(
                    "the database is not migrated to the current schema: run "
                    "`mypd-graph db upgrade`"
                )
            async with create_sessionmaker(engine).begin() as session:
                if write:
                    await begin_write(session)
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except UserInputError as error:
        raise click.ClickException("; ".join(p.message for p in error.problems)) from error
    except (PermissionDenied, NotFound, *refusals) as error:
        raise click.ClickException(str(error)) from error


@click.group()
@click.option("--database-url", envvar="MYPD_DATABASE_URL", help="SQLAlchemy async URL.")
@click.option("-v", "--verbose", is_flag=True, help="Log at INFO level.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None, verbose: bool) -> None:
    """mypd_graph: personalized teacher professional development as a GraphQL service."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING)
    ctx.ensure_object(dict)
    ctx.obj["database_url"] = database_url


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--database-url", help="Overrides MYPD_DATABASE_URL for this run.")
@click.option("--migrate", "auto_migrate", is_flag=True, help="Migrate the database first.")
@click.option("--demo", is_flag=True, help="Load the demo district when the database is empty.")
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="App processes sharing the port (uvicorn workers; each builds the app from settings).",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    database_url: str | None,
    auto_migrate: bool,
    demo: bool,
    workers: int,
) -> None:
    """Start the service (uvicorn) at http://HOST:PORT/graphql."""
    import uvicorn

    from mypd_graph import migrate
    from mypd_graph.app import create_app
    from mypd_graph.db import create_engine
    from mypd_graph.observability.logs import log_config

    settings = _read_settings(database_url) if database_url else _settings(ctx)
    if settings.secret_key == DEVELOPMENT_SECRET and host not in LOOPBACK_HOSTS:
        raise click.ClickException(
            f"refusing to listen on {host} with the development secret: anyone could mint tokens. "
            "Set MYPD_SECRET_KEY (or listen on 127.0.0.1)."
        )
    if auto_migrate:
        migrate.upgrade_sync(settings.database_url)

    async def at_head() -> bool:
        engine = create_engine(settings.database_url)
        try:
            return await migrate.is_at_head(engine)
        finally:
            await engine.dispose()

    if not asyncio.run(at_head()):
        raise click.ClickException(
            "the database is not migrated to the current schema: run `mypd-graph db upgrade` "
            "or `mypd-graph serve --migrate`"
        )
    if demo:
        _load_demo(settings, only_if_empty=True)
    click.echo(f"mypd_graph on http://{host}:{port}/graphql ({_describe(settings.database_url)})")
    if workers > 1:  # each process builds its app from the environment: pass this run's database
        os.environ["MYPD_DATABASE_URL"] = settings.database_url
    uvicorn.run(
        create_app(settings) if workers == 1 else "mypd_graph.app:create_app",
        factory=workers > 1,
        workers=workers,
        host=host,
        port=port,
        log_level="info",
        log_config=log_config(settings.log_format_used),
        access_log=False,  # each request's line comes from observability.middleware, richer
    )


def _describe(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).render_as_string(hide_password=True)


@main.group()
def db() -> None:
    """Database schema migrations."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Migrate the database to the newest schema revision."""
    from mypd_graph import migrate

    settings = _settings(ctx)
    migrate.upgrade_sync(settings.database_url)
    click.echo(
        f"database at revision {migrate.head_revision()}: {_describe(settings.database_url)}"
    )
    if settings.database_url.startswith("postgresql"):
        from mypd_graph.jobs.queue import SCHEMA, install_schema_at

        installed = asyncio.run(install_schema_at(settings.database_url))
        click.echo(
            f"job queue tables in schema {SCHEMA}: {'installed' if installed else 'present'}"
        )


@main.group()
def demo() -> None:
    """The demo district."""


def _load_demo(settings: Settings, only_if_empty: bool) -> None:
    from mypd_graph import demo as demo_data
    from mypd_graph.case.importer import case_importer
    from mypd_graph.plugins.manager import load_plugins
    from mypd_graph.services.frameworks.registry import sync_frameworks
    from mypd_graph.services.resources.library import sync_resources

    plugins = load_plugins(settings.plugins_allow, settings.plugins_deny)

    async def work(session: AsyncSession) -> str:
        await sync_frameworks(session, plugins, case_importer())
        await sync_resources(session, plugins)
        if only_if_empty and not await demo_data.database_is_empty(session):
            return "database already has data; demo not loaded"
        summary = await demo_data.load_demo(session)
        return f"demo district loaded: {summary}"

    try:
        click.echo(_with_session(settings, work))
    except RuntimeError as error:  # the demo is already loaded
        raise click.ClickException(str(error)) from error


@demo.command("load")
@click.option(
    "--if-empty", is_flag=True, help="Do nothing when the database already has a district."
)
@click.pass_context
def demo_load(ctx: click.Context, if_empty: bool) -> None:
    """Load the deterministic demo district (migrate first)."""
    _load_demo(_settings(ctx), only_if_empty=if_empty)


@main.group()
def schema() -> None:
    """The GraphQL schema."""


@schema.command("export")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=DEFAULT_SCHEMA_FILE)
def schema_export(output: Path) -> None:
    """Write the schema as SDL (``-`` for standard output)."""
    from mypd_graph.schema import create_schema

    sdl = create_schema().as_str() + "\n"
    if str(output) == "-":
        sys.stdout.write(sdl)
    else:
        output.write_text(sdl, encoding="utf-8")
        click.echo(f"wrote {output}")


@main.command()
@click.option("--email", required=True, help="The user to sign in as.")
@click.option("--hours", default=None, type=int, help="Lifetime (default MYPD_TOKEN_TTL_HOURS).")
@click.pass_context
def token(ctx: click.Context, email: str, hours: int | None) -> None:
    """Mint a development bearer token for a user (HS256 with MYPD_SECRET_KEY)."""
    from mypd_graph.auth import mint_token
    from mypd_graph.models import User

    settings = _settings(ctx)

    async def find(session: AsyncSession) -> User | None:
        return await session.scalar(select(User).where(User.email == email.strip().lower()))

    user = _with_session(settings, find)
    if user is None:
        raise click.ClickException(f"no user with email {email!r}")
    click.echo(
        mint_token(settings.secret_key, user.id, user.email, hours or settings.token_ttl_hours)
    )


@main.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
@click.pass_context
def plugins_list(ctx: click.Context) -> None:
    """Show each plugin, what it provides, and any plugin that failed to load and why."""
    from mypd_graph.plugins.manager import load_plugins

    settings = _settings(ctx)
    loaded = load_plugins(settings.plugins_allow, settings.plugins_deny)
    if not loaded.plugins and not loaded.failures:
        click.echo("no plugins installed")
    for info in loaded.plugins:
        version = f" {info.version}" if info.version else ""
        click.echo(f"{info.name} ({info.distribution}{version})")
        for kind, keys in loaded.offered_by(info.name).items():
            if keys:
                click.echo(f"  {kind}: {', '.join(keys)}")
    for failure in loaded.failures:
        click.echo(f"{failure.plugin}: FAILED: {failure.reason}")
    if loaded.failures:
        ctx.exit(1)


@main.group("import")
def import_group() -> None:
    """Import score files, rosters and PD records into a district.

    Runs as --as EMAIL (a district admin or importer) or the one importer service user. Prints a
    progress bar on standard error and a summary at the end; exits 3 when the file was rejected
    (nothing imported) and 4 when the import failed (nothing imported).
    """


def _import_options(command: Callable[..., None]) -> Callable[..., None]:
    command = click.option(
        "--option",
        "-o",
        "option_pairs",
        multiple=True,
        metavar="KEY=VALUE",
        help="An importer option, e.g. -o max_error_share=0.05 -o create_students=true.",
    )(command)
    return click.option(
        "--as", "as_email", metavar="EMAIL", help="Run as this district admin or importer."
    )(command)


def _import(
    ctx: click.Context,
    importer: str,
    path: Path,
    layout: str | None,
    mapping: Path | None,
    option_pairs: tuple[str, ...],
    as_email: str | None,
) -> None:
    from mypd_graph.importers import console
    from mypd_graph.plugins.manager import load_plugins

    settings = _settings(ctx)
    options = console.parse_options(option_pairs, mapping)
    if layout:
        options["format"] = layout
    plugins = load_plugins(settings.plugins_allow, settings.plugins_deny)
    ctx.exit(console.run_command(settings, plugins, importer, path, options, as_email))


_EXISTING = click.Path(exists=True, path_type=Path)
_MAPPING = click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A JSON or TOML file mapping fields to the file's headers.",
)


@import_group.command("scores")
@click.argument("file", type=_EXISTING)
@click.option(
    "--format",
    "layout",
    cls=LayoutOption,
    kind="assessment_results",
    help="The layout of FILE; detected from its header when not given.",
)
@click.option("--importer", default="csv-scores", show_default=True, help="The importer to use.")
@_MAPPING
@_import_options
@click.pass_context
def import_scores(
    ctx: click.Context,
    file: Path,
    layout: str | None,
    importer: str,
    mapping: Path | None,
    option_pairs: tuple[str, ...],
    as_email: str | None,
) -> None:
    """Import student assessment results from FILE."""
    _import(ctx, importer, file, layout, mapping, option_pairs, as_email)


@import_group.command("roster")
@click.argument("path", type=_EXISTING)
@_import_options
@click.pass_context
def import_roster(
    ctx: click.Context, path: Path, option_pairs: tuple[str, ...], as_email: str | None
) -> None:
    """Import a OneRoster 1.1 CSV roster: a folder or a zip."""
    _import(ctx, "oneroster", path, None, None, option_pairs, as_email)


@import_group.command("training")
@click.argument("file", type=_EXISTING)
@_MAPPING
@_import_options
@click.pass_context
def import_training(
    ctx: click.Context,
    file: Path,
    mapping: Path | None,
    option_pairs: tuple[str, ...],
    as_email: str | None,
) -> None:
    """Import training records (past PD) from a CSV FILE."""
    _import(ctx, "training_csv", file, None, mapping, option_pairs, as_email)


@import_group.command("file")
@click.argument("file", type=_EXISTING)
@click.option("--importer", required=True, help="Any installed importer (mypd-graph plugins list).")
@click.option("--format", "layout", cls=LayoutOption, help="One of the importer's layouts.")
@_MAPPING
@_import_options
@click.pass_context
def import_file(
    ctx: click.Context,
    file: Path,
    importer: str,
    layout: str | None,
    mapping: Path | None,
    option_pairs: tuple[str, ...],
    as_email: str | None,
) -> None:
    """Import FILE (or a folder) with any installed importer, a vendor's plugin say."""
    _import(ctx, importer, file, layout, mapping, option_pairs, as_email)


@import_group.command("errors")
@click.argument("run_id", type=int)
@click.pass_context
def import_errors(ctx: click.Context, run_id: int) -> None:
    """Print every row error of import RUN_ID as CSV."""
    from mypd_graph.importers import console

    if not asyncio.run(console.write_errors(_settings(ctx), run_id, sys.stdout)):
        raise click.ClickException(f"no import with id {run_id}")


# --- a district's own set-up: commands live in mypd_graph.cli.districts and .sign_in --------------


@main.group()
def district() -> None:
    """Districts of this deployment: create, list, connect sign-in (operators)."""


@main.group()
def user() -> None:
    """A district's users: add, update, deactivate, list (for scripting)."""


@main.group()
def caseload() -> None:
    """Which teachers a coach serves: assign, unassign."""
