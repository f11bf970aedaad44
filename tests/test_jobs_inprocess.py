"""The in-process queue (MYPD_JOB_QUEUE's default, and SQLite's only one): a large upload runs as a
task of the app process that took it, and GraphQL shows it running with rows read, then finished,
with its history; a failing one shows why. Both databases, through the importFile mutation.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import httpx
import pytest

from mypd_graph.app import create_app
from mypd_graph.plugins.manager import PluginSet
from mypd_graph.services.imports import runs as import_service
from mypd_graph.settings import Settings
from tests.conftest import SECRET
from tests.factories import ADMIN, World
from tests.jobs_helpers import ROWS_PER_STUDENT, Api, eventually, map_file

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

STUDENTS = 10_000  # 40,000 rows: long enough to be seen running


@pytest.fixture
async def api(db: TestDatabase, world: World, plugins: PluginSet) -> AsyncIterator[Api]:
    settings = Settings(database_url=db.url, secret_key=SECRET)
    assert settings.job_queue == "in-process"
    app = create_app(settings, plugins=plugins, engine=db.engine)
    assert app.state.job_queue is None
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield Api(http, world.id(ADMIN), ADMIN)
    finally:
        await import_service.wait_for_background_imports()


async def test_a_large_upload_runs_in_the_app_and_shows_its_states(api: Api) -> None:
    rows = STUDENTS * ROWS_PER_STUDENT
    started = await api.upload("map.csv", map_file(STUDENTS), create_students=True)
    assert started["status"] == "RUNNING" and started["attempts"] == 1
    assert [event["kind"] for event in started["history"]] == ["STARTED"]
    seen: list[int] = []

    async def midway() -> bool:
        run = await api.run(started["id"])
        if run["status"] == "RUNNING" and run["progress"]:
            seen.append(run["progress"]["rowsRead"])
        return run["status"] != "RUNNING"

    await eventually(midway, "the import to end", timeout=300)
    assert any(0 < count < rows for count in seen), f"never seen midway: {seen}"
    assert seen == sorted(seen), "progress only moves forward"
    done = await api.run(started["id"])
    assert done["status"] == "COMPLETED", done
    assert done["rowsInserted"] == rows
    assert done["progress"]["rowsRead"] == rows and done["progress"]["fraction"] == 1.0
    assert [(e["kind"], e["attempt"]) for e in done["history"]] == [
        ("STARTED", 1),
        ("COMPLETED", 1),
    ]
    assert done["history"][0]["worker"] == done["history"][1]["worker"] != ""


async def test_a_rejected_large_upload_says_why(api: Api) -> None:
    # A quarter of the rows unreadable, more than the 10% allowed: the run is rejected.
    started = await api.upload("bad_map.csv", map_file(2_000, bad_every=4), create_students=True)
    assert started["status"] == "RUNNING"
    await import_service.wait_for_background_imports()
    done = await api.run(started["id"])
    assert done["status"] == "REJECTED"
    assert "rejected" in done["message"] and done["rowsInserted"] == 0
    kinds = [event["kind"] for event in done["history"]]
    assert kinds == ["STARTED", "REJECTED"]
    assert done["history"][1]["detail"] == done["message"]
