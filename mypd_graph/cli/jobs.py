"""``mypd-graph worker``: the job queue's worker (mypd_graph/jobs; docs/deploy.md)."""

from __future__ import annotations

import asyncio

import click

from mypd_graph.cli.base import _settings, main
from mypd_graph.jobs.queue import QUEUES


@main.command()
@click.option(
    "--queue",
    "queues",
    multiple=True,
    type=click.Choice(QUEUES),
    help="A queue to take jobs from (repeat it; default: all).",
)
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 32))
@click.option(
    "--heartbeat",
    default=5.0,
    show_default=True,
    type=click.FloatRange(0.1, 600),
    help="Seconds between heartbeats (and between looks for stalled jobs).",
)
@click.option(
    "--stalled-after",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.5, 3600),
    help="A worker silent this many seconds is dead: its jobs go back to the queue.",
)
@click.option(
    "--graceful-timeout",
    default=20.0,
    show_default=True,
    type=click.FloatRange(0, 86400),
    help="On SIGTERM, seconds running jobs may take to finish before they are handed back.",
)
@click.pass_context
def worker(
    ctx: click.Context,
    queues: tuple[str, ...],
    concurrency: int,
    heartbeat: float,
    stalled_after: float,
    graceful_timeout: float,
) -> None:
    """Run queued jobs (large uploads) from the PostgreSQL job queue until SIGTERM."""
    from mypd_graph.jobs.worker import NotReady, run_worker

    settings = _settings(ctx)
    if not settings.database_url.startswith("postgresql"):
        raise click.ClickException(
            "the worker needs PostgreSQL (MYPD_DATABASE_URL); with SQLite, jobs run in the app "
            "process (MYPD_JOB_QUEUE=in-process)"
        )
    if stalled_after <= heartbeat:
        raise click.ClickException("--stalled-after must be longer than --heartbeat")
    if settings.job_queue != "postgres":
        click.echo(
            "warning: MYPD_JOB_QUEUE is not 'postgres' here; app processes with the same setting "
            "run jobs themselves and queue none",
            err=True,
        )
    chosen = queues or QUEUES
    click.echo(f"worker on queues {', '.join(chosen)} (concurrency {concurrency})", err=True)
    try:
        asyncio.run(
            run_worker(
                settings,
                queues=chosen,
                concurrency=concurrency,
                heartbeat=heartbeat,
                stalled_after=stalled_after,
                graceful_timeout=graceful_timeout,
            )
        )
    except NotReady as error:
        raise click.ClickException(str(error)) from error
    click.echo("worker stopped", err=True)
