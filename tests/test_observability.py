"""Observability through a real server: one structured log line per request (its id, user,
operation, time, statements), Prometheus metrics at /metrics, per-user rate limits (in memory, and
shared by two processes through Redis); on both databases."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from mypd_graph import models
from mypd_graph.app import create_app
from mypd_graph.auth import mint_token
from mypd_graph.observability import metrics
from mypd_graph.observability.ratelimit import RateLimiter
from mypd_graph.settings import Settings, SettingsError
from tests.conftest import SECRET, TestDatabase
from tests.factories import TEACHER_A, TEACHER_B, World
from tests.helpers import ROOT, free_port

REDIS = ("127.0.0.1", 6379)
REDIS_DB = 15  # the tests' own Redis database, emptied before use


@contextmanager
def server(db: TestDatabase, log: Path, **env: str) -> Iterator[str]:
    """``mypd-graph serve`` on a free port with ``env``; its output (the logs) goes to ``log``."""
    port = free_port()
    command = [sys.executable, "-m", "mypd_graph", "serve", "--port", str(port)]
    environ = {**os.environ, "MYPD_SECRET_KEY": SECRET, "MYPD_DATABASE_URL": db.url, **env}
    with log.open("a") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=environ, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not become ready:\n{log.read_text()}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def bearer(world: World, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {mint_token(SECRET, world.id(email), email)}"}


def json_lines(log: Path) -> list[dict[str, object]]:
    lines = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in Prometheus's text format, or None when absent."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    prefix = f"{name}{{{wanted}}} " if labels else f"{name} "
    for line in text.splitlines():
        if line.startswith(prefix):
            return float(line[len(prefix) :])
    return None


async def test_each_request_logs_one_json_line(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    with server(db, log, MYPD_LOG_FORMAT="json") as base:
        given = httpx.post(
            f"{base}/graphql",
            json={"query": "query MyName { viewer { name } }"},
            headers={**bearer(world, TEACHER_A), "X-Request-ID": "probe-123"},
        )
        made = httpx.post(
            f"{base}/graphql",
            json={"query": "{ viewer { email } }"},
            headers=bearer(world, TEACHER_B),
        )
        refused = httpx.post(f"{base}/graphql", json={"query": "{ viewer { name } }"})
    assert given.status_code == 200 and given.headers["x-request-id"] == "probe-123"
    assert refused.status_code == 401 and refused.headers["x-request-id"]
    generated = made.headers["x-request-id"]
    assert len(generated) == 32 and generated != "probe-123"

    lines = {line.get("request_id"): line for line in json_lines(log) if line.get("path")}
    first = lines["probe-123"]
    assert first["logger"] == "mypd_graph.requests" and first["level"] == "INFO"
    assert first["method"] == "POST" and first["path"] == "/graphql" and first["status"] == 200
    assert first["user_id"] == world.id(TEACHER_A)
    assert first["operation"] == "MyName"
    assert isinstance(first["statements"], int) and first["statements"] >= 1
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert first["message"].startswith("POST /graphql 200 ")
    second = lines[generated]
    assert second["user_id"] == world.id(TEACHER_B) and second["operation"] is None
    anonymous = lines[refused.headers["x-request-id"]]
    assert anonymous["status"] == 401 and anonymous["user_id"] is None
    assert anonymous["statements"] == 0


async def test_metrics_count_operations_errors_and_imports(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    async with db.sessionmaker.begin() as session:
        session.add_all(
            [
                models.ImportRun(
                    district_id=world.district_id,
                    importer="csv-scores",
                    file_name="fall.csv",
                    checksum="a" * 64,
                    status="completed",
                    rows_read=9,
                    rows_inserted=7,
                    rows_rejected=2,
                ),
                models.ImportRun(
                    district_id=world.district_id,
                    importer="csv-scores",
                    file_name="winter.csv",
                    checksum="b" * 64,
                    status="running",
                ),
            ]
        )
    with server(db, tmp_path / "server.log", MYPD_METRICS_TOKEN="scrape-me") as base:
        headers = bearer(world, TEACHER_A)
        for _ in range(3):
            ok = httpx.post(
                f"{base}/graphql", json={"query": "query Mine { viewer { id } }"}, headers=headers
            )
            assert ok.status_code == 200
        wrong = httpx.post(f"{base}/graphql", json={"query": "{ nope }"}, headers=headers)
        assert wrong.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert httpx.get(f"{base}/metrics").status_code == 401
        scraped = httpx.get(f"{base}/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert scraped.status_code == 200
    text = scraped.text
    name = "mypd_graphql_request_duration_seconds_count"
    assert sample(text, name, operation="Mine") == 3
    assert sample(text, "mypd_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == 1
    assert sample(text, "mypd_http_responses_total", status="200") >= 3
    assert sample(text, "mypd_import_rows", outcome="inserted") == 7
    assert sample(text, "mypd_import_rows", outcome="rejected") == 2
    assert sample(text, "mypd_import_runs_active", status="running") == 1
    assert sample(text, "mypd_import_oldest_active_seconds") >= 0
    assert sample(text, "mypd_events_pending", kind="outbox") == 0
    assert sample(text, "mypd_events_pending", kind="webhook") == 0


def test_metrics_are_off_in_production_unless_turned_on() -> None:
    strong = "s" * 48

    def paths(**settings: object) -> set[str]:
        app = create_app(Settings(database_url="sqlite+aiosqlite://", **settings))
        return {getattr(route, "path", "") for route in app.routes}

    assert "/metrics" in paths()
    assert "/metrics" not in paths(environment="production", secret_key=strong)
    assert "/metrics" in paths(
        environment="production", secret_key=strong, metrics=True, metrics_token="t" * 24
    )
    with pytest.raises(SettingsError, match="MYPD_METRICS_TOKEN"):
        paths(environment="production", secret_key=strong, metrics=True)
    env = {"MYPD_ENVIRONMENT": "production", "MYPD_SECRET_KEY": strong}
    assert not Settings.from_env(env).metrics_enabled
    assert Settings.from_env(env).log_format_used == "json"
    assert Settings.from_env({}).log_format_used == "text"


async def test_rate_limit_answers_429_with_retry_after(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    query = {"query": "{ viewer { id } }"}
    with server(db, tmp_path / "server.log", MYPD_RATE_LIMIT="3/minute") as base:
        ana, ben = bearer(world, TEACHER_A), bearer(world, TEACHER_B)
        answers = [httpx.post(f"{base}/graphql", json=query, headers=ana) for _ in range(4)]
        other = httpx.post(f"{base}/graphql", json=query, headers=ben)
        scraped = httpx.get(f"{base}/metrics").text
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert other.status_code == 200  # the limit is per user
    assert sample(scraped, "mypd_rate_limited_total") == 1


def _redis_up() -> bool:
    try:
        socket.create_connection(REDIS, timeout=1).close()
        return True
    except OSError:
        return False


async def test_rate_limit_is_shared_by_processes_through_redis(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    if not _redis_up():
        if os.environ.get("CI"):
            pytest.fail("Redis is not answering on 127.0.0.1:6379")
        pytest.skip("Redis is not answering on 127.0.0.1:6379")
    import coredis

    uri = f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}"
    await coredis.Redis.from_url(uri).flushdb()
    env = {"MYPD_RATE_LIMIT": "4/minute", "MYPD_RATE_LIMIT_STORAGE": uri}
    query = {"query": "{ viewer { id } }"}
    ana = bearer(world, TEACHER_A)
    with (
        server(db, tmp_path / "one.log", **env) as one,
        server(db, tmp_path / "two.log", **env) as two,
    ):
        statuses = [
            httpx.post(f"{base}/graphql", json=query, headers=ana).status_code
            for base in (one, two, one, two, one, two)
        ]
    # Four requests in all pass, whichever process takes them; each process alone allows four.
    assert statuses == [200, 200, 200, 200, 429, 429]


async def test_an_unreachable_rate_limit_store_lets_requests_through() -> None:
    limiter = RateLimiter("1/minute", "redis://127.0.0.1:1")
    assert (await limiter.check(1)).allowed
    assert (await limiter.check(1)).allowed


def test_client_chosen_operation_names_are_bounded_labels() -> None:
    names = [metrics.operation_label(f"Probe{number}") for number in range(3 * 200)]
    assert len(set(names)) <= metrics.MAX_OPERATIONS + 1 and "other" in names
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label('x"} 1\nfake_metric') == "other"


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("MYPD_LOG_FORMAT", "xml", "MYPD_LOG_FORMAT must be json or text"),
        ("MYPD_RATE_LIMIT", "lots", "MYPD_RATE_LIMIT must read like 300/minute"),
        ("MYPD_RATE_LIMIT_STORAGE", "postgresql://x", "MYPD_RATE_LIMIT_STORAGE must be"),
        ("MYPD_METRICS", "maybe", "MYPD_METRICS must be one of"),
    ],
)
def test_observability_settings_refuse_what_they_cannot_read(
    variable: str, value: str, says: str
) -> None:
    with pytest.raises(SettingsError, match=says):
        Settings.from_env({variable: value})


async def test_traces_when_the_standard_otel_variables_ask(
    db: TestDatabase, world: World, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    env = {
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_SERVICE_NAME": "mypd-under-test",
        "OTEL_BSP_SCHEDULE_DELAY": "100",
    }
    with server(db, log, **env) as base:
        answer = httpx.post(
            f"{base}/graphql",
            json={"query": "query Traced { viewer { name } }"},
            headers=bearer(world, TEACHER_A),
        )
        assert answer.status_code == 200
    # The console exporter prints each span as a JSON object; the server has flushed on exit.
    text = log.read_text()
    decoder, spans, at = json.JSONDecoder(), [], 0
    while (at := text.find('{\n    "name"', at)) != -1:
        span, end = decoder.raw_decode(text, at)
        spans.append(span)
        at = end
    names = {span["name"] for span in spans}
    assert "POST /graphql" in names
    sql = [span for span in spans if "db.system" in span["attributes"]]
    assert sql, names
    request = next(span for span in spans if span["name"] == "POST /graphql")
    assert request["resource"]["attributes"]["service.name"] == "mypd-under-test"
    assert {span["context"]["trace_id"] for span in sql} & {request["context"]["trace_id"]}
