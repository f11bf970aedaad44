"""A bounded GraphQL fuzz run against a real server on both databases: schemathesis generates
queries and mutations from the schema (as a district admin and as a teacher); no response may be a
5xx and no error may carry the code INTERNAL.

The budget is fixed (``EXAMPLES`` per operation, derandomized) so CI stays fast and repeatable; run
with ``MYPD_FUZZ_EXAMPLES=500`` for a deeper search.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import graphql
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mypd_graph.auth import mint_token
from tests.conftest import SECRET, TestDatabase
from tests.factories import ADMIN, TEACHER_A, World
from tests.test_cli import running_server

EXAMPLES = int(os.environ.get("MYPD_FUZZ_EXAMPLES", "12"))


def _strings(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    """Well-formed values most of the time, any text (NUL bytes included) otherwise."""
    text = st.one_of(values, st.text(max_size=40))
    return text.map(lambda value: graphql.StringValueNode(value=value))


schemathesis.graphql.scalar("Date", _strings(st.dates().map(str)))
schemathesis.graphql.scalar("DateTime", _strings(st.datetimes().map(lambda d: d.isoformat())))
schemathesis.graphql.scalar("JSON", _strings(st.just("{}")))
schemathesis.graphql.scalar(
    "Upload", st.just(graphql.NullValueNode())
)  # uploads: tests/test_imports*


Failure = tuple[str, int, list[Any], str]


def fuzz_operation(operation: Any, headers: dict[str, str], failures: list[Failure]) -> None:
    """EXAMPLES generated requests for one operation; 5xx answers and INTERNAL errors recorded."""
    label = operation.label

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def send(case: Any) -> None:
        response = case.call(headers=headers, timeout=60)
        try:
            body = response.json()
        except ValueError:
            body = {}
        errors = (body.get("errors") or []) if isinstance(body, dict) else []
        codes = [error.get("extensions", {}).get("code") for error in errors]
        if response.status_code >= 500 or "INTERNAL" in codes:
            failures.append((label, response.status_code, codes, str(case.body)[:300]))

    send()


def fuzz(base: str, token: str) -> list[Failure]:
    """Every operation of the schema but file uploads (tests/test_imports* send those)."""
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.graphql.from_url(f"{base}/graphql", headers=headers)
    failures: list[Failure] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label != "Mutation.importFile":
            fuzz_operation(operation, headers, failures)
    return failures


@pytest.mark.parametrize("viewer", [ADMIN, TEACHER_A])
async def test_generated_requests_never_fail_inside(
    db: TestDatabase, world: World, viewer: str
) -> None:
    token = mint_token(SECRET, world.id(viewer), viewer)
    with running_server(db.url) as base:
        failures = await asyncio.to_thread(fuzz, base, token)
    assert failures == [], failures[:10]
