"""Teachers read their students over HTTP while a large score file imports (issue 10.3).

Every read of student data writes an audit row. An import writes its whole file in one transaction,
which on SQLite holds the database's one write lock until the import ends; before the audit log had
a file of its own, reads made meanwhile waited for it and failed with ``database is locked``.

For each database (SQLite; PostgreSQL too with ``MYPD_BENCH_POSTGRES_URL``) the same generated NWEA
MAP file (:mod:`import_data`) is imported twice with ``mypd-graph import scores``, each time into a
district freshly prepared with its students and ten teachers whose sections hold some of them:

- alone: nothing else runs; the import's rows/s is the reference;
- with reads: ``mypd-graph serve`` runs on the same database and ``--readers`` clients, each signed
  in as one of the teachers, read the teacher's students and their results in a loop
  (``viewer { teacher { students { ... results } } }``), first for a few seconds with nothing else
  running (the quiet figures), then for as long as the import runs.

It prints the reads made during the import, how many failed (HTTP status other than 200, or any
GraphQL error: must be 0), their p50/p95/max latency next to the quiet ones, whether every
successful read left its audit rows (none missing, none extra), and the import's rows/s with reads
next to its rows/s alone. Usage:

    .venv/bin/python bench/import_with_reads.py [--rows 1000000] [--readers 4]
    MYPD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/mypd_bench \\
        .venv/bin/python bench/import_with_reads.py

Machines are noisy: compare the two imports of one run, not runs with each other.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from abuse import free_port, wait_ready  # noqa: E402 (beside this file)
from import_data import ADMIN_EMAIL, generate, prepare  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncConnection  # noqa: E402

from mypd_graph import models  # noqa: E402
from mypd_graph.auth import mint_token  # noqa: E402
from mypd_graph.db import create_engine  # noqa: E402

BIN = Path(sys.executable).parent
SECRET = "bench-secret-key-long-enough-for-hs256!"
TEACHERS = 10
CLASS_SIZE = 30
TEACHER_ROLE = models.Role.TEACHER.value
READ = """{ viewer { teacher { students(first: 30) {
  totalCount nodes { localId firstName lastName results { term scaleScore achievementLevel } }
} } } }"""


async def _new(connection: AsyncConnection, model: type[models.Base], **values: object) -> int:
    """Insert one row; its id."""
    table = model.__table__
    statement = insert(table).values(**values).returning(table.c.id)
    return int((await connection.execute(statement)).scalar_one())


async def add_classes(url: str) -> list[str]:
    """Ten teachers, each with a section of 30 of the district's students; their tokens."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            district_id = (await connection.execute(select(models.District.id))).scalar_one()
            school_id = await _new(
                connection, models.School, district_id=district_id, code="S00", name="School 00"
            )
            first_students = select(models.Student.id).order_by(models.Student.id)
            students = list(
                (await connection.execute(first_students.limit(TEACHERS * CLASS_SIZE))).scalars()
            )
            tokens = []
            for number in range(TEACHERS):
                email = f"teacher{number}@bench.mypd"
                teacher = {"district_id": district_id, "school_id": school_id, "email": email}
                teacher_id = await _new(
                    connection, models.User, name=f"Teacher {number}", role=TEACHER_ROLE, **teacher
                )
                await connection.execute(
                    insert(models.TeacherProfile).values(user_id=teacher_id, school_id=school_id)
                )
                section_id = await _new(
                    connection,
                    models.Section,
                    school_id=school_id,
                    teacher_id=teacher_id,
                    local_id=f"MATH-{number}",
                    name=f"Math {number}",
                    subject="Math",
                    school_year="2025-26",
                )
                mine = students[number * CLASS_SIZE : (number + 1) * CLASS_SIZE]
                await connection.execute(
                    insert(models.Enrollment),
                    [{"section_id": section_id, "student_id": student} for student in mine],
                )
                tokens.append(mint_token(SECRET, teacher_id, email))
        return tokens
    finally:
        await engine.dispose()


async def audit_rows(url: str, after: int = 0) -> tuple[int, Counter[tuple[str, str]]]:
    """The newest audit row's id, and the rows after ``after`` by action and entity."""
    engine = create_engine(url)
    event = models.AuditEvent
    try:
        async with engine.connect() as connection:
            newest = (await connection.execute(select(func.max(event.id)))).scalar() or 0
            rows = await connection.execute(
                select(event.action, event.entity, func.count())
                .where(event.id > after)
                .group_by(event.action, event.entity)
            )
            return int(newest), Counter({(a, e): n for a, e, n in rows.all()})
    finally:
        await engine.dispose()


def environment(url: str) -> dict[str, str]:
    return {**os.environ, "MYPD_DATABASE_URL": url, "MYPD_SECRET_KEY": SECRET}


def start_import(path: Path, url: str) -> subprocess.Popen[bytes]:
    command = [str(BIN / "mypd-graph"), "import", "scores", str(path), "--format", "nwea-map"]
    return subprocess.Popen(
        [*command, "--as", ADMIN_EMAIL],
        env=environment(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def finish_import(process: subprocess.Popen[bytes]) -> None:
    _, error = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"the import exited with {process.returncode}: {error.decode()[-500:]}")


@dataclass
class Reads:
    """Latencies of the reads that answered, and what went wrong with the others."""

    seconds: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def line(self) -> str:
        if not self.seconds:
            return "no read answered"
        cuts = statistics.quantiles(self.seconds, n=20) if len(self.seconds) > 1 else self.seconds
        p50, p95 = statistics.median(self.seconds), cuts[-1]
        return f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(self.seconds) * 1000:.0f} ms"


