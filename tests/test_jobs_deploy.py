"""The README's Deploy section runs as written (PostgreSQL): its shell block, in bash, against a
new database and a free port (the two things a reader changes; and two app processes instead of
four on the test machine). Then a district, a webhook, a large upload through the app processes:
a worker of the block imports it and delivers the webhook; the app processes log JSON lines and
answer /metrics with the block's token."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from mypd_graph.db import create_engine
from tests.conftest import POSTGRES_URL
from tests.helpers import free_port
from tests.jobs_helpers import ROOT, ROWS_PER_STUDENT, eventually, map_file, multipart
from tests.test_events import receiving

DOC = ROOT / "README.md"
BLOCK = re.compile(r"## Deploy\n.*?```sh\n(.*?)```", re.DOTALL)
DOC_DATABASE = "postgresql+asyncpg://mypd@127.0.0.1:5432/mypd"
ADMIN = "it@lakeview.example"
UPLOAD = """
mutation ($file: Upload!, $importer: String!, $options: JSON) {
  importFile(input: {importer: $importer, file: $file, options: $options}) {
    importRun { id status } userErrors { message }
  }
}
"""
RUN = "query ($id: ID!) { node(id: $id) { ... on ImportRun { status rowsInserted history { kind } } } }"

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only")


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A new, empty database beside the suite's, dropped afterwards."""
    name = f"h4_deploy_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


def script(database_url: str, port: int, token_file: Path) -> str:
    match = BLOCK.search(DOC.read_text(encoding="utf-8"))
    assert match, "the README lost its Deploy block"
    block = match[1]
    for old, new in (
        (DOC_DATABASE, database_url),
        ("--port 8000", f"--port {port}"),
        ("--workers 4", "--workers 2"),
    ):
        assert old in block, old
        block = block.replace(old, new)
    # Then what a district does next: its admin, and a token to upload with.
    return (
        "set -e\n"
        + block
        + 'mypd-graph district create --key lakeview --name "Lakeview Unified" '
        + f'--admin-email {ADMIN} --admin-name "Ivy Ito"\n'
        + f'echo "$MYPD_METRICS_TOKEN" > {token_file}.metrics\n'
        + f"mypd-graph token --email {ADMIN} > {token_file}.part && mv {token_file}.part {token_file}\n"
        + "wait\n"
    )


async def test_the_deploy_block_runs_as_written(database: str) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as folder, tempfile.TemporaryFile("w+") as log:
        token_file = Path(folder) / "token"
        env = {k: v for k, v in os.environ.items() if not k.startswith("MYPD_")}
        env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{env['PATH']}"
        shell = subprocess.Popen(
            ["bash", "-c", script(database, port, token_file)],
            cwd=folder,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the servers and workers with it
        )
        try:

            def ready() -> bool:
                if shell.poll() is not None:
                    log.seek(0)
                    raise AssertionError(f"the block stopped:\n{log.read()}")
                try:
                    return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, "the app processes", timeout=120)
            await eventually(token_file.exists, "the admin's token", timeout=60)
            headers = {"Authorization": f"Bearer {token_file.read_text().strip()}"}
            with receiving() as receiver:
                hook = await _subscribe(base, headers, receiver.url)
                done = await _upload_and_follow(base, headers)
                delivered = await eventually(
                    lambda: receiver.received, "a worker to deliver the webhook", timeout=60
                )
            metrics_token = Path(f"{token_file}.metrics").read_text().strip()
            unauthorized = httpx.get(f"{base}/metrics")
            scraped = httpx.get(
                f"{base}/metrics", headers={"Authorization": f"Bearer {metrics_token}"}
            )
        finally:
            os.killpg(shell.pid, signal.SIGTERM)  # SIGTERM: the workers drain, uvicorn stops
            try:
                shell.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(shell.pid, signal.SIGKILL)
                shell.wait(timeout=10)
        log.seek(0)
        output = log.read()
    assert "job queue tables in schema procrastinate: installed" in output
    assert output.count("worker on queues imports") == 2
    assert done["status"] == "COMPLETED", (done, output[-3000:])
    assert done["rowsInserted"] == 3_000 * ROWS_PER_STUDENT
    assert [event["kind"] for event in done["history"]] == ["QUEUED", "STARTED", "COMPLETED"]
    # The workers delivered the run's end (the app processes leave events to them).
    [sent] = delivered
    assert json.loads(sent["body"])["type"] == "import.finished", hook
    # Logs are JSON lines, one per request, with its operation; metrics answer with the token.
    requests = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"logger": "mypd_graph.requests"' in line
    ]
    assert any(line["path"] == "/graphql" and line["status"] == 200 for line in requests)
    assert unauthorized.status_code == 401
    assert scraped.status_code == 200 and "mypd_import_rows" in scraped.text


async def _subscribe(base: str, headers: dict[str, str], url: str) -> str:
    mutation = """mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) {
      webhook { id } userErrors { message } } }"""
    variables = {"input": {"url": url, "eventTypes": ["IMPORT_FINISHED"]}}
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        reply = await http.post(
            "/graphql", json={"query": mutation, "variables": variables}, headers=headers
        )
    payload = reply.json()["data"]["createWebhook"]
    assert payload["userErrors"] == [], payload
    return str(payload["webhook"]["id"])


async def _upload_and_follow(base: str, headers: dict[str, str]) -> dict[str, Any]:
    variables = {"importer": "csv-scores", "options": {"create_students": True}}
    body, content_type = multipart(UPLOAD, variables, "map.csv", map_file(3_000), "text/csv")
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        response = await http.post(
            "/graphql", content=body, headers={**headers, "content-type": content_type}
        )
        payload = response.json()["data"]["importFile"]
        assert payload["userErrors"] == [] and payload["importRun"]["status"] == "QUEUED", payload
        run_id = payload["importRun"]["id"]

        async def finished() -> dict[str, Any] | None:
            reply = await http.post(
                "/graphql", json={"query": RUN, "variables": {"id": run_id}}, headers=headers
            )
            run = reply.json()["data"]["node"]
            return run if run["status"] not in ("QUEUED", "RUNNING") else None

        return await eventually(finished, "a worker to import it", timeout=180)  # type: ignore[no-any-return]
