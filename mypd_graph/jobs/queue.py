"""The PostgreSQL job queue: a procrastinate App on the service's own database.

No new server for a district to run: procrastinate keeps its jobs in PostgreSQL tables, hands a
job to one worker with ``SELECT ... FOR UPDATE SKIP LOCKED``, wakes workers with LISTEN/NOTIFY,
and records each worker's heartbeat, so a job whose worker died can be found and retried. Its
tables, types and functions live in their own schema, ``procrastinate`` (its connections set
``search_path`` to it), away from the service's tables and migrations; ``mypd-graph db upgrade``
installs them (:func:`install_schema`).

App processes only defer (a small pool); ``mypd-graph worker`` runs the tasks (:mod:`.worker`).
With ``MYPD_JOB_QUEUE=in-process`` no queue object exists: the import service runs the job as an
asyncio task of the process that accepted it (services/imports/runs.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import make_url

if TYPE_CHECKING:
    import procrastinate

SCHEMA = "procrastinate"
IMPORTS_QUEUE = "imports"
QUEUES = (IMPORTS_QUEUE,)
NAMESPACE = "mypd"
IMPORT_TASK = f"{NAMESPACE}:import_upload"  # the name jobs carry in the queue's table


def conninfo(database_url: str) -> str:
    """A libpq connection string (psycopg) for the service's SQLAlchemy URL
    (``postgresql+asyncpg://user:secret@host:5432/db`` -> ``postgresql://user:secret@host:5432/db``).

    asyncpg's ``ssl=`` query parameter is libpq's ``sslmode=``; other parameters pass through.
    """
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("the job queue needs a PostgreSQL database")
    query = dict(url.query)
    if "ssl" in query:
        query["sslmode"] = query.pop("ssl")
    url = url.set(drivername="postgresql", query=query)
    return url.render_as_string(hide_password=False)


def procrastinate_app(database_url: str, *, max_pool: int = 4) -> procrastinate.App:
    """An App whose connections use the ``procrastinate`` schema; open it before use."""
    import procrastinate  # here, not at the top: every command imports this module

    connector = procrastinate.PsycopgConnector(
        conninfo=conninfo(database_url),
        kwargs={"options": f"-c search_path={SCHEMA}"},
        min_size=1,
        max_size=max_pool,
    )
    return procrastinate.App(connector=connector)


async def install_schema(app: procrastinate.App) -> bool:
    """Create the ``procrastinate`` schema and procrastinate's objects in it, unless they are
    there already; True when it installed them. (A later procrastinate release that changes its
    schema ships migrations: docs/deploy.md says how to apply them.)"""
    connector = app.connector
    await connector.execute_query_async(query=f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")  # type: ignore[arg-type]
    row = await connector.execute_query_one_async(
        query="SELECT to_regclass('procrastinate.procrastinate_jobs') IS NOT NULL AS present"
    )
    if row["present"]:
        return False
    await app.schema_manager.apply_schema_async()
    return True


async def install_schema_at(database_url: str) -> bool:
    """:func:`install_schema` for a database URL (``mypd-graph db upgrade``)."""
    app = procrastinate_app(database_url, max_pool=1)
    async with app.open_async():
        return await install_schema(app)


class PostgresQueue:
    """What an app process needs of the queue: defer a job. Opens its pool on first use."""

    name = "postgres"

    def __init__(self, database_url: str) -> None:
        self.app = procrastinate_app(database_url, max_pool=2)
        self._opened = False
        self._lock = asyncio.Lock()

    async def _open(self) -> None:
        async with self._lock:
            if not self._opened:
                await self.app.open_async()
                self._opened = True

    async def defer_import(self, run_id: int, importer: str, options: Mapping[str, Any]) -> int:
        """Queue the import of run ``run_id``; the job's id. One job per run: a second defer of
        the same run is refused by the queue (its queueing lock)."""
        await self._open()
        task = self.app.configure_task(
            IMPORT_TASK,
            queue=IMPORTS_QUEUE,
            queueing_lock=f"import-run-{run_id}",
        )
        return await task.defer_async(run_id=run_id, importer=importer, options=dict(options))

    async def close(self) -> None:
        async with self._lock:
            if self._opened:
                await self.app.close_async()
                self._opened = False


def create_queue(job_queue: str, database_url: str) -> PostgresQueue | None:
    """The queue an app process defers to: None for ``in-process`` (the service runs the job)."""
    return PostgresQueue(database_url) if job_queue == "postgres" else None
