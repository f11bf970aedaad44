"""Load test: the real service under a mix of requests, next to a plain Starlette floor.

On a fresh database (SQLite file, or a new PostgreSQL database made from MYPD_BENCH_POSTGRES_URL
and dropped afterwards) it builds the district of bench/graphql_overhead.py (100 teachers with
plans, goals, evidence and observations), then for each number of workers (default 1 and 2):

- starts ``mypd-graph serve --workers N`` and drives it for ``--seconds`` with ``--clients``
  concurrent clients sending, in a fixed rotation, the admin's dashboard (first page of 100
  teachers), a teacher's five highest needs (twice as often) and a teacher's profile update;
- starts bench/load_floor.py under uvicorn with the same workers, answering the same three
  requests with the same SQL (the needs service function for needs) and ``json.dumps``, and
  drives it the same way.

It prints requests/s, p50/p95/p99 in ms, errors and each request's median for both, and the service's throughput over
the floor's (target: at least 0.5x). Both servers log as they would in production (ours one line
per request to a file). Machines are noisy: compare the ratio within a run.

    .venv/bin/python bench/load.py [--workers 1,2] [--seconds 15] [--clients 8]
    MYPD_BENCH_POSTGRES_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/load.py
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from graphql_overhead import SECRET, build_district  # noqa: E402

from mypd_graph.auth import mint_token  # noqa: E402
from mypd_graph.db import create_engine  # noqa: E402

TEACHERS = 100
FIRST_TEACHER = 1000  # build_district's first teacher id
DASHBOARD = """query Dashboard { district { teachers(first: 100) { nodes { id name email
  plans { cycle status goals { title progress elements { code } } }
  evidence { title kind elements { code } }
  observations { kind observedOn ratings { element { code } level { key } } } } } } }"""
NEEDS = "query Needs { viewer { teacher { needs(first: 5) { element { code } score rank } } } }"
PROFILE = """mutation Profile($bio: String!) { updateProfile(input: {bio: $bio}) {
  teacher { bio } userErrors { code } } }"""
ROTATION = ("dashboard", "needs", "profile", "needs")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running(command: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    command = [part.replace("{port}", str(port)) for part in command]
    with log.open("a") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=out
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=20)


class Service:
    """The requests of the rotation, as GraphQL over HTTP with each user's token."""

    def __init__(self, admin_id: int) -> None:
        self.admin = {"Authorization": f"Bearer {mint_token(SECRET, admin_id, 'admin@bench')}"}
        self.teachers = [
            {"Authorization": f"Bearer {mint_token(SECRET, FIRST_TEACHER + i, f't{i}@bench')}"}
            for i in range(TEACHERS)
        ]

    async def send(self, http: httpx.AsyncClient, kind: str, n: int) -> bool:
        teacher = self.teachers[n % TEACHERS]
        if kind == "dashboard":
            body = {"query": DASHBOARD}
            headers = self.admin
        elif kind == "needs":
            body, headers = {"query": NEEDS}, teacher
        else:
            body, headers = {"query": PROFILE, "variables": {"bio": f"bio {n}"}}, teacher
        response = await http.post("/graphql", json=body, headers=headers)
        return response.status_code == 200 and "errors" not in response.json()


class Floor:
    async def send(self, http: httpx.AsyncClient, kind: str, n: int) -> bool:
        teacher = FIRST_TEACHER + n % TEACHERS
        if kind == "dashboard":
            response = await http.get("/dashboard")
        elif kind == "needs":
            response = await http.get("/needs", params={"teacher": teacher})
        else:
            response = await http.post("/profile", json={"teacher": teacher, "bio": f"bio {n}"})
        return response.status_code == 200


