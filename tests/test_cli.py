"""The command line and the things it guards: migrations, schema export, tokens, serve, end to end."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from mypd_graph.models import Base
from mypd_graph.models.base import our_schema
from mypd_graph.schema import create_schema
from tests.conftest import SECRET
from tests.factories import ADMIN, TEACHER_A
from tests.helpers import free_port, served

ROOT = Path(__file__).resolve().parents[1]


def cli(*args: str, env: dict[str, str] | None = None, check: bool = True):
    result = subprocess.run(
        [sys.executable, "-m", "mypd_graph", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "MYPD_SECRET_KEY": SECRET, **(env or {})},
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


async def test_migrations_match_the_models(db) -> None:
    def diff(connection):  # type: ignore[no-untyped-def]
        # Our schemas: the audit log has its own (an attached file on SQLite); the job queue's
        # (procrastinate) is not ours to compare. The same filter as migrations/env.py.
        context = MigrationContext.configure(
            connection, opts={"include_schemas": True, "include_name": our_schema}
        )
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == [], "models changed without a migration: write one (see README)"


def test_committed_schema_matches_the_code() -> None:
    committed = (ROOT / "schema.graphql").read_text(encoding="utf-8")
    assert committed == create_schema().as_str() + "\n", (
        "schema.graphql is out of date: run `make schema` and commit it"
    )


def test_schema_export_writes_sdl(tmp_path: Path) -> None:
    out = tmp_path / "schema.graphql"
    cli("schema", "export", "--output", str(out))
    assert "type Query" in out.read_text() and "interface Node" in out.read_text()


def test_db_upgrade_and_serve_refusing_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    refused = cli("serve", "--database-url", url, "--port", "1", check=False)
    assert refused.returncode != 0
    assert "mypd-graph db upgrade" in refused.stderr
    upgraded = cli("db", "upgrade", env={"MYPD_DATABASE_URL": url})
    assert "database at revision" in upgraded.stdout


def test_token_for_unknown_email_fails_clearly(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    cli("db", "upgrade", env={"MYPD_DATABASE_URL": url})
    result = cli("token", "--email", "nobody@x.test", env={"MYPD_DATABASE_URL": url}, check=False)
    assert result.returncode != 0 and "no user with email" in result.stderr


@contextmanager
def running_server(database_url: str) -> Iterator[str]:
    """A real uvicorn process serving the app through the CLI, stopped afterwards."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "mypd_graph",
        "serve",
        "--port",
        str(port),
        "--database-url",
        database_url,
    ]
    with served(command, port, {"MYPD_SECRET_KEY": SECRET}) as base:
        yield base


async def test_end_to_end_over_http(db, world) -> None:
    token = cli("token", "--email", TEACHER_A, env={"MYPD_DATABASE_URL": db.url}).stdout.strip()
    admin_token = cli("token", "--email", ADMIN, env={"MYPD_DATABASE_URL": db.url}).stdout.strip()

    def exercise() -> None:
        with running_server(db.url) as base:
            assert httpx.get(f"{base}/healthz").json() == {"status": "ok"}
            unauthenticated = httpx.post(f"{base}/graphql", json={"query": "{ viewer { name } }"})
            assert unauthenticated.status_code == 401
            mine = httpx.post(
                f"{base}/graphql",
                json={
                    "query": 'mutation { updateProfile(input: {bio: "Loves fractions"}) '
                    "{ teacher { bio name } userErrors { code } } }"
                },
                headers={"Authorization": f"Bearer {token}"},
            ).json()
            assert mine["data"]["updateProfile"]["teacher"] == {
                "bio": "Loves fractions",
                "name": "Ana Alvarez",
            }
            seen = httpx.post(
                f"{base}/graphql",
                json={"query": "{ district { teachers { nodes { name bio } } } }"},
                headers={"Authorization": f"Bearer {admin_token}"},
            ).json()
            assert {"name": "Ana Alvarez", "bio": "Loves fractions"} in seen["data"]["district"][
                "teachers"
            ]["nodes"]

    await asyncio.to_thread(exercise)


def test_serve_refuses_a_public_address_with_the_development_secret(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    result = cli(
        "serve",
        "--host",
        "0.0.0.0",
        "--port",
        "1",
        "--database-url",
        url,
        env={"MYPD_SECRET_KEY": ""},
        check=False,
    )
    assert result.returncode != 0
    assert "refusing to listen on 0.0.0.0 with the development secret" in result.stderr
