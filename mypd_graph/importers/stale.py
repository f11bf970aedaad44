"""Runs that nobody is running or going to run are marked ``failed``.

An import commits its run record (``running``) first, then writes everything in one transaction
that stays open until the run ends. When the process dies, the database rolls that transaction
back, but the run record stays ``running`` forever. The rule, checked whenever imports are listed
and when an app starts: a run is stale when it is ``running`` or ``queued``, started (or was
queued) more than :data:`STALE_AFTER` ago, and

- PostgreSQL: no transaction is importing it (an importing transaction holds the advisory lock
  ``(RUN_LOCK, run id)``, which the server frees when the transaction or its connection ends;
  taking it proves nobody holds it), no job is working on it (a job holds ``(JOB_LOCK, run id)``
  on its session for its whole life, services/imports/durable.py), and its job is not waiting or
  running in the job queue (procrastinate's ``todo`` or ``doing``: a job whose worker died waits
  there for another worker, and a queued run may wait long for a busy queue);
- SQLite: an import holds the database's one write lock from its first batch to its end; when a
  write transaction can begin at once, no import is running anywhere (when it cannot, nothing is
  decided: the next listing tries again). SQLite has no job queue: its jobs run in the app.

Each run failed here gets an ``abandoned`` event in its history.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.db import SessionMaker
from mypd_graph.models import ImportRun, ImportRunEvent, utcnow
from mypd_graph.models.data import ImportStatus

STALE_AFTER = timedelta(minutes=10)
RUN_LOCK = 0x4D595045  # advisory lock class of running imports (with the run id)
JOB_LOCK = 0x4D59504A  # advisory lock class of a job working on a run (with the run id)
QUEUED_JOB = text(
    "SELECT EXISTS (SELECT 1 FROM procrastinate.procrastinate_jobs AS pj "
    "JOIN import_run_job AS j ON j.job_id = pj.id "
    "WHERE j.run_id = :run AND pj.status IN ('todo', 'doing'))"
)
MESSAGE = (
    "the import stopped before it finished (the process running it ended, and no job queue "
    "holds it); nothing was imported"
)


async def hold_run(session: AsyncSession, run_id: int) -> None:
    """Inside an import's data transaction: say the run is alive (PostgreSQL)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:lock, :run)"), {"lock": RUN_LOCK, "run": run_id}
        )


async def fail_stale_runs(
    sessionmaker: SessionMaker, district_id: int | None = None, now: datetime | None = None
) -> list[int]:
    """Mark the stale runs (of one district, or all) failed; return their ids."""
    cutoff = (now or utcnow()) - STALE_AFTER
    unfinished = (ImportStatus.RUNNING.value, ImportStatus.QUEUED.value)
    candidates = select(ImportRun.id).where(
        ImportRun.status.in_(unfinished), ImportRun.started_at < cutoff
    )
    if district_id is not None:
        candidates = candidates.where(ImportRun.district_id == district_id)
    async with sessionmaker() as session:
        connection = await session.connection()
        postgres = connection.dialect.name == "postgresql"
        if not postgres and not await _sqlite_write_lock(session):
            return []
        try:
            ids = list(await session.scalars(candidates.order_by(ImportRun.id)))
            queue = postgres and bool(
                await session.scalar(
                    text("SELECT to_regclass('procrastinate.procrastinate_jobs') IS NOT NULL")
                )
            )
            stale = [
                run_id
                for run_id in ids
                if not postgres or not await _alive_on_postgres(session, run_id, queue)
            ]
            if stale:
                await session.execute(
                    update(ImportRun)
                    .where(ImportRun.id.in_(stale), ImportRun.status.in_(unfinished))
                    .values(
                        status=ImportStatus.FAILED.value,
                        message=MESSAGE,
                        finished_at=utcnow(),
                    )
                )
                session.add_all(
                    ImportRunEvent(run_id=run_id, kind="abandoned", detail=MESSAGE)
                    for run_id in stale
                )
            await session.commit()
            return stale
        except BaseException:
            await session.rollback()
            raise


async def _alive_on_postgres(session: AsyncSession, run_id: int, queue: bool) -> bool:
    """Someone imports the run, a job works on it, or its job waits in the queue."""
    for lock in (RUN_LOCK, JOB_LOCK):
        free = await session.scalar(
            text("SELECT pg_try_advisory_xact_lock(:lock, :run)"), {"lock": lock, "run": run_id}
        )
        if not free:
            return True
    return queue and bool(await session.scalar(QUEUED_JOB, {"run": run_id}))


async def _sqlite_write_lock(session: AsyncSession) -> bool:
    """Begin a write transaction without waiting; False when another one is open."""
    raw = await (await session.connection()).get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    cursor = await driver.execute("PRAGMA busy_timeout")
    (timeout,) = await cursor.fetchone()
    await driver.execute("PRAGMA busy_timeout=0")
    try:
        await driver.execute("BEGIN IMMEDIATE")
        return True
    except Exception as error:  # sqlite3.OperationalError: database is locked
        if "locked" not in str(error) and "busy" not in str(error):
            raise
        return False
    finally:
        await driver.execute(f"PRAGMA busy_timeout={int(timeout)}")


__all__ = ["JOB_LOCK", "MESSAGE", "RUN_LOCK", "STALE_AFTER", "fail_stale_runs", "hold_run"]