async def drive(base: str, target: Service | Floor, seconds: float, clients: int) -> dict:
    """``clients`` loops sending the rotation for ``seconds``; latencies and errors."""
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {kind: [] for kind in ROTATION}
    errors = 0
    counter = itertools.count()
    deadline = 0.0

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            n = next(counter)
            kind = ROTATION[n % len(ROTATION)]
            started = time.perf_counter()
            try:
                ok = await target.send(http, kind, n)
            except httpx.HTTPError:
                ok = False
            latencies.append(time.perf_counter() - started)
            by_kind[kind].append(latencies[-1])
            errors += not ok

    limits = httpx.Limits(max_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        # Warm up every worker's connections and caches before measuring.
        await asyncio.gather(*(target.send(http, kind, 0) for kind in ROTATION * clients))
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(*(client(http) for _ in range(clients)))
        elapsed = time.monotonic() - started
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        "rps": len(latencies) / elapsed,
        "p50": quantiles[49] * 1000,
        "p95": quantiles[94] * 1000,
        "p99": quantiles[98] * 1000,
        "errors": errors,
        "requests": len(latencies),
        "kinds": " / ".join(
            f"{statistics.median(values) * 1000:.0f}" for values in by_kind.values() if values
        ),
    }


def row(label: str, workers: int, target: str, result: dict, ratio: str = "") -> str:
    return (
        f"| {label} | {workers} | {target} | {result['requests']} | {result['rps']:.1f} | "
        f"{result['p50']:.1f} | {result['p95']:.1f} | {result['p99']:.1f} | "
        f"{result['errors']} | {result['kinds']} | {ratio} |"
    )


async def prepare(url: str) -> int:
    admin_id = await build_district(url, TEACHERS)
    engine = create_engine(url)
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()
    return admin_id


def measure(label: str, url: str, workers: list[int], seconds: float, clients: int) -> None:
    admin_id = asyncio.run(prepare(url))
    env = {"MYPD_SECRET_KEY": SECRET, "MYPD_DATABASE_URL": url, "MYPD_LOG_FORMAT": "json"}
    with tempfile.TemporaryDirectory() as logs:
        for count in workers:
            serve = [sys.executable, "-m", "mypd_graph", "serve", "--port", "{port}"]
            serve += ["--workers", str(count)]
            with running(serve, env, Path(logs) / "service.log") as base:
                ours = asyncio.run(drive(base, Service(admin_id), seconds, clients))
            floor_command = [sys.executable, "-m", "uvicorn", "load_floor:create", "--factory"]
            floor_command += ["--app-dir", "bench", "--port", "{port}", "--workers", str(count)]
            floor_command += ["--no-access-log", "--log-level", "warning"]
            floor_env = {"BENCH_DATABASE_URL": url}
            with running(floor_command, floor_env, Path(logs) / "floor.log") as base:
                floor = asyncio.run(drive(base, Floor(), seconds, clients))
            print(row(label, count, "floor (Starlette, same SQL)", floor), flush=True)
            ratio = f"{ours['rps'] / floor['rps']:.2f}x"
            print(row(label, count, "mypd_graph", ours, ratio), flush=True)


@contextmanager
def fresh_postgres(admin_url: str) -> Iterator[str]:
    """A new database next to ``admin_url``'s, dropped afterwards."""
    name = f"mypd_bench_load_{os.getpid()}"
    url = make_url(admin_url)

    async def run(statement: str) -> None:
        engine = create_engine(url.render_as_string(hide_password=False))
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(statement))
        await engine.dispose()

    asyncio.run(run(f"CREATE DATABASE {name}"))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        asyncio.run(run(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    workers = [int(count) for count in args.workers.split(",")]
    print(
        "| database | workers | server | requests | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| p50 ms dashboard / needs / profile | throughput vs floor |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/load.db"
        measure("SQLite", url, workers, args.seconds, args.clients)
    postgres = os.environ.get("MYPD_BENCH_POSTGRES_URL")
    if postgres:
        with fresh_postgres(postgres) as url:
            measure("PostgreSQL", url, workers, args.seconds, args.clients)


if __name__ == "__main__":
    main()
