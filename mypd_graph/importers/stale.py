"""Runs left ``running`` by a process that died mid-import are marked ``failed``.

An import commits its run record (``running``) first, then writes everything in one transaction
that stays open until the run ends. When the process dies, the database rolls that transaction
back, but the run record stays ``running`` forever. The rule, checked whenever imports are listed:
a run is stale when it is ``running``, started more than :data:`STALE_AFTER` ago (a queued
background upload has that long to start), and no transaction is importing it:

- PostgreSQL: an importing transaction holds the advisory lock ``(RUN_LOCK, run id)``, which the
  server frees when the transaction or its connection ends; taking it proves nobody holds it;
- SQLite: an import holds the database's one write lock from its first batch to its end; when a
  write transaction can begin at once, no import is running anywhere (when it cannot, nothing is
  decided: the next listing tries again).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from mypd_graph.db import SessionMaker
from mypd_graph.models import ImportRun, utcnow
from mypd_graph.models.data import ImportStatus

STALE_AFTER = timedelta(minutes=10)
RUN_LOCK = 0x4D595045  # advisory lock class of running imports (with the run id)
MESSAGE = (
    "the import stopped before it finished (the process running it ended); nothing was imported"
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
    candidates = select(ImportRun.id).where(
        ImportRun.status == ImportStatus.RUNNING.value, ImportRun.started_at < cutoff
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
            stale = []
            for run_id in ids:
                if postgres:
                    free = await session.scalar(
                        text("SELECT pg_try_advisory_xact_lock(:lock, :run)"),
                        {"lock": RUN_LOCK, "run": run_id},
                    )
                    if not free:
                        continue
                stale.append(run_id)
            if stale:
                await session.execute(
                    update(ImportRun)
                    .where(ImportRun.id.in_(stale), ImportRun.status == ImportStatus.RUNNING.value)
                    .values(
                        status=ImportStatus.FAILED.value,
                        message=MESSAGE,
                        finished_at=utcnow(),
                    )
                )
            await session.commit()
            return stale
        except BaseException:
            await session.rollback()
            raise


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


__all__ = ["MESSAGE", "RUN_LOCK", "STALE_AFTER", "fail_stale_runs", "hold_run"]
