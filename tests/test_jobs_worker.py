"""A queued import survives its worker (PostgreSQL): killed mid-import, another worker finishes it
with every row once; SIGTERM drains or hands the run back. Real ``mypd-graph worker`` processes;
the upload goes through the importFile mutation of an app whose queue is ``postgres``.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx
import pytest
from sqlalchemy import func, select

from mypd_graph import models
from mypd_graph.app import create_app
from mypd_graph.ids import from_global_id
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.settings import Settings
from tests.conftest import SECRET
from tests.factories import ADMIN, World
from tests.jobs_helpers import (
    ROWS_PER_STUDENT,
    Api,
    eventually,
    import_lock_held,
    map_file,
    queue_installed,
    worker_process,
)

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

pytestmark = pytest.mark.postgres_only

STUDENTS = 15_000  # 60,000 rows: several seconds of import on the test machine
OPTIONS = {"create_students": True}


@pytest.fixture
async def api(db: TestDatabase, world: World, plugins: PluginSet) -> AsyncIterator[Api]:
    settings = Settings(database_url=db.url, secret_key=SECRET, job_queue="postgres")
    app = create_app(settings, plugins=plugins, engine=db.engine)
    transport = httpx.ASGITransport(app=app)
    async with queue_installed(db.url):
        try:
            async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
                yield Api(http, world.id(ADMIN), ADMIN)
        finally:
            await app.state.job_queue.close()


async def results(db: TestDatabase) -> tuple[int, int]:
    """Results stored, and distinct (student, assessment, year, term) among them, beyond the
    world's own."""
    result = models.AssessmentResult
    key = func.concat(
        result.student_id, "/", result.assessment_id, "/", result.school_year, "/", result.term
    )
    async with db.sessionmaker() as session:
        row = (
            await session.execute(
                select(func.count(), func.count(key.distinct())).where(
                    result.import_id.is_not(None)
                )
            )
        ).one()
    return int(row[0]), int(row[1])


def kinds(run: dict[str, object]) -> list[tuple[str, int]]:
    return [(event["kind"], event["attempt"]) for event in run["history"]]  # type: ignore[attr-defined,index]


async def test_a_killed_worker_s_import_is_finished_by_another(db: TestDatabase, api: Api) -> None:
    content = map_file(STUDENTS)
    rows = STUDENTS * ROWS_PER_STUDENT
    queued = await api.upload("map_fall_winter.csv", content, **OPTIONS)
    assert queued["status"] == "QUEUED" and queued["attempts"] == 0
    assert kinds(queued) == [("QUEUED", 0)]
    run_id = queued["id"]
    db_id = int(from_global_id(run_id)[1])

    with worker_process(db.url) as first:
        # Kill it once the import's transaction is writing (its lock is in pg_locks) and rows
        # have gone in (the progress says so, from outside the transaction).
        await eventually(lambda: import_lock_held(db.engine, db_id), "the import to start")

        async def some_rows_in() -> bool:
            progress = (await api.run(run_id))["progress"]
            return bool(progress and 0 < progress["rowsRead"] < rows)

        await eventually(some_rows_in, "rows to be read")
        first.signal(signal.SIGKILL)
        first.wait(timeout=10)

    midway = await api.run(run_id)
    assert midway["status"] == "RUNNING" and midway["attempts"] == 1
    await eventually(lambda: _lock_gone(db, db_id), "PostgreSQL to roll the import back")
    assert await results(db) == (0, 0), "the killed worker's rows were rolled back"

    with worker_process(db.url) as second:

        async def finished() -> dict[str, object] | None:
            run = await api.run(run_id)
            return run if run["status"] not in ("QUEUED", "RUNNING") else None

        done = await eventually(finished, "the second worker to finish", timeout=300)
        assert second.process.poll() is None, second.output()
    assert done["status"] == "COMPLETED", done
    assert done["rowsRead"] == rows and done["rowsInserted"] == rows and done["rowsRejected"] == 0
    assert await results(db) == (rows, rows), "every row once"
    assert done["attempts"] == 2
    assert done["progress"]["rowsRead"] == rows and done["progress"]["fraction"] == 1.0
    assert kinds(done) == [
        ("QUEUED", 0),
        ("STARTED", 1),
        ("WORKER_LOST", 0),
        ("STARTED", 2),
        ("COMPLETED", 2),
    ]
    history = done["history"]
    assert "no heartbeat" in history[2]["detail"]
    assert "previous attempt did not finish" in history[3]["detail"]
    assert history[1]["worker"] != history[3]["worker"]
    async with db.sessionmaker() as session:
        runs = list(await session.scalars(select(models.ImportRun.status)))
        pieces = await session.scalar(select(func.count()).select_from(models.ImportUploadChunk))
    assert runs == ["completed"], "one run"
    assert pieces == 0, "the stored upload is deleted when the run ends"


async def _lock_gone(db: TestDatabase, db_id: int) -> bool:
    return not await import_lock_held(db.engine, db_id)


async def test_sigterm_drains_the_running_import(db: TestDatabase, api: Api) -> None:
    queued = await api.upload("map.csv", map_file(5_000), **OPTIONS)
    db_id = int(from_global_id(queued["id"])[1])
    with worker_process(db.url, "--graceful-timeout", "300") as worker:
        await eventually(lambda: import_lock_held(db.engine, db_id), "the import to start")
        worker.signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 120)
        assert code == 0, worker.output()
    run = await api.run(queued["id"])
    assert run["status"] == "COMPLETED", run
    assert kinds(run) == [("QUEUED", 0), ("STARTED", 1), ("COMPLETED", 1)]
    assert await results(db) == (5_000 * ROWS_PER_STUDENT,) * 2


async def test_sigterm_past_the_grace_hands_the_run_back(db: TestDatabase, api: Api) -> None:
    queued = await api.upload("map.csv", map_file(STUDENTS), **OPTIONS)
    run_id = queued["id"]
    db_id = int(from_global_id(run_id)[1])
    with worker_process(db.url, "--graceful-timeout", "0.2") as worker:
        await eventually(lambda: import_lock_held(db.engine, db_id), "the import to start")
        worker.signal(signal.SIGTERM)
        code = await asyncio.to_thread(worker.wait, 60)
        assert code == 0, worker.output()
    back = await api.run(run_id)
    assert back["status"] == "QUEUED", back
    assert back["rowsRead"] == 0 and back["message"] == ""
    assert kinds(back) == [("QUEUED", 0), ("STARTED", 1), ("HANDED_BACK", 1)]
    assert await results(db) == (0, 0)
    with worker_process(db.url):

        async def finished() -> dict[str, object] | None:
            run = await api.run(run_id)
            return run if run["status"] not in ("QUEUED", "RUNNING") else None

        done = await eventually(finished, "another worker to finish it", timeout=300)
    assert done["status"] == "COMPLETED"
    assert kinds(done)[-2:] == [("STARTED", 2), ("COMPLETED", 2)]
    rows = STUDENTS * ROWS_PER_STUDENT
    assert await results(db) == (rows, rows)
