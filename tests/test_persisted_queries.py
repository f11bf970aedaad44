"""Persisted queries over HTTP (Apollo's automatic persisted queries, schema/documents.py): a hash
the server does not know is PersistedQueryNotFound (HTTP 200), the client sends the document with
its hash, and from then on the hash alone runs it, by POST and by GET; a hash that does not match
its document is refused, and a hash still runs only what its viewer may read."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mypd_graph.schema.documents import document_hash
from tests.factories import ADMIN, TEACHER_A, TEACHER_C

if TYPE_CHECKING:
    import httpx

    from tests.conftest import GraphQLClient

TEACHERS = "query Teachers { district { teachers(first: 50) { nodes { email } } } }"


def persisted(query: str) -> dict[str, Any]:
    return {"persistedQuery": {"version": 1, "sha256Hash": document_hash(query)}}


def headers(client: GraphQLClient, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token_for(email)}"}


async def post(client: GraphQLClient, body: dict[str, Any], as_: str) -> httpx.Response:
    return await client.http.post("/graphql", json=body, headers=headers(client, as_))


async def get(client: GraphQLClient, params: dict[str, str], as_: str) -> httpx.Response:
    return await client.http.get(
        "/graphql", params=params, headers={**headers(client, as_), "Accept": "*/*"}
    )


def emails(body: dict[str, Any]) -> set[str]:
    return {node["email"] for node in body["data"]["district"]["teachers"]["nodes"]}


async def test_the_apq_round_trip_by_post(client: GraphQLClient) -> None:
    unknown = await post(client, {"extensions": persisted(TEACHERS)}, ADMIN)
    assert unknown.status_code == 200
    [error] = unknown.json()["errors"]
    assert error["message"] == "PersistedQueryNotFound"
    assert error["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    registered = await post(client, {"query": TEACHERS, "extensions": persisted(TEACHERS)}, ADMIN)
    assert registered.status_code == 200 and "errors" not in registered.json()

    by_hash = await post(
        client, {"extensions": persisted(TEACHERS), "operationName": "Teachers"}, ADMIN
    )
    assert by_hash.status_code == 200
    assert by_hash.json() == registered.json()
    assert {TEACHER_A, TEACHER_C} <= emails(by_hash.json())


async def test_the_apq_round_trip_by_get(client: GraphQLClient) -> None:
    extensions = json.dumps(persisted(TEACHERS))
    unknown = await get(client, {"extensions": extensions}, ADMIN)
    assert unknown.status_code == 200
    assert unknown.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    registered = await get(client, {"query": TEACHERS, "extensions": extensions}, ADMIN)
    assert registered.status_code == 200 and "errors" not in registered.json()
    by_hash = await get(client, {"extensions": extensions}, ADMIN)
    assert by_hash.json() == registered.json()
    # Registered by GET, run by POST: one store per process.
    by_post = await post(client, {"extensions": persisted(TEACHERS)}, ADMIN)
    assert by_post.json() == registered.json()


async def test_a_hash_runs_only_what_its_viewer_may_read(client: GraphQLClient) -> None:
    await post(client, {"query": TEACHERS, "extensions": persisted(TEACHERS)}, ADMIN)
    teacher = await post(client, {"extensions": persisted(TEACHERS)}, TEACHER_C)
    assert TEACHER_A not in emails(teacher.json())
    anonymous = await client.http.post("/graphql", json={"extensions": persisted(TEACHERS)})
    assert anonymous.status_code == 401


async def test_a_hash_that_does_not_match_its_document_is_refused(client: GraphQLClient) -> None:
    other = "query Other { viewer { id } }"
    response = await post(client, {"query": TEACHERS, "extensions": persisted(other)}, ADMIN)
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_HASH_MISMATCH"
    # Nothing was registered under either hash.
    for query in (TEACHERS, other):
        again = await post(client, {"extensions": persisted(query)}, ADMIN)
        assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_refused_document_is_never_registered(client: GraphQLClient) -> None:
    invalid = "query Bad { viewer { noSuchField } }"
    first = await post(client, {"query": invalid, "extensions": persisted(invalid)}, ADMIN)
    assert first.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    again = await post(client, {"extensions": persisted(invalid)}, ADMIN)
    assert again.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"


async def test_a_persisted_mutation_does_not_run_over_get(client: GraphQLClient) -> None:
    mutation = 'mutation Bio { updateProfile(input: {bio: "apq"}) { teacher { bio } } }'
    done = await post(client, {"query": mutation, "extensions": persisted(mutation)}, TEACHER_A)
    assert done.json()["data"]["updateProfile"]["teacher"]["bio"] == "apq"
    response = await get(client, {"extensions": json.dumps(persisted(mutation))}, TEACHER_A)
    assert response.status_code in (400, 405)
    assert "errors" in response.json()


async def test_unsupported_persisted_query_shapes_are_refused(client: GraphQLClient) -> None:
    for extensions in (
        {"persistedQuery": {"version": 2, "sha256Hash": document_hash(TEACHERS)}},
        {"persistedQuery": {"version": 1, "sha256Hash": "abc"}},
        {"persistedQuery": "yes"},
    ):
        response = await post(client, {"extensions": extensions}, ADMIN)
        assert response.status_code == 400, extensions
        assert response.json()["errors"][0]["extensions"]["code"] in (
            "PERSISTED_QUERY_NOT_SUPPORTED",
            "BAD_REQUEST",
        )
    # Without a persisted query, a body without a query is still refused as before.
    response = await post(client, {"variables": {}}, ADMIN)
    assert response.status_code == 400


async def test_a_persisted_query_body_over_the_limit_is_refused(
    client: GraphQLClient, settings
) -> None:
    body = {"extensions": persisted(TEACHERS), "variables": {"pad": "x" * settings.max_body_bytes}}
    data = json.dumps(body).encode()

    async def chunked():  # no Content-Length: the body is counted as it arrives
        for start in range(0, len(data), 65_536):
            yield data[start : start + 65_536]

    for content in (data, chunked()):
        response = await client.http.post(
            "/graphql",
            content=content,
            headers={**headers(client, ADMIN), "Content-Type": "application/json"},
        )
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "BODY_TOO_LARGE"
