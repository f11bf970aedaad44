"""What the job-queue tests share: a large MAP results file, real worker and app processes, and
GraphQL over real HTTP to follow a run (tests/test_jobs_*.py)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import IO, Any

import httpx
from sqlalchemy import text

from mypd_graph.auth import mint_token
from mypd_graph.jobs.queue import install_schema_at
from tests.conftest import SECRET
from tests.test_imports_api import multipart

ROOT = Path(__file__).resolve().parents[1]
MAP_HEADER = (
    "TermName,DistrictName,District_StateID,SchoolName,School_StateID,StudentLastName,"
    "StudentFirstName,StudentMI,StudentID,Student_StateID,StudentDateOfBirth,StudentGender,Grade,"
    "Subject,Course,NormsReferenceData,WISelectedAYFall,TestType,TestName,TestStartDate,"
    "TestStartTime,TestDurationMinutes,TestRITScore,TestStandardError,TestPercentile,"
    "AchievementQuintile,PercentCorrect,RapidGuessingPercentage,FallToFallProjectedGrowth,"
    "FallToFallObservedGrowth,LexileScore,QuantileScore"
)
TERMS = (("Fall 2025-2026", "9/15/2025"), ("Winter 2025-2026", "1/12/2026"))
COURSES = (
    ("Mathematics", "Math 6+", "Growth: Math 6+ CCSS 2010 V2"),
    ("Language Arts", "Reading", "Growth: Reading 6+ CCSS 2010 V4"),
)
ROWS_PER_STUDENT = len(TERMS) * len(COURSES)

RUN = """
query ($id: ID!) {
  node(id: $id) {
    ... on ImportRun {
      status message rowsRead rowsInserted rowsRejected attempts
      progress { rowsRead rowsRejected bytesRead bytesTotal fraction updatedAt }
      history { kind attempt worker detail }
    }
  }
}
"""
UPLOAD = """
mutation ($file: Upload!, $importer: String!, $options: JSON) {
  importFile(input: {importer: $importer, file: $file, options: $options}) {
    importRun { id status rowsRead attempts history { kind attempt } }
    userErrors { field message code }
  }
}
"""


def map_file(students: int, bad_every: int = 0) -> bytes:
    """An NWEA MAP results export: each student tested in two subjects in two terms (every
    ``bad_every``-th student's scores unreadable, when given)."""
    lines = [MAP_HEADER]
    for number in range(students):
        student = 500000 + number
        for term, day in TERMS:
            for index, (subject, course, test) in enumerate(COURSES):
                score: object = 190 + (number * 7 + index * 3) % 50
                if bad_every and number % bad_every == 0:
                    score = "n/a"
                lines.append(
                    f"{term},Test Unified,1,North Elementary,2,Last{number},First{number},,"
                    f"{student},{9000000000 + number},2013-01-01,F,7,{subject},{course},2025,4,"
                    f"Survey With Goals,{test},{day},9:00:00,45,{score},3.1,"
                    f"{(number * 13 + index) % 99 + 1},Avg,50,0.0,5,,,"
                )
    return ("\r\n".join(lines) + "\r\n").encode()


@asynccontextmanager
async def queue_installed(database_url: str) -> AsyncIterator[None]:
    """procrastinate's tables installed and empty for the block, and dropped after it: the
    suite's database then holds only the service's schemas, as the migration test expects."""
    import psycopg

    from mypd_graph.jobs.queue import conninfo

    await install_schema_at(database_url)
    async with await psycopg.AsyncConnection.connect(conninfo(database_url)) as connection:
        await connection.execute(
            "TRUNCATE procrastinate.procrastinate_events, procrastinate.procrastinate_jobs, "
            "procrastinate.procrastinate_periodic_defers, procrastinate.procrastinate_workers "
            "RESTART IDENTITY CASCADE"
        )
    try:
        yield
    finally:
        await drop_queue(database_url)


async def drop_queue(database_url: str) -> None:
    import psycopg

    from mypd_graph.jobs.queue import conninfo

    async with await psycopg.AsyncConnection.connect(conninfo(database_url)) as connection:
        await connection.execute("DROP SCHEMA IF EXISTS procrastinate CASCADE")


def environment(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "MYPD_DATABASE_URL": database_url,
        "MYPD_SECRET_KEY": SECRET,
        "MYPD_JOB_QUEUE": "postgres",
        **extra,
    }


class Process:
    """A ``mypd-graph`` subprocess whose output goes to a file (a pipe nobody reads would fill)."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.log: IO[str] = tempfile.TemporaryFile("w+")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mypd_graph", *args],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def wait(self, timeout: float) -> int:
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.log.close()


@contextmanager
def worker_process(database_url: str, *args: str) -> Iterator[Process]:
    """``mypd-graph worker`` with a short heartbeat: a silent worker is dead after 2 s."""
    process = Process(
        ["worker", "--heartbeat", "0.5", "--stalled-after", "2", *args], environment(database_url)
    )
    try:
        yield process
    finally:
        process.stop()


async def eventually(check: Callable[[], Any], what: str, timeout: float = 120.0) -> Any:
    """Poll ``check`` (sync or async) until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class Api:
    """GraphQL over HTTP (a real server, or the ASGI app through httpx) as one user."""

    def __init__(self, http: httpx.AsyncClient, user_id: int, email: str) -> None:
        self.http = http
        self.headers = {"Authorization": f"Bearer {mint_token(SECRET, user_id, email)}"}

    async def upload(self, name: str, content: bytes, **options: Any) -> dict[str, Any]:
        variables = {"importer": "csv-scores", "options": options}
        body, content_type = multipart(UPLOAD, variables, name, content, "text/csv")
        response = await self.http.post(
            "/graphql", content=body, headers={**self.headers, "content-type": content_type}
        )
        data = response.json()
        assert response.status_code == 200 and "errors" not in data, data
        payload = data["data"]["importFile"]
        assert payload["userErrors"] == [], payload
        return payload["importRun"]  # type: ignore[no-any-return]

    async def run(self, run_id: str) -> dict[str, Any]:
        response = await self.http.post(
            "/graphql", json={"query": RUN, "variables": {"id": run_id}}, headers=self.headers
        )
        data = response.json()
        assert "errors" not in data, data
        return data["data"]["node"]  # type: ignore[no-any-return]


async def import_lock_held(engine: Any, run_db_id: int) -> bool:
    """An import transaction holds the run's advisory lock (importers/stale.py) right now, in
    this database (pg_locks shows every database of the server)."""
    from mypd_graph.importers.stale import RUN_LOCK

    async with engine.connect() as connection:
        held = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks JOIN pg_database AS d ON d.oid = pg_locks.database "
                "WHERE locktype = 'advisory' AND granted AND classid = :lock AND objid = :run "
                "AND d.datname = current_database()"
            ),
            {"lock": RUN_LOCK, "run": run_db_id},
        )
    return bool(held)
