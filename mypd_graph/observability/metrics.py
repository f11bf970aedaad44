"""Prometheus metrics (prometheus_client): what this process served, and what the database says.

Per process: GraphQL request duration by operation, errors by code, HTTP responses by status,
requests refused by the rate limit. From the database at each scrape (so every process and worker
agrees): rows imported by outcome, import runs waiting or running and the age of the oldest (the
imports queue's depth and age), and events out waiting to be dispatched or sent.
Operation names come from clients, so at most ``MAX_OPERATIONS`` distinct names become labels;
the rest count as ``other``. With several app processes, set ``PROMETHEUS_MULTIPROC_DIR`` (as
prometheus_client documents) and a scrape of any process reports all of them.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import func, select

from mypd_graph.db import SessionMaker
from mypd_graph.models import EmailNotification, ImportRun, OutboxEvent, WebhookDelivery
from mypd_graph.models.data import ImportStatus

MAX_OPERATIONS = 200
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")

REGISTRY = CollectorRegistry(auto_describe=True)
GRAPHQL_DURATION = Histogram(
    "mypd_graphql_request_duration_seconds",
    "Time to answer a GraphQL operation, by operation name.",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15),
    registry=REGISTRY,
)
GRAPHQL_ERRORS = Counter(
    "mypd_graphql_errors", "GraphQL errors answered, by code.", ["code"], registry=REGISTRY
)
HTTP_RESPONSES = Counter(
    "mypd_http_responses", "HTTP responses, by status code.", ["status"], registry=REGISTRY
)
RATE_LIMITED = Counter(
    "mypd_rate_limited",
    "Requests to /graphql refused by the per-user rate limit.",
    registry=REGISTRY,
)
_operations: set[str] = set()


def operation_label(name: str | None) -> str:
    """A bounded label for a client-chosen operation name."""
    if not name:
        return "anonymous"
    if not _NAME.fullmatch(name):
        return "other"
    if name not in _operations:
        if len(_operations) >= MAX_OPERATIONS:
            return "other"
        _operations.add(name)
    return name


def observe_operation(name: str | None, seconds: float, error_codes: list[str]) -> None:
    GRAPHQL_DURATION.labels(operation_label(name)).observe(seconds)
    for code in error_codes:
        GRAPHQL_ERRORS.labels(code).inc()


async def database_metrics(sessionmaker: SessionMaker) -> bytes:
    """Imports as the database tells them, in the exposition format (a fresh registry per scrape)."""
    registry = CollectorRegistry(auto_describe=True)
    rows = Gauge(
        "mypd_import_rows",
        "Rows of finished import runs, by outcome (a total over the runs the database keeps).",
        ["outcome"],
        registry=registry,
    )
    runs = Gauge(
        "mypd_import_runs_active",
        "Import runs not finished, by status (queued: waiting for a worker).",
        ["status"],
        registry=registry,
    )
    oldest = Gauge(
        "mypd_import_oldest_active_seconds",
        "Age of the oldest import run not finished (0 when none).",
        registry=registry,
    )
    events = Gauge(
        "mypd_events_pending",
        "Events out not yet handled: outbox events to dispatch, webhook deliveries and emails "
        "waiting to be sent (including retries).",
        ["kind"],
        registry=registry,
    )
    columns = {
        "inserted": ImportRun.rows_inserted,
        "updated": ImportRun.rows_updated,
        "unchanged": ImportRun.rows_unchanged,
        "rejected": ImportRun.rows_rejected,
        "skipped": ImportRun.rows_skipped,
    }
    active = [status.value for status in ImportStatus if status.value in ("queued", "running")]
    async with sessionmaker() as session:
        totals = (
            await session.execute(
                select(*(func.coalesce(func.sum(c), 0) for c in columns.values()))
            )
        ).one()
        by_status = dict(
            (
                await session.execute(
                    select(ImportRun.status, func.count())
                    .where(ImportRun.status.in_(active))
                    .group_by(ImportRun.status)
                )
            ).all()
        )
        first = await session.scalar(
            select(func.min(ImportRun.started_at)).where(ImportRun.status.in_(active))
        )
        pending = {
            "outbox": select(func.count(OutboxEvent.id)).where(OutboxEvent.dispatched_at.is_(None)),
            "webhook": select(func.count(WebhookDelivery.id)).where(
                WebhookDelivery.status == "pending"
            ),
            "email": select(func.count(EmailNotification.id)).where(
                EmailNotification.status == "pending"
            ),
        }
        for kind, query in pending.items():
            events.labels(kind).set(await session.scalar(query) or 0)
    for outcome, total in zip(columns, totals, strict=True):
        rows.labels(outcome).set(int(total))
    for status in active:
        runs.labels(status).set(by_status.get(status, 0))
    if first is not None:
        started = first if first.tzinfo else first.replace(tzinfo=UTC)
        oldest.set(max(0.0, (datetime.now(UTC) - started).total_seconds()))
    return generate_latest(registry)


def process_metrics() -> bytes:
    """This process's metrics, or every process's when prometheus_client's multiprocess
    directory is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
