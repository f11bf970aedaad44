"""``mypd-graph worker``: runs queued jobs, heartbeats, and retries the jobs of dead workers.

A worker is a procrastinate worker on the service's PostgreSQL database plus one loop of ours:

- it takes jobs of its queues (``imports``) one per free slot (``--concurrency``), woken by
  LISTEN/NOTIFY and polling every heartbeat;
- it records a heartbeat every ``heartbeat`` seconds (also while it drains); every worker also
  looks, as often, for jobs whose worker sent none for ``stalled_after`` seconds (killed, its
  machine gone) and puts them back in the queue (procrastinate's stalled-jobs query), noting it in the import run's history.
  The dead worker's import transaction was rolled back by PostgreSQL when its connection
  dropped, so the next attempt starts from nothing and writes every row once;
- it delivers events (webhooks, emails: services/events) in a loop of its own;
- SIGTERM (or SIGINT) stops taking jobs and lets running ones finish for ``graceful_timeout``
  seconds; then it cancels them, and each hands its run back to the queue (nothing of it is
  kept) for another worker. A second signal ends the process at once, which is the dead-worker
  case above.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from procrastinate import App
from procrastinate.worker import Worker

from mypd_graph import migrate
from mypd_graph.db import SessionMaker, create_engine, create_sessionmaker
from mypd_graph.jobs.queue import IMPORT_TASK, NAMESPACE, install_schema, procrastinate_app
from mypd_graph.jobs.tasks import Runtime, blueprint
from mypd_graph.plugins.manager import load_plugins
from mypd_graph.services.events.runner import run_forever as run_events
from mypd_graph.services.imports.durable import worker_lost
from mypd_graph.services.imports.tracking import worker_name
from mypd_graph.settings import Settings

log = logging.getLogger(__name__)


class NotReady(RuntimeError):
    """The database cannot take a worker yet; the message says what to run."""


async def run_worker(
    settings: Settings,
    *,
    queues: Sequence[str],
    concurrency: int = 1,
    heartbeat: float = 5.0,
    stalled_after: float = 30.0,
    graceful_timeout: float | None = 20.0,
) -> None:
    """Run until stopped by a signal (see the module docstring)."""
    engine = create_engine(settings.database_url)
    try:
        if not await migrate.is_at_head(engine):
            raise NotReady(
                "the database is not migrated to the current schema: run `mypd-graph db upgrade`"
            )
        sessionmaker = create_sessionmaker(engine)
        plugins = load_plugins(settings.plugins_allow, settings.plugins_deny)
        for failure in plugins.failures:
            log.error("plugin %s is disabled: %s", failure.plugin, failure.reason)
        app = procrastinate_app(settings.database_url, max_pool=concurrency + 3)
        app.add_tasks_from(blueprint, namespace=NAMESPACE)
        runtime = Runtime(sessionmaker, plugins, worker_name())
        async with app.open_async():
            await install_schema(app)
            worker = Worker(
                app=app,
                queues=list(queues),
                name=runtime.worker,
                concurrency=concurrency,
                fetch_job_polling_interval=heartbeat,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=stalled_after,
                shutdown_graceful_timeout=graceful_timeout,
                additional_context={"runtime": runtime},
                install_signal_handlers=True,
            )
            keeper = asyncio.create_task(
                keep_alive(worker, sessionmaker, heartbeat, stalled_after), name="keep alive"
            )
            # Events out (webhooks, emails): the app processes leave them to the workers when
            # jobs run on this queue (services/events; several runners never send one twice).
            events = asyncio.create_task(run_events(sessionmaker, settings), name="events")
            try:
                await worker.run()
            finally:
                for task in (keeper, events):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
    finally:
        await engine.dispose()


async def keep_alive(
    worker: Worker, sessionmaker: SessionMaker, interval: float, stalled_after: float
) -> None:
    """Every ``interval`` seconds: this worker's heartbeat (procrastinate stops its own when
    asked to stop, but a draining worker is alive: without it, others would take its jobs),
    then :func:`retry_stalled`."""
    while True:
        await asyncio.sleep(interval)
        try:
            if worker.worker_id is not None:
                await worker.app.job_manager.update_heartbeat(worker.worker_id)
            await retry_stalled(worker.app, sessionmaker, stalled_after)
        except Exception:  # the database blinked: try again next time
            log.exception("heartbeat or looking for stalled jobs failed")


async def retry_stalled(app: App, sessionmaker: SessionMaker, stalled_after: float) -> None:
    """Jobs whose worker sent no heartbeat for ``stalled_after`` seconds go back to the queue
    (several workers may race for one: the first one wins)."""
    manager = app.job_manager
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=stalled_after):
        try:
            await manager.retry_job(job)
        except Exception:  # another worker put it back first
            continue
        log.warning("job %s of a stalled worker is back in the queue", job.id)
        if job.task_name == IMPORT_TASK:
            await worker_lost(
                sessionmaker,
                int(job.task_kwargs["run_id"]),
                f"its worker sent no heartbeat for {stalled_after:g} s; "
                "the job is back in the queue",
            )
