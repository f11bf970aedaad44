"""``resources providers|sync``: the PD resource catalogs of the installed provider plugins
(docs/resources.md).

``sync`` refreshes every catalog without a restart, as the ``syncResourceCatalogs`` mutation does:
it asks every provider for its catalog (each bounded by ``MYPD_RESOURCE_SYNC_TIMEOUT``), stores
what they list, retires what they no longer list, and audits the refresh as the operator's. A
provider that fails or times out keeps its items; the command names it and exits with status 1
after committing what the others answered, so a scheduler notices.
"""

from __future__ import annotations

import asyncio

import click
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.cli.base import _settings, main, run_in_transaction


@main.group()
def resources() -> None:
    """PD resource catalogs: list the providers, sync their catalogs."""


def _plugins(ctx: click.Context):  # type: ignore[no-untyped-def]
    from mypd_graph.plugins.manager import load_plugins

    settings = _settings(ctx)
    return load_plugins(settings.plugins_allow, settings.plugins_deny)


@resources.command("providers")
@click.pass_context
def providers_list(ctx: click.Context) -> None:
    """Every installed provider: name, plugin, live or synced, sample data or not, title."""
    from mypd_graph.services.resources.providers import provider_infos

    for info in provider_infos(_plugins(ctx)):
        how = "live" if info.searches_live else "synced"
        sample = "sample data" if info.sample else "-"
        click.echo(f"{info.name}\t{info.plugin}\t{how}\t{sample}\t{info.title}")


@resources.command("sync")
@click.option(
    "--provider",
    "names",
    multiple=True,
    help="Only this provider (repeatable). Without it every provider is synced and the items "
    "of providers no longer installed are retired.",
)
@click.pass_context
def sync(ctx: click.Context, names: tuple[str, ...]) -> None:
    """Refresh the catalogs now: add and update what providers list, retire what they dropped."""
    from mypd_graph.case.importer import case_importer
    from mypd_graph.services.errors import UserInputError
    from mypd_graph.services.frameworks.registry import sync_frameworks
    from mypd_graph.services.resources import admin
    from mypd_graph.services.resources.catalogs import SyncReport, list_catalogs
    from mypd_graph.services.resources.providers import Outcome

    plugins = _plugins(ctx)
    for failure in plugins.failures:
        click.echo(f"plugin {failure.plugin} failed to load: {failure.reason}", err=True)
    try:
        chosen = admin.check_providers(plugins, names)
    except UserInputError as error:
        raise click.ClickException(str(error)) from error
    timeout = _settings(ctx).resource_sync_timeout_seconds
    answers = asyncio.run(list_catalogs(plugins, timeout, chosen))

    async def work(session: AsyncSession) -> SyncReport:
        await sync_frameworks(session, plugins, case_importer())
        return await admin.refresh_catalogs(
            session, admin.operator(), plugins, answers, every_provider=not chosen
        )

    report = run_in_transaction(ctx, work)
    for item in report.catalogs:
        if item.outcome is Outcome.ANSWERED:
            line = (
                f"{item.provider}: {item.added} added, {item.updated} updated, "
                f"{item.retired} retired, {item.revived} revived, {item.unchanged} unchanged"
            )
            if item.skipped:
                line += f", {item.skipped} skipped (see the log)"
            if not item.installed:
                line += " (no longer installed)"
            click.echo(line)
        else:
            click.echo(
                f"{item.provider}: {item.outcome.value.replace('_', ' ')}: {item.message} "
                "(its items are kept as they were)"
            )
    missing = [item.provider for item in report.not_answered]
    if missing:
        raise click.ClickException(
            f"{len(missing)} provider(s) did not answer: {', '.join(missing)}; "
            "the others' catalogs were synced"
        )
