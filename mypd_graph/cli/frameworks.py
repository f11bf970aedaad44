"""``frameworks list|import-case|export-case|crosswalk|activate``: standards frameworks as CASE
packages (docs/case.md), crosswalks and switching a district's framework (docs/frameworks.md).

The operator (whoever runs the deployment) imports a state's CASE package as a framework any
district can then activate, and exports any framework as a CFPackage.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.cli.base import main, run_in_transaction

T = TypeVar("T")


@main.group()
def frameworks() -> None:
    """Standards frameworks: list them, import and export CASE packages."""


def _run(ctx: click.Context, work: Callable[[AsyncSession], Awaitable[T]], write: bool) -> T:
    """A refused package is ``Error: ...`` too."""
    from mypd_graph.case.parse import CaseError

    return run_in_transaction(ctx, work, write=write, refusals=(CaseError,))


@frameworks.command("list")
@click.pass_context
def frameworks_list(ctx: click.Context) -> None:
    """Every framework: key, where it comes from (plugin NAME, case, or case (plugin NAME) for
    a CASE package a plugin ships), version and name."""
    from mypd_graph.services.frameworks.registry import all_frameworks

    for row in _run(ctx, all_frameworks, write=False):
        origin = f"plugin {row.plugin}" if row.source == "plugin" else row.source
        if row.source == "case" and row.plugin:
            origin = f"case (plugin {row.plugin})"  # shipped by a plugin as a CASE package
        click.echo(f"{row.key}\t{origin}\t{row.version}\t{row.name}")


@frameworks.command("import-case")
@click.argument("source", metavar="FILE_OR_URL")
@click.option("--key", help="The framework's key (default: from the document's title and version).")
@click.option(
    "--rated-level",
    help="Which level teachers are rated on: a level number (1 = the top) or a CFItemType "
    "(default: what the package's rubric names, else the leaves).",
)
@click.option(
    "--levels", help='Rating levels, lowest first, when the package has no rubric: "A,B,C".'
)
@click.option(
    "--levels-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Rating levels as a JSON list of labels or {label, description}, lowest first.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1, 600),
    default=30.0,
    show_default=True,
    help="Seconds a URL may take to download.",
)
@click.pass_context
def import_case(
    ctx: click.Context,
    source: str,
    key: str | None,
    rated_level: str | None,
    levels: str | None,
    levels_file: Path | None,
    timeout: float,
) -> None:
    """Import a CASE 1.0/1.1 CFPackage (JSON file or http(s) URL) as a framework."""
    from mypd_graph.case import fetch, store
    from mypd_graph.case.parse import parse_package

    data, origin = _checked(lambda: fetch.read_source(source, timeout=timeout))
    package = _checked(lambda: parse_package(data))
    given = None
    if levels_file is not None:
        given = _checked(lambda: store.levels_from_file(levels_file.read_bytes()[:65536]))
    elif levels:
        given = store.levels_from_labels(levels.split(","))

    async def work(session: AsyncSession) -> store.ImportResult:
        return await store.import_package(
            session, package, key=key, rated_level=rated_level, levels=given, source_url=origin
        )

    result = _run(ctx, work, write=True)
    key = result.framework.key
    if not result.changed:
        click.echo(f"framework {key} is up to date: nothing changed")
    else:
        verb = "imported" if result.created else "updated"
        click.echo(
            f"{verb} framework {key}: {result.nodes} items, {result.elements} rated "
            f"({result.rated})"
        )
    for note in result.notes:
        click.echo(f"  note: {note}")


def _checked(step: Callable[[], T]) -> T:
    """A refused file or URL stops the command with its one-line message."""
    from mypd_graph.case.parse import CaseError

    try:
        return step()
    except CaseError as error:
        raise click.ClickException(str(error)) from error


@frameworks.command("export-case")
@click.argument("key")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout."
)
@click.option(
    "--base-url",
    default="",
    help="Where the app serves CASE (e.g. https://pd.district.org): URIs point there; "
    "default urn:uuid: URIs.",
)
@click.pass_context
def export_case(ctx: click.Context, key: str, output: Path | None, base_url: str) -> None:
    """Write framework KEY as a CASE 1.0 CFPackage (JSON)."""
    from mypd_graph.case.export import Links, package_json
    from mypd_graph.services.frameworks.registry import framework_by_key

    base = f"{base_url.rstrip('/')}/ims/case/v1p0" if base_url else ""

    async def work(session: AsyncSession) -> dict[str, object] | None:
        framework = await framework_by_key(session, key)
        return await package_json(session, framework, Links(base)) if framework else None

    package = _run(ctx, work, write=False)
    if package is None:
        raise click.ClickException(f"no framework with key {key!r} (mypd-graph frameworks list)")
    text = json.dumps(package, indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}")


@frameworks.command("crosswalk")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def crosswalk(ctx: click.Context, file: Path) -> None:
    """Load a crosswalk CSV: from_framework,from_code,to_framework,to_code,relation (relation:
    exactMatchOf, isRelatedTo or replacedBy). A file with a bad row loads nothing; loading the
    same file again changes nothing."""
    from mypd_graph.services.frameworks import crosswalks

    try:
        text = file.read_bytes()[: 16 * 1024 * 1024].decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise click.ClickException(f"{file} is not UTF-8 text") from error
    rows, errors = crosswalks.parse_csv(text)

    async def work(session: AsyncSession) -> crosswalks.LoadResult:
        return await crosswalks.load_rows(session, rows, source="csv")

    result = crosswalks.LoadResult(errors=errors) if errors else _run(ctx, work, write=True)
    if result.errors:
        for error in result.errors:
            click.echo(f"{file.name}: {error}", err=True)
        raise click.ClickException(
            f"{file.name}: {len(result.errors)} bad row(s); nothing was loaded"
        )
    click.echo(
        f"crosswalk {file.name}: {result.added} row(s) added, {result.unchanged} already there"
    )


@frameworks.command("activate")
@click.argument("key")
@click.option("--preview", is_flag=True, help="Only say what the switch would do.")
@click.option("--district", "district_key", metavar="KEY", help="The district's key.")
@click.pass_context
def activate(ctx: click.Context, key: str, preview: bool, district_key: str | None) -> None:
    """Make framework KEY the district's active one, carrying every teacher's focus elements and
    open goals over through the crosswalk (--preview: say what it would do, change nothing)."""
    from mypd_graph.cli.districts import district_actor
    from mypd_graph.services.frameworks import swap

    async def work(session: AsyncSession) -> tuple[swap.SwapPlan, bool]:
        actor = await district_actor(session, district_key)
        if preview:
            return await swap.plan_swap(session, actor, key, ("key",)), False
        _, plan, done = await swap.activate(session, actor, key, ("key",))
        return plan, done is not None

    plan, switched = _run(ctx, work, write=not preview)
    before = plan.from_framework.key if plan.from_framework else "none"
    if not preview and not switched:
        click.echo(f"framework {key} is already active: nothing changed")
        return
    verb = "would switch" if preview else "switched"
    click.echo(f"{verb} from {before} to {key}: {len(plan.teacher_ids)} teachers")
    totals = plan.counts()
    for kind, label in (
        ("focus", "focus elements"),
        ("goal", "open goals' elements"),
        ("self_rating", "latest self-ratings"),
        ("observed_rating", "latest observed ratings"),
    ):
        click.echo(
            f"  {label}: {totals[f'{kind}_mapped']} map, {totals[f'{kind}_unmapped']} do not"
        )
