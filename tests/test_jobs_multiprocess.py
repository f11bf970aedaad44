"""Several processes over one PostgreSQL database (issue 15.1): two app servers (real
``mypd-graph serve`` processes on two ports, the first with ``--workers 2``) and one
``mypd-graph worker``. A large file uploaded through the first app is queued, taken by the worker,
and followed through the second app: queued, running with rows read, completed, its history.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.factories import ADMIN, World
from tests.helpers import free_port, served
from tests.jobs_helpers import (
    ROWS_PER_STUDENT,
    Api,
    environment,
    eventually,
    map_file,
    queue_installed,
    worker_process,
)

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

pytestmark = pytest.mark.postgres_only

STUDENTS = 12_000  # 48,000 rows


@contextmanager
def app_server(database_url: str, *args: str) -> Iterator[str]:
    """``mypd-graph serve`` on a free port, until the block ends."""
    port = free_port()
    command = [sys.executable, "-m", "mypd_graph", "serve", "--port", str(port), *args]
    with served(command, port, environment(database_url)) as base:
        yield base


async def test_upload_through_one_app_follow_it_through_another(
    db: TestDatabase, world: World
) -> None:
    rows = STUDENTS * ROWS_PER_STUDENT
    async with queue_installed(db.url):
        done, listed, seen, run_id = await _run(db, world)
    assert any(status == "RUNNING" and 0 < count < rows for status, count in seen), seen
    assert done["status"] == "COMPLETED" and done["rowsInserted"] == rows, done
    assert done["progress"]["rowsRead"] == rows
    assert [(e["kind"], e["attempt"]) for e in done["history"]] == [
        ("QUEUED", 0),
        ("STARTED", 1),
        ("COMPLETED", 1),
    ]
    assert listed == {"totalCount": 1, "nodes": [{"id": run_id, "status": "COMPLETED"}]}


async def _run(db: TestDatabase, world: World) -> tuple[dict[str, Any], Any, list[Any], str]:
    """Upload through the first app, follow through the second, until a worker ends it."""
    with (
        app_server(db.url, "--workers", "2") as first_base,
        app_server(db.url) as second_base,
    ):
        async with (
            httpx.AsyncClient(base_url=first_base, timeout=60) as first_http,
            httpx.AsyncClient(base_url=second_base, timeout=60) as second_http,
        ):
            first = Api(first_http, world.id(ADMIN), ADMIN)
            second = Api(second_http, world.id(ADMIN), ADMIN)
            queued = await first.upload("map.csv", map_file(STUDENTS), create_students=True)
            assert queued["status"] == "QUEUED"
            waiting = await second.run(queued["id"])
            assert waiting["status"] == "QUEUED" and waiting["progress"]["rowsRead"] == 0
            assert waiting["progress"]["bytesTotal"] > 0

            seen: list[tuple[str, int]] = []

            async def finished() -> dict[str, Any] | None:
                run = await second.run(queued["id"])
                seen.append((run["status"], run["progress"]["rowsRead"]))
                return run if run["status"] not in ("QUEUED", "RUNNING") else None

            with worker_process(db.url) as worker:
                done = await eventually(finished, "the worker to finish", timeout=300)
                assert worker.process.poll() is None, worker.output()
            listed = (
                await second_http.post(
                    "/graphql",
                    json={"query": "{ imports { totalCount nodes { id status } } }"},
                    headers=second.headers,
                )
            ).json()["data"]["imports"]

    return done, listed, seen, queued["id"]
