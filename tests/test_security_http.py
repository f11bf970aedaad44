"""Security: GraphQL abuse (batches, depth, aliases, cost) and the door of /graphql."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from mypd_graph.app import create_app
from tests.factories import ADMIN, TEACHER_A
from tests.security_helpers import audit_events, fingerprint, raw_id
from tests.security_world import Rich, gid
from tests.security_world import rich as rich  # the fixture, found by its name

if TYPE_CHECKING:  # for annotations only: pytest would try to collect TestDatabase
    from tests.conftest import GraphQLClient, TestDatabase


# --------------------------------------------------------------------------------------------------
# GraphQL abuse and the door of /graphql
# --------------------------------------------------------------------------------------------------


async def test_batched_requests_are_refused_and_run_nothing(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    batch = [
        {"query": "query($s: ID!) { node(id: $s) { id } }", "variables": {"s": student}}
        for student in rich.student_ids.values()
    ]
    response = await client.http.post(
        "/graphql",
        json=batch,
        headers={"Authorization": f"Bearer {client.token_for(ADMIN)}"},
    )
    assert response.status_code == 400
    assert await audit_events(db) == []


async def test_a_large_body_without_content_length_is_refused(client: GraphQLClient) -> None:
    """Content-Length can be left out (chunked): the guard counts what actually arrives."""

    async def chunked():
        yield b'{"query": "'
        for _ in range(120):
            yield b" " * 10_000
        yield b'{ viewer { email } }"}'

    response = await client.http.post(
        "/graphql",
        content=chunked(),
        headers={
            "Authorization": f"Bearer {client.token_for(ADMIN)}",
            "content-type": "application/json",
        },
    )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413


async def test_depth_limit_holds_through_fragments(client: GraphQLClient) -> None:
    query = """{ viewer { ...U } }
      fragment U on User { teacher { user { teacher { user { teacher { user { ...V } } } } } } }
      fragment V on User { teacher { user { teacher { user { teacher { user { email } } } } } } }"""
    body = await client.raw(query, as_=ADMIN)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_fragment_cycles_are_refused_without_hanging(client: GraphQLClient) -> None:
    query = """{ viewer { ...A } }
      fragment A on User { teacher { user { ...B } } }
      fragment B on User { teacher { user { ...A } } }"""
    body = await client.raw(query, as_=ADMIN)
    assert body["errors"] and body.get("data") is None


async def test_alias_limit_holds_through_fragments(client: GraphQLClient) -> None:
    fragment_aliases = " ".join(f"f{i}: email" for i in range(20))
    query = (
        "{ " + " ".join(f"a{i}: viewer {{ ...U }}" for i in range(12)) + " }"
        f" fragment U on User {{ {fragment_aliases} }}"
    )
    body = await client.raw(query, as_=ADMIN)
    assert "aliases" in body["errors"][0]["message"].lower()
    assert body.get("data") is None


async def test_token_limit_holds(client: GraphQLClient) -> None:
    query = "{ viewer { " + " ".join(["email"] * 6000) + " } }"
    body = await client.raw(query, as_=ADMIN)
    assert "token" in body["errors"][0]["message"].lower()
    assert body.get("data") is None


@pytest.mark.parametrize(
    "query",
    [
        # the page size from a variable counts as the maximum
        "query($n: Int!) { district { teachers(first: $n) { nodes { students(first: $n) { "
        "nodes { firstName results { scaleScore } } } sections { students(first: $n) { nodes { "
        "id } } } } } } }",
        # inline fragments on node count like any selection
        'query($n: Int!) { node(id: "x") { ... on Teacher { students(first: $n) { nodes { '
        "id } } sections { students(first: 100) { nodes { results { id term scaleScore "
        "percentile } } } } } } district { teachers(first: 100) { nodes { students(first: $n) { "
        "nodes { id firstName } } } } } }",
        # the same costly fragment spread many times
        "{ district { ...D ...D } } fragment D on District { a: teachers(first: 100) { nodes { "
        "students(first: 70) { nodes { firstName } } } } }",
    ],
)
async def test_query_cost_limit_holds(client: GraphQLClient, db: TestDatabase, query: str) -> None:
    with db.count_statements() as counter:
        body = await client.raw(query, {"n": 100}, as_=ADMIN)
    assert body["errors"][0]["extensions"]["code"] == "QUERY_TOO_COSTLY", body
    assert counter.count == 1, "only the token's user is read; the query never runs"


async def test_introspection_needs_a_token(client: GraphQLClient) -> None:
    query = "{ __schema { queryType { name } types { name } } }"
    response = await client.post(query, None, token=None)
    assert response.status_code == 401
    signed_in = await client.execute(query, as_=TEACHER_A)
    assert signed_in["__schema"]["queryType"]["name"] == "Query"


async def test_get_with_a_query_needs_a_token(client: GraphQLClient) -> None:
    response = await client.http.get(
        "/graphql", params={"query": "{ __schema { queryType { name } } }"}
    )
    assert response.status_code == 401


@pytest.mark.parametrize("encoded", ["%71uery", "quer%79", "%71%75%65%72%79"])
async def test_an_encoded_query_parameter_does_not_skip_authentication(
    client: GraphQLClient, rich: Rich, encoded: str
) -> None:
    framework = gid("Framework", rich.world.framework_id)
    query = (
        '{ __schema { types { name } } node(id: "' + framework + '") '
        "{ ... on Framework { key standards { code elements { code text } } } } }"
    )
    response = await client.http.get(
        f"/graphql?{encoded}={query}", headers={"accept": "application/json"}
    )
    assert response.status_code == 401, response.text[:300]


async def test_mutations_are_not_accepted_over_get(
    client: GraphQLClient, db: TestDatabase, rich: Rich
) -> None:
    before = await fingerprint(db)
    mutation = 'mutation { updateProfile(input: {bio: "via GET"}) { teacher { bio } } }'
    response = await client.http.get(
        "/graphql",
        params={"query": mutation},
        headers={"Authorization": f"Bearer {client.token_for(TEACHER_A)}"},
    )
    assert response.status_code in {400, 405}
    assert await fingerprint(db) == before


async def test_websocket_connections_are_not_served(
    client: GraphQLClient, db: TestDatabase, settings: Any, plugins: Any
) -> None:
    """graphql-ws can run queries and mutations; the guard only inspects HTTP, so the socket must
    not reach GraphQL at all."""
    app = create_app(settings, plugins=plugins, engine=db.engine)
    sent: list[dict[str, Any]] = []
    incoming = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": json.dumps({"type": "connection_init"})},
        {"type": "websocket.disconnect", "code": 1000},
    ]

    async def receive() -> dict[str, Any]:
        return incoming.pop(0) if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "websocket",
        "asgi": {"version": "3.0"},
        "scheme": "ws",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"sec-websocket-protocol", b"graphql-transport-ws")],
        "subprotocols": ["graphql-transport-ws"],
        "client": ("127.0.0.1", 1234),
        "server": ("test", 80),
        "state": {},
    }
    await app(scope, receive, send)
    assert sent and sent[0]["type"] == "websocket.close", sent
    assert not any(message["type"] == "websocket.accept" for message in sent)


async def test_unsupported_bodies_are_refused_after_authentication(client: GraphQLClient) -> None:
    response = await client.http.post(
        "/graphql", content=b"query={viewer{email}}", headers={"content-type": "text/plain"}
    )
    assert response.status_code == 401
    response = await client.http.post(
        "/graphql",
        content=b"{ viewer { email } }",
        headers={
            "content-type": "application/graphql",
            "Authorization": f"Bearer {client.token_for(TEACHER_A)}",
        },
    )
    assert response.status_code in {400, 415}


async def test_internal_errors_are_masked_in_production(
    client: GraphQLClient, db: TestDatabase, settings: Any, plugins: Any, rich: Rich
) -> None:
    """Whatever fails inside a resolver, a production error names no SQL, table or driver."""
    production = create_app(
        settings.__class__(**{**settings.__dict__, "environment": "production"}),
        plugins=plugins,
        engine=db.engine,
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=production), base_url="http://test"
    ) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": "query($a: ID!) { node(id: $a) { id } }",
                "variables": {"a": raw_id("Goal:99999999999999999999")},
            },
            headers={"Authorization": f"Bearer {client.token_for(TEACHER_A)}"},
        )
    body = response.json()
    for error in body.get("errors", []):
        text = error["message"].lower()
        assert not any(word in text for word in ("select", "sql", "asyncpg", "sqlite", "goal.")), (
            text
        )
