"""The job queue's edges: the MYPD_JOB_QUEUE setting, the connection string procrastinate gets,
``db upgrade`` installing the queue's schema, the worker's refusals, and which unfinished runs
count as abandoned (a run whose job waits in the queue never does)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, text, update

from mypd_graph import models
from mypd_graph.importers.stale import JOB_LOCK, STALE_AFTER, fail_stale_runs
from mypd_graph.jobs.queue import PostgresQueue, conninfo
from mypd_graph.models import utcnow
from mypd_graph.settings import Settings, SettingsError
from tests.factories import ADMIN, World
from tests.jobs_helpers import ROOT, drop_queue, environment, queue_installed

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

SQLITE = "sqlite+aiosqlite:///mypd.db"
POSTGRES = "postgresql+asyncpg://app:s%40cret@db.example:5433/mypd"


def test_the_queue_setting() -> None:
    assert Settings.from_env({"MYPD_DATABASE_URL": SQLITE}).job_queue == "in-process"
    chosen = Settings.from_env({"MYPD_DATABASE_URL": POSTGRES, "MYPD_JOB_QUEUE": " Postgres "})
    assert chosen.job_queue == "postgres"
    with pytest.raises(SettingsError, match="MYPD_JOB_QUEUE=postgres needs a PostgreSQL"):
        Settings.from_env({"MYPD_DATABASE_URL": SQLITE, "MYPD_JOB_QUEUE": "postgres"})
    with pytest.raises(SettingsError, match="MYPD_JOB_QUEUE='redis' is not one of"):
        Settings.from_env({"MYPD_DATABASE_URL": POSTGRES, "MYPD_JOB_QUEUE": "redis"})


def test_procrastinate_connects_where_the_service_does() -> None:
    assert conninfo(POSTGRES) == "postgresql://app:s%40cret@db.example:5433/mypd"
    assert conninfo(POSTGRES + "?ssl=require") == (
        "postgresql://app:s%40cret@db.example:5433/mypd?sslmode=require"
    )
    with pytest.raises(ValueError, match="PostgreSQL"):
        conninfo(SQLITE)


def cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypd_graph", *args],
        cwd=ROOT,
        env=environment(database_url, MYPD_JOB_QUEUE="in-process"),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_worker_needs_postgresql(tmp_path: object) -> None:
    done = cli(SQLITE, "worker")
    assert done.returncode == 1
    assert "the worker needs PostgreSQL" in done.stderr


async def test_db_upgrade_installs_the_queue_schema(db: TestDatabase) -> None:
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL only")
    await drop_queue(db.url)
    try:
        await _installs_once(db)
    finally:
        await drop_queue(db.url)


async def _installs_once(db: TestDatabase) -> None:
    first = cli(db.url, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert "job queue tables in schema procrastinate: installed" in first.stdout
    again = cli(db.url, "db", "upgrade")
    assert "job queue tables in schema procrastinate: present" in again.stdout
    async with db.engine.connect() as connection:
        tables = await connection.scalar(
            text("SELECT count(*) FROM pg_tables WHERE schemaname = 'procrastinate'")
        )
        public = await connection.scalar(
            text("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'procrastinate%%'")
        )
    assert tables == 4 and public == 4, "its tables, all in their own schema"


async def unfinished_run(db: TestDatabase, world: World, status: str, minutes_ago: int) -> int:
    async with db.sessionmaker.begin() as session:
        run = models.ImportRun(
            district_id=world.district_id,
            user_id=world.id(ADMIN),
            importer="csv-scores",
            file_name="map.csv",
            checksum="",
            status=status,
            started_at=utcnow() - timedelta(minutes=minutes_ago),
        )
        session.add(run)
        await session.flush()
        session.add(models.ImportRunJob(run_id=run.id, queue="postgres"))
        return run.id


async def test_runs_waiting_in_the_queue_are_never_abandoned(
    db: TestDatabase, world: World
) -> None:
    if db.backend != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no job queue")
    async with queue_installed(db.url):
        await _leave_alone_what_the_queue_holds(db, world)


async def _leave_alone_what_the_queue_holds(db: TestDatabase, world: World) -> None:
    waiting = await unfinished_run(db, world, "queued", minutes_ago=60)
    retried = await unfinished_run(db, world, "running", minutes_ago=60)  # its worker died
    lost = await unfinished_run(db, world, "queued", minutes_ago=60)  # no job: never deferred
    working = await unfinished_run(db, world, "running", minutes_ago=60)
    queue = PostgresQueue(db.url)
    try:
        for run_id in (waiting, retried):
            job_id = await queue.defer_import(run_id, "csv-scores", {})
            async with db.sessionmaker.begin() as session:
                await session.execute(
                    update(models.ImportRunJob)
                    .where(models.ImportRunJob.run_id == run_id)
                    .values(job_id=job_id)
                )
    finally:
        await queue.close()
    async with db.engine.connect() as holder:  # a job between its claim and its import
        await holder.execute(
            text("SELECT pg_advisory_lock(:lock, :run)"), {"lock": JOB_LOCK, "run": working}
        )
        assert await fail_stale_runs(db.sessionmaker) == [lost]
        await holder.execute(
            text("SELECT pg_advisory_unlock(:lock, :run)"), {"lock": JOB_LOCK, "run": working}
        )
        await holder.rollback()
    async with db.sessionmaker() as session:
        runs = await session.execute(select(models.ImportRun.id, models.ImportRun.status))
        statuses = {run_id: status for run_id, status in runs}
        found = await session.execute(
            select(models.ImportRunEvent.run_id, models.ImportRunEvent.kind)
        )
        events = [(run_id, kind) for run_id, kind in found]
    assert statuses == {
        waiting: "queued",
        retried: "running",
        lost: "failed",
        working: "running",
    }
    assert events == [(lost, "abandoned")]


async def test_an_abandoned_in_process_run_says_so(db: TestDatabase, world: World) -> None:
    dead = await unfinished_run(db, world, "running", minutes_ago=30)
    assert await fail_stale_runs(db.sessionmaker, now=utcnow() + STALE_AFTER) == [dead]
    async with db.sessionmaker() as session:
        kinds = list(await session.scalars(select(models.ImportRunEvent.kind)))
    assert kinds == ["abandoned"]


def test_when_a_job_runs_again() -> None:
    from procrastinate.jobs import Job

    from mypd_graph.jobs.tasks import MAX_ATTEMPTS, HandBackOrRetry

    rule = HandBackOrRetry()

    def job(attempts: int) -> Job:
        return Job(
            id=1, queue="imports", lock=None, queueing_lock=None, task_name="t", attempts=attempts
        )

    handed_back = rule.get_retry_decision(exception=asyncio.CancelledError(), job=job(3))
    assert handed_back is not None and handed_back.retry_at is None, "at once"
    first = rule.get_retry_decision(exception=OSError("connection reset"), job=job(0))
    assert first is not None and first.retry_at is not None
    assert rule.get_retry_decision(exception=OSError("again"), job=job(MAX_ATTEMPTS - 1)) is None


async def test_a_job_out_of_attempts_fails_its_run_saying_why(
    db: TestDatabase, world: World
) -> None:
    from mypd_graph.services.imports.durable import give_up

    run_id = await unfinished_run(db, world, "running", minutes_ago=1)
    await give_up(db.sessionmaker, run_id, OSError("could not connect to server\nmore"))
    async with db.sessionmaker() as session:
        run = await session.get(models.ImportRun, run_id)
        kinds = list(await session.scalars(select(models.ImportRunEvent.kind)))
    assert run is not None and run.status == "failed"
    assert run.message == (
        "the import failed on its last attempt: OSError: could not connect to server"
    )
    assert kinds == ["failed"]
    await give_up(db.sessionmaker, run_id, OSError("later"))  # an ended run stays as it ended
    async with db.sessionmaker() as session:
        assert (await session.get(models.ImportRun, run_id)).message == run.message  # type: ignore[union-attr]
