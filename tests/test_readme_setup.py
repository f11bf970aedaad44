"""README's "Set up your district" runs as written: its shell block, command by command, in a
folder holding a real OneRoster export (``oneroster.zip``) and a real NWEA MAP file
(``map_scores.csv``), against a fresh database (SQLite's ``mypd.db`` there, or a new PostgreSQL
database). Its sign-in step points at a real local OpenID Connect provider instead of the README's
placeholder issuer. Then the district, its staff, the roster and the scores are in the database,
and a roster teacher signs in over HTTP with the provider's token and sees their students: a
district's first hour, end to end."""

from __future__ import annotations

import asyncio
import csv
import os
import re
import shlex
import subprocess
import sys
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from mypd_graph import models
from mypd_graph.db import create_engine, create_sessionmaker
from tests.conftest import BACKENDS, POSTGRES_URL
from tests.helpers import free_port, served
from tests.import_helpers import FIXTURES, ROSTER
from tests.oidc_provider import CLIENT_ID, Provider
from tests.oidc_provider import provider as provider  # the fixture, found by its name

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SECTION = re.compile(r"## Set up your district\n.*?```sh\n(.*?)```", re.DOTALL)
DOMAIN = "lakeview.example"
PLACEHOLDER_ISSUER = "https://login.lakeview.example"
PLACEHOLDER_AUDIENCE = "lakeview-mypd"
# The roster fixture's students with their state ids, for the score file.
STUDENTS = {
    "100234": ("s1", "1100000001"),
    "100235": ("s2", "1100000002"),
    "100236": ("s3", "1100000003"),
}


def setup_commands() -> list[list[str]]:
    """The block's commands (comments and blank lines dropped), split as a shell would."""
    match = SECTION.search(README.read_text(encoding="utf-8"))
    assert match, "README lost its Set up your district block"
    lines = [line.strip() for line in match[1].splitlines()]
    return [shlex.split(line) for line in lines if line and not line.startswith("#")]


def district_files(folder: Path) -> None:
    """What a district would have: its OneRoster export zipped (the fixture export, with the
    district's email domain) and its MAP file (the fixture's, with the roster's students)."""
    with zipfile.ZipFile(folder / "oneroster.zip", "w") as archive:
        for path in sorted(ROSTER.iterdir()):
            text = path.read_text(encoding="utf-8").replace("@test.mypd", f"@{DOMAIN}")
            archive.writestr(path.name, text)
    source = FIXTURES / "scores" / "nwea_map_assessment_results.csv"
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(reader)
    for row in rows:
        row["StudentID"], row["Student_StateID"] = STUDENTS[row["StudentID"]]
    with (folder / "map_scores.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header)
        writer.writeheader()
        writer.writerows(rows)


def run(folder: Path, command: list[str], database_url: str | None = None) -> str:
    assert command[0] in ("mypd-graph", ".venv/bin/mypd-graph"), command
    env = {k: v for k, v in os.environ.items() if not k.startswith("MYPD_")}
    if database_url:
        env["MYPD_DATABASE_URL"] = database_url
    result = subprocess.run(
        [sys.executable, "-m", "mypd_graph", *command[1:]],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result.stdout


async def district_state(database_url: str) -> dict[str, object]:
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            district = await session.scalar(select(models.District))
            assert district is not None
            users = {
                user.email: (user.role, user.district_id)
                for user in await session.scalars(select(models.User))
            }
            coach = await session.scalar(
                select(models.User.id).where(models.User.email == f"cora.coach@{DOMAIN}")
            )
            served = set(
                await session.scalars(
                    select(models.User.email)
                    .join(
                        models.CoachAssignment, models.CoachAssignment.teacher_id == models.User.id
                    )
                    .where(models.CoachAssignment.coach_id == coach)
                )
            )
            runs = [
                (run.importer, run.status)
                for run in await session.scalars(select(models.ImportRun))
            ]
            return {
                "district": (district.key, district.name, district.active_framework_id is not None),
                "users": users,
                "served": served,
                "runs": runs,
                "students": await session.scalar(select(func.count()).select_from(models.Student)),
                "results": await session.scalar(
                    select(func.count()).select_from(models.AssessmentResult)
                ),
            }
    finally:
        await engine.dispose()


@pytest.fixture(params=BACKENDS)
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: a file in the district's folder, or a new PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'mypd.db'}"
        return
    server, _, _ = POSTGRES_URL.rpartition("/")
    name = f"mypd_setup_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server, f"CREATE DATABASE {name}"))
    try:
        yield f"{server}/{name}"
    finally:
        asyncio.run(_admin(server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


async def _admin(server: str, statement: str) -> None:
    engine = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await engine.dispose()


def with_provider(command: list[str], provider: Provider) -> list[str]:
    """The README's sign-in step, pointed at the local provider (the README names a placeholder)."""
    swap = {PLACEHOLDER_ISSUER: provider.issuer, PLACEHOLDER_AUDIENCE: CLIENT_ID}
    return [swap.get(word, word) for word in command]


def test_set_up_your_district_runs_as_written(
    tmp_path: Path, fresh_database: str, provider: Provider
) -> None:
    district_files(tmp_path)
    commands = setup_commands()
    assert any(PLACEHOLDER_ISSUER in command for command in commands), "the sign-in step is gone"
    outputs = [
        run(tmp_path, with_provider(command, provider), fresh_database) for command in commands
    ]
    assert any("district lakeview created" in output for output in outputs)

    state = asyncio.run(district_state(fresh_database))
    assert state["district"] == ("lakeview", "Lakeview Unified", True)
    users = state["users"]
    assert isinstance(users, dict)
    assert users[f"it@{DOMAIN}"][0] == "district_admin"
    assert users[f"principal.north@{DOMAIN}"][0] == "principal"  # an administrator in the roster
    assert users[f"dana.okafor@{DOMAIN}"][0] == "teacher"
    assert users[f"cora.coach@{DOMAIN}"][0] == "coach"
    assert state["served"] == {f"ana.teacher@{DOMAIN}", f"ben.teacher@{DOMAIN}"}
    assert state["runs"] == [("oneroster", "completed"), ("csv-scores", "completed")]
    assert state["students"] == 7
    assert state["results"]

    # The first hour ends with a teacher signing in with the district's provider and seeing
    # the students of her classes (A-MATH: s1, s2, s100, with s3 dropped; N-READ-1: s100, s101).
    port = free_port()
    command = [sys.executable, "-m", "mypd_graph", "serve", "--port", str(port)]
    environment = {"MYPD_DATABASE_URL": fresh_database, "MYPD_ALLOW_DEV_TOKENS": "0"}
    with served(command, port, environment) as base:
        ana = signed_in(base, provider.token(f"ana.teacher@{DOMAIN}"))
        assert ana["viewer"]["name"] == "Ana Alvarez" and ana["viewer"]["role"] == "TEACHER"
        students = ana["viewer"]["teacher"]["students"]["edges"]
        assert sorted(edge["node"]["localId"] for edge in students) == [
            "s1",
            "s100",
            "s101",
            "s2",
        ]
        refused = httpx.post(
            f"{base}/graphql",
            json={"query": QUERY},
            headers={"Authorization": f"Bearer {provider.token('nobody@' + DOMAIN)}"},
        )
        assert refused.status_code == 401, refused.text
        assert "nobody@" in refused.text


QUERY = (
    """{ viewer { name role teacher { students(first: 50) { edges { node { localId } } } } } }"""
)


def signed_in(base: str, token: str) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/graphql", json={"query": QUERY}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    return body["data"]