async def read_loop(http: httpx.AsyncClient, token: str, until: asyncio.Event, into: Reads) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    while not until.is_set():
        started = time.perf_counter()
        try:
            response = await http.post("/graphql", json={"query": READ}, headers=headers)
            body = response.json()
            if response.status_code != 200 or body.get("errors"):
                into.failures.append(f"{response.status_code}: {str(body)[:200]}")
            else:
                into.seconds.append(time.perf_counter() - started)
        except (httpx.HTTPError, ValueError) as error:
            into.failures.append(f"{type(error).__name__}: {error}")
        await asyncio.sleep(0.02)


async def reading(
    http: httpx.AsyncClient, tokens: list[str], until: asyncio.Event, readers: int
) -> Reads:
    reads = Reads()
    await asyncio.gather(
        *(read_loop(http, tokens[n % len(tokens)], until, reads) for n in range(readers))
    )
    return reads


async def quiet_reads(http: httpx.AsyncClient, tokens: list[str], readers: int) -> Reads:
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(5, stop.set)
    return await reading(http, tokens, stop, readers)


@dataclass
class Outcome:
    """An import with reads: its time, the reads before and during it, and the audit rows."""

    seconds: float
    quiet: Reads
    during: Reads
    per_read: Counter[tuple[str, str]]  # the audit rows of one read before the import
    written: Counter[tuple[str, str]]  # the audit rows written from the import's start
    students: int  # shown by one read

    def audit_line(self) -> str:
        """Each answered read wrote the rows one read writes before the import (results it could
        not see yet write none), and the import wrote its own."""
        reads = len(self.during.seconds)
        missing = {
            f"{action} {entity}": reads * count - self.written[(action, entity)]
            for (action, entity), count in self.per_read.items()
        }
        missing["import"] = 1 - self.written[("import", "import_run")]
        shown = ", ".join(f"{name} {number}" for name, number in missing.items())
        written = ", ".join(f"{a} {e} {n}" for (a, e), n in sorted(self.written.items()))
        return f"audit rows missing: {sum(missing.values())} ({shown}); written: {written}"


async def with_reads(path: Path, url: str, tokens: list[str], readers: int) -> Outcome:
    """Serve the database, read quietly, then read for as long as the import runs."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "mypd-graph"), "serve", "--port", str(port), "--database-url", url],
        env=environment(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=120) as http:
            await wait_ready(http, server)
            quiet = await quiet_reads(http, tokens, readers)
            before, _ = await audit_rows(url)
            students = await reading_once(http, tokens[0])
            before, per_read = await audit_rows(url, before)
            started = time.perf_counter()
            process = start_import(path, url)
            done = asyncio.Event()
            waiter = asyncio.create_task(asyncio.to_thread(process.wait))
            waiter.add_done_callback(lambda _: done.set())
            during = await reading(http, tokens, done, readers)
            await waiter
            seconds = time.perf_counter() - started
            finish_import(process)
    finally:
        server.terminate()
        server.wait(timeout=30)
    _, written = await audit_rows(url, before)
    return Outcome(seconds, quiet, during, per_read, written, students)


async def reading_once(http: httpx.AsyncClient, token: str) -> int:
    response = await http.post(
        "/graphql", json={"query": READ}, headers={"Authorization": f"Bearer {token}"}
    )
    body = response.json()
    assert response.status_code == 200 and not body.get("errors"), body
    return int(body["data"]["viewer"]["teacher"]["students"]["totalCount"])


def alone(path: Path, url: str) -> float:
    started = time.perf_counter()
    finish_import(start_import(path, url))
    return time.perf_counter() - started


async def settle(url: str) -> None:
    """PostgreSQL: clear what the previous phase deleted and refresh the planner's statistics, so
    each phase starts from the same state (SQLite keeps no statistics unless asked)."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text("VACUUM ANALYZE"))
    finally:
        await engine.dispose()


async def measure(label: str, path: Path, urls: tuple[str, str], rows: int, readers: int) -> str:
    students = -(-rows // 12)
    await prepare(urls[0], students)
    await add_classes(urls[0])
    await settle(urls[0])
    seconds_alone = alone(path, urls[0])
    await prepare(urls[1], students)
    tokens = await add_classes(urls[1])
    await settle(urls[1])
    outcome = await with_reads(path, urls[1], tokens, readers)
    quiet, during, seconds = outcome.quiet, outcome.during, outcome.seconds
    failed = len(during.failures)
    lines = [
        f"{label}: import alone {seconds_alone:.1f} s ({rows / seconds_alone:,.0f} rows/s); "
        f"with reads {seconds:.1f} s ({rows / seconds:,.0f} rows/s, "
        f"{seconds_alone / seconds:.2f}x of alone)",
        f"  quiet reads: {len(quiet.seconds)} answered, {len(quiet.failures)} failed; {quiet.line()}",
        f"  reads during the import: {len(during.seconds) + failed} made, {failed} failed; "
        f"{during.line()}",
        f"  {outcome.audit_line()}; a read shows {outcome.students} students",
    ]
    lines += [f"  failure: {failure}" for failure in during.failures[:3]]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--readers", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mypd-bench-reads-"))
    try:
        path = work / "AssessmentResults.csv"
        generate(path, args.rows)
        print(f"{args.rows:,} rows ({path.stat().st_size / 2**20:.0f} MB), {args.readers} readers")
        databases = [
            (
                "SQLite",
                (
                    f"sqlite+aiosqlite:///{work / 'alone.db'}",
                    f"sqlite+aiosqlite:///{work / 'reads.db'}",
                ),
            )
        ]
        if os.environ.get("MYPD_BENCH_POSTGRES_URL"):
            url = os.environ["MYPD_BENCH_POSTGRES_URL"]
            databases.append(("PostgreSQL", (url, url)))
        for label, urls in databases:
            print(asyncio.run(measure(label, path, urls, args.rows, args.readers)), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
