"""Document bounds: each fragment measured once, however often it is spread; oversized documents
refused before any walk; the refusal reaches the client as a coded error over HTTP."""

from __future__ import annotations

import asyncio

import pytest
from graphql import parse

from mypd_graph.schema import create_schema
from mypd_graph.schema.limits import DocumentLimits, DocumentMeasure, check_document, count_nodes
from mypd_graph.settings import Settings
from tests.factories import ADMIN, TEACHER_A

LIMITS = DocumentLimits(
    max_depth=12, max_aliases=30, max_cost=25_000, max_selections=2_000, max_fragment_spreads=200
)


def doubling_fragments(levels: int, leaf: str = "id") -> str:
    """The probe's document: each fragment spreads the next one twice (2**levels leaves)."""
    parts = ["query Doubling { viewer { ...F0 } }"]
    parts += [f"fragment F{i} on User {{ ...F{i + 1} ...F{i + 1} }}" for i in range(levels)]
    parts.append(f"fragment F{levels} on User {{ {leaf} }}")
    return "\n".join(parts)


@pytest.fixture(scope="module")
def graphql_schema():
    return create_schema(Settings())._schema


@pytest.mark.parametrize("levels", [16, 25, 40])
def test_each_fragment_is_walked_once_whatever_the_spreads(graphql_schema, levels) -> None:
    document = parse(doubling_fragments(levels))
    measure = DocumentMeasure(graphql_schema, document)
    found = measure.selection_set(document.definitions[0].selection_set, graphql_schema.query_type)
    assert measure.walks == {f"F{i}": 1 for i in range(levels + 1)}
    # viewer (1) + 2**levels leaves of cost 1 each: the cost of the expanded document, exactly.
    assert found.cost == 1 + 2**levels
    assert found.depth == 1


def test_aliases_and_depth_count_through_every_spread(graphql_schema) -> None:
    aliased = "fragment A on User { " + " ".join(f"a{i}: id" for i in range(20)) + " }"
    twice = parse("{ viewer { ...A ...A } } " + aliased)
    error = check_document(graphql_schema, twice, LIMITS)
    assert error is not None and error.extensions["code"] == "TOO_MANY_ALIASES"
    assert error.message == "40 aliases found. Allowed: 30"
    once = parse("{ viewer { ...A } } " + aliased)
    assert check_document(graphql_schema, once, LIMITS) is None

    nested = (
        "fragment T on TeacherProfile { "
        + "user { teacher { " * 4
        + "user { email }"
        + " } }" * 4
        + " }"
    )
    deep = parse("query Deep { viewer { teacher { user { teacher { ...T } } } } } " + nested)
    deep_error = check_document(graphql_schema, deep, LIMITS)
    assert deep_error is not None
    assert deep_error.message == "'Deep' exceeds maximum operation depth of 12"


def test_oversized_documents_are_refused_before_any_walk(graphql_schema) -> None:
    spreads = "fragment V on User { id } { viewer { " + "...V " * 201 + "} }"
    assert count_nodes(parse(spreads)) == (203, 201)
    error = check_document(graphql_schema, parse(spreads), LIMITS)
    assert error is not None and error.extensions["code"] == "DOCUMENT_TOO_LARGE"

    flat = "{ viewer { " + "id " * 2_000 + "} }"
    error = check_document(graphql_schema, parse(flat), LIMITS)
    assert error is not None and error.extensions["code"] == "DOCUMENT_TOO_LARGE"
    assert "2001 selections" in error.message


async def test_the_probe_document_is_refused_over_http_at_once(client) -> None:
    # Before the one-pass measure this request held the event loop for minutes (25 levels: 13).
    body = await asyncio.wait_for(client.raw(doubling_fragments(40), as_=TEACHER_A), timeout=30)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert "1099511627777" in error["message"]


async def test_limits_come_from_settings(client) -> None:
    body = await client.raw(
        "{ viewer { " + "...V " * 201 + "} } fragment V on User { id }", as_=ADMIN
    )
    assert body["errors"][0]["extensions"]["code"] == "DOCUMENT_TOO_LARGE"
    fine = await client.raw(doubling_fragments(8), as_=ADMIN)
    assert "errors" not in fine and fine["data"]["viewer"]["id"]
