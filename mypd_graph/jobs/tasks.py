"""The procrastinate tasks a worker runs, and when a job runs again.

A task is a thin shell over a service function (:mod:`mypd_graph.services.imports.durable`): the
worker passes what the service needs (sessions, plugins, its own name) in the job context.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import procrastinate
from procrastinate.exceptions import JobAborted
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy, RetryDecision

from mypd_graph.db import SessionMaker
from mypd_graph.jobs.queue import IMPORTS_QUEUE
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.imports.durable import give_up, run_queued_import

MAX_ATTEMPTS = 5  # an error (the database went away, say) is retried this many times in all

blueprint = procrastinate.Blueprint()


@dataclass(frozen=True)
class Runtime:
    """What a worker process gives its tasks."""

    sessionmaker: SessionMaker
    plugins: PluginSet
    worker: str


class HandBackOrRetry(BaseRetryStrategy):
    """A job its stopping worker handed back runs again at once; one that raised runs again
    later (10 s, 20 s, 40 s ...), :data:`MAX_ATTEMPTS` times in all. A bad file is no error: the
    import records it rejected and the job succeeds."""

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, asyncio.CancelledError | JobAborted):
            return RetryDecision()
        if job.attempts + 1 >= MAX_ATTEMPTS:
            return None
        return RetryDecision(retry_in={"seconds": min(300, 10 * 2**job.attempts)})


@blueprint.task(
    name="import_upload", queue=IMPORTS_QUEUE, pass_context=True, retry=HandBackOrRetry()
)
async def import_upload(
    context: JobContext, run_id: int, importer: str, options: Mapping[str, Any]
) -> str:
    """Import a queued run's upload (its status when it ends)."""
    runtime: Runtime = context.additional_context["runtime"]
    try:
        return await run_queued_import(
            runtime.sessionmaker, runtime.plugins, run_id, importer, options, runtime.worker
        )
    except Exception as error:
        if context.job.attempts + 1 >= MAX_ATTEMPTS:  # no retry follows: say so on the run
            await give_up(runtime.sessionmaker, run_id, error)
        raise
